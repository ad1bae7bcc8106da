import net from 'node:net';
import {
  closeServer,
  connectTcp,
  listenOnFreePort,
  pollUntil,
  withTimeout,
} from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CLI_COMMANDS } from '../../src/cli/main.ts';
import { lineCodec } from '../../src/framing/line-codec.ts';
import { connectFramed } from '../../src/framing/socket.ts';
import { type RunningCli, runInProcess, spawnCli } from '../helpers/cli.ts';
import { fromHex } from '../helpers/framing-feed.ts';
import { hungUpWithin } from '../helpers/framing-peers.ts';

/** Waits for the "listening on host:port" line and returns the port. */
async function listeningPort(running: RunningCli): Promise<number> {
  const match = await pollUntil(
    () => /listening on 127\.0\.0\.1:(\d+)\n/.exec(running.output()) ?? undefined,
    'socketlab-tcp echo to print its address',
    { ms: 15_000, intervalMs: 25, maxTries: 1_000 },
  ).catch((err: Error) => {
    throw new Error(`${err.message}; it printed:\n${running.output()}`);
  });
  return Number(match[1]);
}

describe('socketlab-tcp (in process)', () => {
  it.each([
    { argv: [], code: 2, stream: 'err', says: 'Usage: socketlab-tcp <command>' },
    { argv: ['--help'], code: 0, stream: 'out', says: '  echo     a framed echo server' },
    { argv: ['-h'], code: 0, stream: 'out', says: 'Commands:' },
    { argv: ['launch'], code: 2, stream: 'err', says: 'unknown command "launch"' },
    { argv: ['echo', '--help'], code: 0, stream: 'out', says: '--max-frame BYTES' },
    { argv: ['echo'], code: 2, stream: 'err', says: '--framing is required' },
    {
      argv: ['echo', '--framing', 'json'],
      code: 2,
      stream: 'err',
      says: '--framing must be one of length, varint, line',
    },
    {
      argv: ['echo', '--framing', 'line', '--port', '70000'],
      code: 2,
      stream: 'err',
      says: '--port must be from 0 to 65535, got 70000',
    },
    {
      argv: ['echo', '--framing', 'line', '--port', '12ab'],
      code: 2,
      stream: 'err',
      says: '--port must be a whole number',
    },
    {
      argv: ['echo', '--framing', 'line', '--max-frame', '0'],
      code: 2,
      stream: 'err',
      says: '--max-frame must be from 1',
    },
    {
      argv: ['echo', '--framing', 'line', '--max-frame', '-5'],
      code: 2,
      stream: 'err',
      says: 'socketlab-tcp echo:',
    },
    {
      argv: ['echo', '--framing', 'line', '--idle-timeout', 'soon'],
      code: 2,
      stream: 'err',
      says: '--idle-timeout must be a whole number',
    },
    {
      argv: ['echo', '--framing', 'line', '--verbose'],
      code: 2,
      stream: 'err',
      says: "Unknown option '--verbose'",
    },
    {
      argv: ['echo', '--framing', 'line', 'extra'],
      code: 2,
      stream: 'err',
      says: "Run 'socketlab-tcp echo --help'",
    },
  ])('exits $code for $argv', async ({ argv, code, stream, says }) => {
    const result = await runInProcess(argv);
    expect(result.code, `output: ${result.out}${result.err}`).toBe(code);
    expect(result[stream as 'out' | 'err']).toContain(says);
  });

  it('exits 1 with the reason when the address cannot be bound', async () => {
    const taken = net.createServer();
    const { port } = await listenOnFreePort(taken, '127.0.0.1');
    onTestFinished(() => closeServer(taken));
    const result = await runInProcess(['echo', '--framing', 'line', '--port', String(port)]);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(
      new RegExp(`could not listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE`),
    );
  });

  it('keeps each command in one table', () => {
    expect(Object.keys(CLI_COMMANDS)).toContain('echo');
    for (const command of Object.values(CLI_COMMANDS)) {
      expect(command.summary.length).toBeGreaterThan(0);
      expect(command.help).toMatch(/^Usage: socketlab-tcp /);
    }
  });
});

describe('socketlab-tcp echo (spawned)', () => {
  it('serves a good client while a hostile one is closed, and stops gracefully on SIGTERM', async () => {
    const running = spawnCli(['echo', '--framing', 'length', '--max-frame', '1024']);
    const port = await listeningPort(running);
    expect(running.output()).toContain(
      'socketlab-tcp echo (length framing) listening on 127.0.0.1:',
    );

    const good = await connectFramed({ host: '127.0.0.1', port });
    onTestFinished(() => good.destroy());
    const hostile = await connectTcp(port);
    onTestFinished(() => {
      hostile.destroy();
    });
    const talk = async (): Promise<void> => {
      for (let i = 0; i < 20; i++) {
        await good.send(Buffer.from(`ping ${i}`));
        const echo = await withTimeout(good.read(), `echo ${i} from the CLI`);
        expect(echo?.toString()).toBe(`ping ${i}`);
      }
    };
    await Promise.all([
      talk(),
      (async () => {
        hostile.write(fromHex('ffffffff'));
        await hungUpWithin(hostile, 'the CLI to hang up on a 2^32-1 length');
      })(),
    ]);
    await pollUntil(
      () => running.output().includes('TCPUDP_ERR_FRAME_TOO_LARGE'),
      'the CLI to report the hostile client',
    );
    await talk();

    running.child.kill('SIGTERM');
    expect(await withTimeout(good.read(), 'the CLI to end the stream on SIGTERM')).toBeUndefined();
    await good.end();
    expect(await withTimeout(running.exited, 'the CLI to exit', 10_000), running.output()).toBe(0);
    expect(running.output()).toContain('closed');
  });

  it('speaks line framing to a client that sends CRLF, as nc -C does', async () => {
    const running = spawnCli(['echo', '--framing', 'line', '--max-frame', '64']);
    const port = await listeningPort(running);
    const client = await connectFramed({ host: '127.0.0.1', port }, { codec: lineCodec() });
    onTestFinished(() => client.destroy());
    client.socket.write('hello\r\nworld\n');
    expect((await withTimeout(client.read(), 'the first line'))?.toString()).toBe('hello');
    expect((await withTimeout(client.read(), 'the second line'))?.toString()).toBe('world');
    running.child.kill('SIGINT');
    expect(await withTimeout(client.read(), 'the CLI to end the stream on SIGINT')).toBeUndefined();
    await client.end();
    expect(
      await withTimeout(running.exited, 'the CLI to exit on SIGINT', 10_000),
      running.output(),
    ).toBe(0);
  });
});
