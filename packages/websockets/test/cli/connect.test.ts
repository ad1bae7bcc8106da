import { once } from 'node:events';
import { freePort, pollUntil, runCommandInProcess, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runCli } from '../../src/cli/index.ts';
import { type WebSocketConnection, WebSocketServer } from '../../src/connection/index.ts';
import { rawUpgradeServer, SPAWN_WAIT_MS, spawnCli, startInProcess, WAIT_MS } from './helpers.ts';

/** Our server, echoing; resolves with its URL and the close code of each client, in order. */
async function echoServer(onConnection?: (ws: WebSocketConnection) => void) {
  const wss = new WebSocketServer({ port: 0 });
  onTestFinished(() => wss.close());
  await once(wss, 'listening');
  const closes: number[] = [];
  const requests: string[] = [];
  wss.on('connection', (ws, request) => {
    requests.push([...request.headers].map(([name, value]) => `${name}: ${value}`).join('\n'));
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('close', (code) => closes.push(code));
    onConnection?.(ws);
  });
  return { url: `ws://127.0.0.1:${wss.port}/`, closes, requests };
}

describe('socketlab-ws connect (in process)', () => {
  it.each([
    { argv: ['--help'], code: 0, stream: 'out', says: 'connect  a WebSocket client' },
    { argv: [], code: 2, stream: 'err', says: 'Usage: socketlab-ws <command>' },
    { argv: ['connect', '--help'], code: 0, stream: 'out', says: '<binary N bytes: hex…>' },
    { argv: ['connect'], code: 2, stream: 'err', says: 'the <url> is required' },
    { argv: ['connect', 'ws://a/', 'ws://b/'], code: 2, stream: 'err', says: 'one <url> expected' },
    { argv: ['connect', 'not a url'], code: 2, stream: 'err', says: 'is not a URL' },
    { argv: ['connect', 'http://127.0.0.1/'], code: 2, stream: 'err', says: 'ws://' },
    {
      argv: ['connect', 'ws://a/', '--nope'],
      code: 2,
      stream: 'err',
      says: "Unknown option '--nope'",
    },
    {
      argv: ['connect', 'ws://a/', '--header', 'nocolon'],
      code: 2,
      stream: 'err',
      says: "'Name: value'",
    },
    { argv: ['connect', 'ws://a/', '--header', 'X-A: b\rc'], code: 2, stream: 'err', says: 'X-A' },
    {
      argv: ['connect', 'ws://a/', '--handshake-timeout', '0'],
      code: 2,
      stream: 'err',
      says: '--handshake-timeout must be from 1',
    },
    {
      argv: ['connect', 'ws://a/', '--handshake-timeout', '1e3'],
      code: 2,
      stream: 'err',
      says: 'whole number',
    },
  ])('$argv exits $code', async ({ argv, code, stream, says }) => {
    const result = await runCommandInProcess(runCli, argv);
    expect(result.code, result.err).toBe(code);
    expect(stream === 'out' ? result.out : result.err).toContain(says);
  });

  it('sends each stdin line as a text message, prints the echoes, and closes with 1000 at the end of stdin', async () => {
    const server = await echoServer();
    const run = startInProcess([
      'connect',
      server.url,
      '--header',
      'X-Test: yes',
      '--origin',
      'http://example.test',
    ]);
    run.stdin.write('hello\n');
    await pollUntil(() => run.printed.out === 'hello\n', 'the first echo', { ms: WAIT_MS });
    run.stdin.end('héllo wörld\r\n\nlast line without newline');
    expect(await run.exited()).toBe(0);
    expect(run.printed.out).toBe('hello\nhéllo wörld\n\nlast line without newline\n');
    expect(run.printed.err).toBe(`connected to ${server.url}\nclosed: code 1000\n`);
    await pollUntil(() => server.closes.length === 1, 'the server to see the close');
    expect(server.closes).toEqual([1000]);
    expect(server.requests[0]).toContain('x-test: yes');
    expect(server.requests[0]).toContain('origin: http://example.test');
  });

  it('prints binary messages as hex, cut after 32 bytes, and exits 0 when the server closes with 1001', async () => {
    const server = await echoServer((ws) => {
      ws.send(Buffer.from([0, 1, 0xfe, 0xff]));
      ws.send(Buffer.alloc(40, 0xab));
      ws.close(1001, 'bye');
    });
    const run = startInProcess(['connect', server.url]);
    expect(await run.exited()).toBe(0);
    expect(run.printed.out).toBe(
      `<binary 4 bytes: 0001feff>\n<binary 40 bytes: ${'ab'.repeat(32)}…>\n`,
    );
    expect(run.printed.err).toContain('closed: code 1001 (reason "bye")');
  });

  it('offers each --protocol and says which one the server chose', async () => {
    const wss = new WebSocketServer({ port: 0, protocols: ['b'] });
    onTestFinished(() => wss.close());
    await once(wss, 'listening');
    wss.on('connection', (ws) => ws.close(1000));
    const result = await runCommandInProcess(runCli, [
      'connect',
      `ws://127.0.0.1:${wss.port}/`,
      '--protocol',
      'a',
      '--protocol',
      'b',
    ]);
    expect(result.code, result.err).toBe(0);
    expect(result.err).toContain('(protocol b)');
  });

  it('exits 1 with the close code 1002 when the server breaks the protocol (a reserved bit set)', async () => {
    // FIN + RSV1 + text, unmasked, 2 bytes: RSV1 without a negotiated extension (RFC 6455 §5.2).
    const url = await rawUpgradeServer(Buffer.from([0xc1, 0x02, 0x68, 0x69]));
    const run = startInProcess(['connect', url]);
    expect(await run.exited()).toBe(1);
    expect(run.printed.err).toContain('[WEBSOCKET_ERR_PROTOCOL]');
    expect(run.printed.err).toMatch(/the connection failed: code 1002/);
    expect(run.printed.out).toBe('');
  });

  it('exits 1 with 1006 when the connection drops without a close frame', async () => {
    const url = await rawUpgradeServer('destroy');
    const run = startInProcess(['connect', url]);
    expect(await run.exited()).toBe(1);
    expect(run.printed.err).toContain('the connection failed: code 1006');
  });

  it('exits 1 with a clear message when the connection is refused', async () => {
    const port = await freePort(); // closed again: nothing listens
    const result = await runCommandInProcess(runCli, ['connect', `ws://127.0.0.1:${port}/`]);
    expect(result.code).toBe(1);
    expect(result.err).toContain(`could not connect to ws://127.0.0.1:${port}`);
    expect(result.err).toContain('ECONNREFUSED');
    expect(result.err).toContain('[WEBSOCKET_ERR_CONNECTION]');
  });

  it('exits 1 when the server refuses the handshake, naming the status', async () => {
    const wss = new WebSocketServer({ port: 0, checkOrigin: () => false });
    onTestFinished(() => wss.close());
    await once(wss, 'listening');
    const result = await runCommandInProcess(runCli, ['connect', `ws://127.0.0.1:${wss.port}/`]);
    expect(result.code).toBe(1);
    expect(result.err).toContain('403');
    expect(result.err).toContain('[WEBSOCKET_ERR_HANDSHAKE]');
  });

  it('exits 1 when --ca cannot be read', async () => {
    const result = await runCommandInProcess(runCli, [
      'connect',
      'wss://127.0.0.1:1/',
      '--ca',
      '/nonexistent/ca.pem',
    ]);
    expect(result.code).toBe(1);
    expect(result.err).toContain('--ca: cannot read /nonexistent/ca.pem');
  });

  it('closes with 1000 on SIGINT and exits 0', async () => {
    const server = await echoServer();
    const run = startInProcess(['connect', server.url]);
    await pollUntil(() => run.printed.err.includes('connected'), 'the connection');
    run.interrupt();
    expect(await run.exited()).toBe(0);
    await pollUntil(() => server.closes.length === 1, 'the server to see the close');
    expect(server.closes).toEqual([1000]);
  });
});

describe('socketlab-ws connect (spawned)', { timeout: 120_000 }, () => {
  it('sends stdin lines, prints the echoes on stdout, and exits 0 after closing with 1000 at the end of stdin', async () => {
    const server = await echoServer();
    const cli = spawnCli(['connect', server.url]);
    cli.child.stdin?.end('one\ntwo\nthree\n');
    const { code } = await withTimeout(cli.exited, 'the command to exit', SPAWN_WAIT_MS);
    expect(code, cli.err()).toBe(0);
    expect(cli.out()).toBe('one\ntwo\nthree\n');
    expect(cli.err()).toContain('closed: code 1000');
    await pollUntil(() => server.closes.length === 1, 'the server to see the close');
    expect(server.closes).toEqual([1000]);
  });

  it('exits 0 when the server closes with 1000 while stdin is still open', async () => {
    const server = await echoServer((ws) => ws.close(1000, 'done'));
    const cli = spawnCli(['connect', server.url]); // stdin left open: the process must not wait on it
    const { code } = await withTimeout(cli.exited, 'the command to exit', SPAWN_WAIT_MS);
    expect(code, cli.err()).toBe(0);
    expect(cli.err()).toContain('closed: code 1000 (reason "done")');
  });
});
