import { once } from 'node:events';
import net from 'node:net';
import { nextEvent, pollUntil, runCommandInProcess, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { runCli } from '../../src/cli/index.ts';
import { SPAWN_WAIT_MS, spawnCli, startInProcess, urlPrintedBy, WAIT_MS } from './helpers.ts';

/** A `ws` client (the npm package's, not ours) connected to `url`, its messages and its close. */
async function wsClient(url: string) {
  const client = new WebSocket(url);
  onTestFinished(() => client.terminate());
  const messages: { data: Buffer; isBinary: boolean }[] = [];
  client.on('message', (data, isBinary) => messages.push({ data: data as Buffer, isBinary }));
  const closed = once(client, 'close').then(([code, reason]) => ({
    code: code as number,
    reason: String(reason),
  }));
  await withTimeout(once(client, 'open'), 'the ws client to connect', WAIT_MS);
  return { client, messages, closed };
}

describe('socketlab-ws echo (in process)', () => {
  it.each([
    { argv: ['--help'], code: 0, stream: 'out', says: 'echo     a WebSocket echo server' },
    { argv: ['echo', '--help'], code: 0, stream: 'out', says: '--max-payload BYTES' },
    { argv: ['echo', '--port', '70000'], code: 2, stream: 'err', says: '--port must be from 0' },
    { argv: ['echo', '--port', '-1'], code: 2, stream: 'err', says: '--port' },
    { argv: ['echo', '--max-payload', 'big'], code: 2, stream: 'err', says: '--max-payload must' },
    { argv: ['echo', '--max-unsent', '1e3'], code: 2, stream: 'err', says: '--max-unsent must' },
    { argv: ['echo', '--handshake-timeout', '0'], code: 2, stream: 'err', says: 'from 1' },
    { argv: ['echo', '--host', ''], code: 2, stream: 'err', says: '--host must not be empty' },
    { argv: ['echo', '--nope'], code: 2, stream: 'err', says: "Unknown option '--nope'" },
    { argv: ['echo', 'extra'], code: 2, stream: 'err', says: 'echo takes no arguments' },
    { argv: ['nope'], code: 2, stream: 'err', says: 'unknown command "nope"' },
  ])('$argv exits $code', async ({ argv, code, stream, says }) => {
    const result = await runCommandInProcess(runCli, argv);
    expect(result.code, result.err).toBe(code);
    expect(stream === 'out' ? result.out : result.err).toContain(says);
  });

  it('echoes text as text and binary as binary to a ws client, and closes it with 1001 on SIGINT', async () => {
    const echo = startInProcess(['echo', '--port', '0']);
    const url = await urlPrintedBy(() => echo.printed.out);
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/$/);
    const { client, messages, closed } = await wsClient(`${url}room?x=1`);
    const binary = Buffer.from([0, 1, 2, 0xff]);
    client.send('héllo');
    client.send(binary);
    client.send(Buffer.alloc(70_000, 0x61)); // a 64-bit length
    await pollUntil(() => messages.length === 3, 'three echoes', { ms: WAIT_MS });
    expect(messages[0]).toEqual({ data: Buffer.from('héllo'), isBinary: false });
    expect(messages[1]).toEqual({ data: binary, isBinary: true });
    expect(messages[2]?.data.equals(Buffer.alloc(70_000, 0x61))).toBe(true);
    expect(echo.printed.err).toContain('#1 connected: GET /room?x=1');
    echo.interrupt();
    expect((await withTimeout(closed, 'the client closed', WAIT_MS)).code).toBe(1001);
    expect(await echo.exited()).toBe(0);
    expect(echo.printed.err).toContain('#1 closed: code 1001');
    expect(echo.printed.err).toContain('socketlab-ws echo: stopped');
  });

  it('closes a client whose message passes --max-payload with 1009 and keeps serving', async () => {
    const echo = startInProcess(['echo', '--max-payload', '8']);
    const url = await urlPrintedBy(() => echo.printed.out);
    const big = await wsClient(url);
    big.client.send('123456789');
    expect((await withTimeout(big.closed, 'the close', WAIT_MS)).code).toBe(1009);
    const small = await wsClient(url);
    small.client.send('12345678');
    await pollUntil(() => small.messages.length === 1, 'the echo', { ms: WAIT_MS });
    await pollUntil(() => echo.printed.err.includes('#1 closed: code 1009'), 'the log');
  });

  it('closes a client that sends without reading with 1008 once --max-unsent bytes wait, and keeps serving others', async () => {
    const echo = startInProcess(['echo', '--max-unsent', String(256 * 1024)]);
    const url = await urlPrintedBy(() => echo.printed.out);
    const reader = await wsClient(url);
    const hog = await wsClient(url);
    // The hog never reads: once the kernel's buffers are full, the echoes queue in the server.
    (hog.client as unknown as { _socket: import('node:net').Socket })._socket.pause();
    const block = Buffer.alloc(256 * 1024, 7);
    const started = Date.now();
    for (let i = 0; i < 400 && !echo.printed.err.includes('#2 reads too slowly'); i++) {
      if (Date.now() - started > WAIT_MS) break;
      hog.client.send(block);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await pollUntil(() => echo.printed.err.includes('#2 reads too slowly'), 'the 1008 log', {
      ms: WAIT_MS,
    });
    expect(echo.printed.err).toContain('closing with 1008');
    reader.client.send('still here');
    await pollUntil(() => reader.messages.length === 1, "the other client's echo", { ms: WAIT_MS });
    expect(String(reader.messages[0]?.data)).toBe('still here');
  });

  it('serves a well-behaved client while 300 upgrades stall, and drops the stalled at --handshake-timeout', async () => {
    const echo = startInProcess(['echo', '--handshake-timeout', '1500']);
    const url = await urlPrintedBy(() => echo.printed.out);
    const port = Number(new URL(url).port);
    const stalled: net.Socket[] = [];
    for (let i = 0; i < 300; i++) {
      const socket = net.connect({ host: '127.0.0.1', port });
      onTestFinished(() => {
        socket.destroy();
      });
      socket.on('error', () => {});
      socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgr'); // and never the rest
      stalled.push(socket);
    }
    const dropped = stalled.map((socket) => nextEvent(socket, 'close', WAIT_MS));
    const good = await wsClient(url);
    good.client.send('still here');
    await pollUntil(() => good.messages.length === 1, 'the echo during the flood', { ms: WAIT_MS });
    expect(String(good.messages[0]?.data)).toBe('still here');
    await withTimeout(Promise.all(dropped), 'every stalled upgrade to be dropped', WAIT_MS);
    expect(good.client.readyState).toBe(WebSocket.OPEN);
  });

  it('exits 1 when it cannot listen', async () => {
    const first = startInProcess(['echo']);
    const port = /:(\d+)\/$/.exec(await urlPrintedBy(() => first.printed.out))?.[1] ?? '';
    const result = await runCommandInProcess(runCli, ['echo', '--port', port]);
    expect(result.code).toBe(1);
    expect(result.err).toContain('EADDRINUSE');
  });

  it('the in-process connect talks to the in-process echo', async () => {
    const echo = startInProcess(['echo']);
    const url = await urlPrintedBy(() => echo.printed.out);
    const connect = startInProcess(['connect', url]);
    connect.stdin.end('ping\npong\n');
    expect(await connect.exited()).toBe(0);
    expect(connect.printed.out).toBe('ping\npong\n');
    await pollUntil(() => echo.printed.err.includes('#1 closed: code 1000'), 'the close log');
  });
});

describe('socketlab-ws echo (spawned)', { timeout: 120_000 }, () => {
  it('prints a URL a ws client can use, echoes binary as binary, and on SIGTERM closes clients with 1001 and exits 0', async () => {
    const cli = spawnCli(['echo', '--port', '0']);
    const url = await urlPrintedBy(cli.out);
    const { client, messages, closed } = await wsClient(url);
    client.send(Buffer.from([9, 8, 7]));
    client.send('text');
    await pollUntil(() => messages.length === 2, 'two echoes', { ms: WAIT_MS });
    expect(messages).toEqual([
      { data: Buffer.from([9, 8, 7]), isBinary: true },
      { data: Buffer.from('text'), isBinary: false },
    ]);
    cli.child.kill('SIGTERM');
    expect((await withTimeout(closed, 'the client closed', WAIT_MS)).code).toBe(1001);
    const { code } = await withTimeout(cli.exited, 'the command to exit', SPAWN_WAIT_MS);
    expect(code, cli.err()).toBe(0);
    expect(cli.err()).toContain('closing 1 client(s) with 1001');
  });
});
