import { pollUntil, WireClient, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CLI_COMMANDS } from '../../src/cli/main.ts';
import { runInProcess, spawnCli } from '../helpers/cli.ts';

describe('socketlab-tcp chat (in process)', () => {
  it('is listed in the top-level help', async () => {
    const result = await runInProcess(['--help']);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^ {2}chat +a line chat to join with nc/m);
    expect(Object.keys(CLI_COMMANDS)).toContain('chat');
  });

  it('prints its own help', async () => {
    const result = await runInProcess(['chat', '--help']);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^Usage: socketlab-tcp chat/);
    expect(result.out).toContain('--max-line BYTES');
  });

  it.each([
    {
      argv: ['chat', '--max-connections', '0'],
      says: '--max-connections must be from 1 to 100000, got 0',
    },
    { argv: ['chat', '--max-line', '1e3'], says: '--max-line must be a whole number, got "1e3"' },
    { argv: ['chat', '--port', '70000'], says: '--port must be from 0 to 65535, got 70000' },
    { argv: ['chat', '--colour'], says: "Unknown option '--colour'" },
  ])('exits 2 for $argv', async ({ argv, says }) => {
    const result = await runInProcess(argv);
    expect(result.code).toBe(2);
    expect(result.err).toContain(says);
    expect(result.err).toContain('\nUsage: socketlab-tcp chat [options]\n');
    expect(result.err).toContain("Run 'socketlab-tcp chat --help' for more.");
  });
});

describe('socketlab-tcp chat (spawned)', () => {
  it('relays a line between two clients and stops gracefully on SIGINT', async () => {
    const running = spawnCli(['chat', '--max-line', '64']);
    const printed = (): string => running.output();

    // The address goes to stdout and the nc hint to stderr: two pipes, either may be read first.
    const match = await pollUntil(
      () =>
        /nc 127\.0\.0\.1 \d+\n/.test(printed()) &&
        (/chat listening on 127\.0\.0\.1:(\d+)\n/.exec(printed()) ?? undefined),
      'socketlab-tcp chat to print its address and the nc hint',
      { ms: 15_000, intervalMs: 25, maxTries: 1_000 },
    );
    const port = Number(match[1]);
    expect(printed()).toContain(`nc 127.0.0.1 ${port}`);

    const alice = await WireClient.connect('127.0.0.1', port);
    onTestFinished(() => alice.close());
    expect(await alice.readLine()).toMatch(/^\* welcome, you are guest1 /);
    await alice.send('/nick alice\n');
    expect(await alice.readLine()).toBe('* you are now alice');

    const bob = await WireClient.connect('127.0.0.1', port);
    onTestFinished(() => bob.close());
    expect(await bob.readLine()).toMatch(/^\* welcome, you are guest2 /);
    expect(await alice.readLine()).toBe('* guest2 joined');

    await bob.send('hello from bob\n');
    expect(await alice.readLine()).toBe('<guest2> hello from bob');

    // A line over --max-line closes its sender only; alice stays in the room.
    await bob.send(`${'x'.repeat(200)}\n`);
    expect(await alice.readLine()).toMatch(/^\* guest2 left/);
    await alice.send('/who\n');
    expect(await alice.readLine()).toBe('* online (1): alice');

    running.child.kill('SIGINT');
    expect(await alice.readLine()).toBe('* server shutting down');
    expect(await withTimeout(running.exited, 'socketlab-tcp chat to exit', 10_000)).toBe(0);
    expect(printed()).toContain('closing (online: alice)');
  });
});
