import type { CliIo } from '@socketlab/internal';
import {
  pollUntil,
  runCommandInProcess,
  spawnSource,
  WireClient,
  withTimeout,
} from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runCli } from '../../src/cli/index.ts';

const PACKAGE_DIR = new URL('../..', import.meta.url);

/** An in-process `CliIo` that keeps what the command prints, readable while it runs. */
function captured(signal: AbortSignal): { io: CliIo; out: () => string; err: () => string } {
  const lines = { out: '', err: '' };
  const io: CliIo = {
    out: (line) => {
      lines.out += `${line}\n`;
    },
    err: (line) => {
      lines.err += `${line}\n`;
    },
    signal,
  };
  return { io, out: () => lines.out, err: () => lines.err };
}

describe('socketlab-mux chat (in process)', () => {
  it.each([
    { argv: ['--help'], code: 0, stream: 'out', says: 'chat  a chat server with rooms' },
    { argv: ['chat', '--help'], code: 0, stream: 'out', says: '--slow-policy P' },
    { argv: ['chat', '--slow-policy', 'fast'], code: 2, stream: 'err', says: 'drop or disconnect' },
    { argv: ['chat', '--port', '70000'], code: 2, stream: 'err', says: '--port must be from 0' },
    { argv: ['chat', '--high-water', '0'], code: 2, stream: 'err', says: '--high-water must be' },
    { argv: ['chat', 'extra'], code: 2, stream: 'err', says: 'chat takes no arguments' },
    { argv: ['chat', '--help'], code: 0, stream: 'out', says: '--flood-burst N' },
    {
      argv: ['chat', '--max-line', '0'],
      code: 2,
      stream: 'err',
      says: '--max-line must be from 1',
    },
    { argv: ['chat', '--max-line', '1k'], code: 2, stream: 'err', says: 'a whole number' },
    { argv: ['chat', '--flood-rate', '0'], code: 2, stream: 'err', says: 'from 0.001 to' },
    { argv: ['chat', '--flood-rate', 'fast'], code: 2, stream: 'err', says: '--flood-rate must' },
    { argv: ['chat', '--flood-burst', '0'], code: 2, stream: 'err', says: '--flood-burst must' },
    { argv: ['chat', '--flood-lines', '-1'], code: 2, stream: 'err', says: '--flood-lines' },
    { argv: ['chat', '--heartbeat', '1.5'], code: 2, stream: 'err', says: '--heartbeat must' },
  ])('$argv exits $code', async ({ argv, code, stream, says }) => {
    const result = await runCommandInProcess(runCli, argv);
    expect(result.code, result.err).toBe(code);
    expect(stream === 'out' ? result.out : result.err).toContain(says);
  });

  it('stops gracefully when its signal is aborted, telling the clients', async () => {
    const controller = new AbortController();
    const { io, out } = captured(controller.signal);
    const running = runCli(['chat', '--port', '0', '--slow-policy', 'disconnect'], io);
    onTestFinished(() => controller.abort());
    const port = await pollUntil(
      () => Number(/chat listening on 127\.0\.0\.1:(\d+)/.exec(out())?.[1]) || undefined,
      'the address line',
      { ms: 10_000 },
    );
    const client = await WireClient.connect('127.0.0.1', port);
    onTestFinished(() => client.close());
    expect(await client.readLine()).toMatch(/^\* welcome, you are guest1, in #lobby/);
    controller.abort();
    expect(await withTimeout(running, 'the command to return', 10_000)).toBe(0);
    expect((await client.readToEnd()).toString()).toContain('MULTIPLEXING_ERR_SHUTDOWN');
  });
});

describe('socketlab-mux chat limits (in process)', () => {
  /** Runs `chat ARGS` until the test ends; resolves with its port. */
  async function startChat(args: string[]): Promise<number> {
    const controller = new AbortController();
    const { io, out } = captured(controller.signal);
    const running = runCli(['chat', '--port', '0', ...args], io);
    onTestFinished(async () => {
      controller.abort();
      await running;
    });
    return pollUntil(
      () => Number(/chat listening on 127\.0\.0\.1:(\d+)/.exec(out())?.[1]) || undefined,
      'the address line',
      { ms: 10_000 },
    );
  }
  async function join(port: number): Promise<WireClient> {
    const client = await WireClient.connect('127.0.0.1', port);
    onTestFinished(() => client.close());
    expect(await client.readLine()).toMatch(/^\* welcome/);
    return client;
  }

  it('applies --max-line: a longer line gets an error naming the limit, then a close', async () => {
    const port = await startChat(['--max-line', '8']);
    const client = await join(port);
    await client.send('12345678\n123456789\n');
    expect((await client.readToEnd()).toString()).toBe(
      '! MULTIPLEXING_ERR_LIMIT_EXCEEDED line too long (over 8 bytes, maxLineBytes); closing your connection\n',
    );
  });

  it('applies --flood-rate, --flood-burst and --flood-lines', async () => {
    const port = await startChat([
      '--flood-rate',
      '0.001',
      '--flood-burst',
      '2',
      '--flood-lines',
      '1',
    ]);
    const other = await join(port);
    const flooder = await join(port);
    expect(await other.readLine()).toBe('* guest2 joined #lobby');
    await flooder.send('a\nb\nc\nd\ne\n');
    expect((await flooder.readToEnd()).toString()).toBe(
      '! too fast: over 0.001 lines per second (burst 2); lines are dropped, and after 1 more you are disconnected\n' +
        '! MULTIPLEXING_ERR_LIMIT_EXCEEDED more than 1 lines over 0.001 per second (maxFloodLines); closing your connection\n',
    );
    expect([await other.readLine(), await other.readLine(), await other.readLine()]).toEqual([
      '<guest2> a',
      '<guest2> b',
      '* guest2 left #lobby (flooding)',
    ]);
  });

  it('applies --heartbeat: a silent client is pinged, and one that answers stays', async () => {
    const port = await startChat(['--heartbeat', '250']);
    const client = await join(port);
    expect(await client.readLine()).toBe(
      '! ping: nothing heard from you for 250 ms; send any line (/pong will do) or be disconnected',
    );
    await client.send('/pong\n/who\n');
    expect(await client.readLine()).toBe('* in #lobby (1): guest1');
  });
});

describe('socketlab-mux chat (spawned)', () => {
  it('prints its address, lets two clients chat, and shuts down on SIGTERM telling them', async () => {
    const running = spawnSource(PACKAGE_DIR, 'src/cli.ts', ['chat', '--port', '0']);
    const port = await pollUntil(
      () =>
        Number(
          /chat listening on 127\.0\.0\.1:(\d+); join with: nc 127\.0\.0\.1 \1/.exec(
            running.output(),
          )?.[1],
        ) || undefined,
      'the address line',
      { ms: 40_000, intervalMs: 25, maxTries: 4_000 },
    );
    const a = await WireClient.connect('127.0.0.1', port);
    onTestFinished(() => a.close());
    await a.readLine();
    const b = await WireClient.connect('127.0.0.1', port);
    onTestFinished(() => b.close());
    await b.readLine();
    expect(await a.readLine()).toBe('* guest2 joined #lobby');
    await b.send('hello from b\n');
    expect(await a.readLine()).toBe('<guest2> hello from b');
    running.child.kill('SIGTERM');
    for (const client of [a, b]) {
      expect((await client.readToEnd(10_000)).toString()).toBe(
        '! MULTIPLEXING_ERR_SHUTDOWN the chat server is shutting down; reconnect later\n',
      );
    }
    const { code } = await withTimeout(running.exited, 'socketlab-mux chat to stop', 10_000);
    expect(code, running.output()).toBe(0);
    expect(running.output()).toContain('stopped (2 drained, 0 cut)');
  }, 60_000);
});
