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
