import type { CliIo } from '@socketlab/internal';
import { codecForFraming, connectFramed, type FramingName } from '@socketlab/tcp-udp';
import { pollUntil, runCommandInProcess, WireClient, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runCli } from '../../src/cli/index.ts';

/** Starts `socketlab-mux echo ARGS` in process; resolves with its port and what it printed. */
async function startEcho(args: string[]) {
  const controller = new AbortController();
  const printed = { out: '', err: '' };
  const io: CliIo = {
    out: (line) => {
      printed.out += `${line}\n`;
    },
    err: (line) => {
      printed.err += `${line}\n`;
    },
    signal: controller.signal,
  };
  const running = runCli(['echo', '--port', '0', ...args], io);
  onTestFinished(async () => {
    controller.abort();
    await running;
  });
  const port = await pollUntil(
    () => Number(/listening on 127\.0\.0\.1:(\d+)$/m.exec(printed.out)?.[1]) || undefined,
    'the address line',
    { ms: 10_000 },
  );
  /** SIGINT: the command starts its shutdown; await `exited` for its exit code. */
  const interrupt = (): void => controller.abort();
  const exited = (): Promise<number> => withTimeout(running, 'the command to return', 10_000);
  return { port, printed, interrupt, exited };
}

describe('socketlab-mux echo (in process)', () => {
  it.each([
    { argv: ['--help'], code: 0, stream: 'out', says: 'echo  a framed echo server' },
    { argv: ['echo', '--help'], code: 0, stream: 'out', says: '--framing NAME' },
    { argv: ['echo', '--framing', 'csv'], code: 2, stream: 'err', says: 'one of length, varint' },
    { argv: ['echo', '--port', '70000'], code: 2, stream: 'err', says: '--port must be from 0' },
    { argv: ['echo', '--port', '-1'], code: 2, stream: 'err', says: '--port' },
    { argv: ['echo', '--max-connections', '0'], code: 2, stream: 'err', says: 'from 1 to' },
    { argv: ['echo', '--idle-timeout', '1.5'], code: 2, stream: 'err', says: 'whole number' },
    { argv: ['echo', '--heartbeat', 'often'], code: 2, stream: 'err', says: '--heartbeat must' },
    { argv: ['echo', '--high-water', '0'], code: 2, stream: 'err', says: '--high-water must be' },
    { argv: ['echo', '--max-frame', '0'], code: 2, stream: 'err', says: '--max-frame must be' },
    { argv: ['echo', '--host', ''], code: 2, stream: 'err', says: '--host must not be empty' },
    { argv: ['echo', '--nope'], code: 2, stream: 'err', says: "Unknown option '--nope'" },
    { argv: ['echo', 'extra'], code: 2, stream: 'err', says: 'echo takes no arguments' },
  ])('$argv exits $code', async ({ argv, code, stream, says }) => {
    const result = await runCommandInProcess(runCli, argv);
    expect(result.code, result.err).toBe(code);
    expect(stream === 'out' ? result.out : result.err).toContain(says);
  });

  it('exits 1 when it cannot listen', async () => {
    const first = await startEcho([]);
    const result = await runCommandInProcess(runCli, ['echo', '--port', String(first.port)]);
    expect(result.code).toBe(1);
    expect(result.err).toContain('EADDRINUSE');
  });

  it.each(['line', 'length', 'varint'] as const)(
    'echoes %s frames, then tells the client on SIGINT and reports it drained',
    async (framing: FramingName) => {
      const echo = await startEcho(['--framing', framing]);
      expect(echo.printed.out).toBe(
        `echo (${framing} framing) listening on 127.0.0.1:${echo.port}\n`,
      );
      const codec = codecForFraming(framing);
      const client = await connectFramed({ host: '127.0.0.1', port: echo.port }, { codec });
      onTestFinished(() => client.destroy());
      // Frames that a naive reader would split or join: empty, split headers, 64 KiB.
      const frames = [Buffer.from('hello'), Buffer.alloc(0), Buffer.alloc(64 * 1024 - 1, 0x61)];
      for (const frame of frames) await client.send(frame);
      for (const frame of frames) {
        expect((await withTimeout(client.read(), 'an echo', 10_000))?.equals(frame)).toBe(true);
      }
      echo.interrupt();
      expect((await client.read())?.toString()).toBe(
        'MULTIPLEXING_ERR_SHUTDOWN the server is shutting down; reconnect later',
      );
      expect(await client.read()).toBeUndefined();
      await client.end(); // a well-behaved client closes its side too
      expect(await echo.exited()).toBe(0);
      expect(echo.printed.err).toContain('stopped (1 drained, 0 cut)');
    },
  );

  it('refuses the client past --max-connections out loud and keeps serving the others', async () => {
    const echo = await startEcho(['--max-connections', '1']);
    const admitted = await WireClient.connect('127.0.0.1', echo.port);
    onTestFinished(() => admitted.close());
    await admitted.send('one\n');
    expect(await admitted.readLine()).toBe('one');
    const refused = await WireClient.connect('127.0.0.1', echo.port);
    onTestFinished(() => refused.close());
    expect((await refused.readToEnd()).toString()).toBe(
      'MULTIPLEXING_ERR_LIMIT_EXCEEDED refused: already holding maxConnections (1) connections; try again later\n',
    );
    await admitted.send('two\n');
    expect(await admitted.readLine()).toBe('two');
    expect(echo.printed.err).toContain('[MULTIPLEXING_ERR_LIMIT_EXCEEDED]');
  });

  it('closes a client whose frame breaks the framing; the others are still served', async () => {
    const echo = await startEcho(['--framing', 'length', '--max-frame', '16']);
    const good = await connectFramed(
      { host: '127.0.0.1', port: echo.port },
      { codec: codecForFraming('length') },
    );
    onTestFinished(() => good.destroy());
    const bad = await WireClient.connect('127.0.0.1', echo.port);
    onTestFinished(() => bad.close());
    bad.socket.on('error', () => {});
    await bad.send(Buffer.from([0, 0, 1, 0])); // announces 256 bytes, over --max-frame 16
    await withTimeout(
      bad.readToEnd().catch(() => Buffer.alloc(0)),
      'the bad client closed',
    );
    await good.send(Buffer.from('still here'));
    expect((await good.read())?.toString()).toBe('still here');
    await pollUntil(() => echo.printed.err.includes('closed (peer): '), 'the close on stderr');
  });
});
