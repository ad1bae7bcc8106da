import {
  pollUntil,
  type SpawnedSource,
  spawnSource,
  WireClient,
  withTimeout,
} from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { LIFECYCLE_STEPS } from '../src/lifecycle/index.ts';

const PACKAGE_DIR = new URL('..', import.meta.url);
/**
 * Each test starts the demo through tsx, which compiles it first: a second on an idle machine,
 * over 20 s on two cores shared with a dozen other jobs (seen in `pnpm test:under-load`).
 */
const DEMO_MS = 60_000;

/** Starts the demo as `pnpm start` does; it is killed when the test ends if still running. */
function startDemo(args: string[]): SpawnedSource {
  return spawnSource(PACKAGE_DIR, 'examples/demo.ts', args, { env: { NO_COLOR: '1' } });
}

async function runDemo(args: string[]): Promise<{ code: number | null; output: string }> {
  const demo = startDemo(args);
  const { code } = await withTimeout(
    demo.exited,
    `the demo (${args.join(' ') || 'no options'}) to exit`,
    DEMO_MS,
  );
  return { code, output: demo.output() };
}

describe('the stage demo', { timeout: DEMO_MS + 10_000 }, () => {
  it('runs on its own, shows every lifecycle step and exits 0', async () => {
    const { code, output } = await runDemo([]);
    expect(code, `the demo's exit code; it printed:\n${output}`).toBe(0);
    // Every step but 'error': the demo's run is one that goes well.
    for (const step of LIFECYCLE_STEPS.filter((step) => step !== 'error')) {
      expect(output, `the demo shows the "${step}" step`).toMatch(
        new RegExp(`(server|client) [^\\n]*  ${step} `),
      );
    }
    expect(output).toContain('server listener');
    expect(output).toMatch(/client #\d+ +connect +127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+/);
    expect(output, 'no colours when stdout is not a terminal').not.toContain('\u001b[');
    if (process.platform === 'linux') {
      expect(output).toMatch(/tcp +LISTEN /);
      expect(output).toMatch(/tcp +ESTABLISHED /);
      expect(output).toMatch(/tcp +TIME-WAIT /);
    }
    expect(output).toContain('Done.');
  });

  it('explains itself with --help', async () => {
    const { code, output } = await runDemo(['--help']);
    expect(code).toBe(0);
    expect(output).toMatch(/Usage: pnpm start/);
    expect(output).toContain('--keep');
    expect(output).toContain('--blocking');
  });

  it('refuses an unknown option with exit code 2', async () => {
    const { code, output } = await runDemo(['--frobnicate']);
    expect(code).toBe(2);
    expect(output).toMatch(/Unknown option/);
  });

  it('shows a serial server next to a concurrent one with --blocking', async () => {
    const { code, output } = await runDemo(['--blocking']);
    expect(code, output).toBe(0);
    expect(output).toMatch(/B gets its echo "hello from B" only now/);
    expect(output).toMatch(/B gets its echo "hello from B" while A is still connected/);
  });

  it('keeps the server up with --keep until interrupted', async () => {
    const demo = startDemo(['--keep']);
    const port = await pollUntil(
      () => /nc 127\.0\.0\.1 (\d+)/.exec(demo.output())?.[1],
      'the demo to print how to connect with nc',
      { ms: DEMO_MS, intervalMs: 20, maxTries: DEMO_MS / 20 },
    );
    const client = await WireClient.connect('127.0.0.1', Number(port));
    onTestFinished(() => client.close());
    await client.send('typed by hand\n');
    expect(await client.readLine()).toBe('typed by hand');
    client.end();
    await client.readToEnd();
    demo.child.kill('SIGINT');
    const { code } = await withTimeout(demo.exited, 'the demo to stop after Ctrl-C', 10_000);
    expect(code, demo.output()).toBe(0);
    expect(demo.output()).toContain('The server shuts down');
  });
});
