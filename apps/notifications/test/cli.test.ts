import { pollUntil, runCommandInProcess, spawnSource, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { connectInbox } from '../src/client.ts';
import type { AppNotification } from '../src/contract.ts';
import { runNotifyCli } from '../src/server/command.ts';

const here = new URL('..', import.meta.url);

describe('socketlab-notify, spawned', () => {
  it('prints the dashboard URL and a curl that reaches the demo user, and on SIGINT exits 0', {
    timeout: 120_000,
  }, async () => {
    const cli = spawnSource(here, 'src/cli.ts', ['--port', '0']);
    const [, url, token] = await cli.waitForStdout(
      /notifications: open (http:\/\/127\.0\.0\.1:\d+)\/#token=(\S+) in a browser/,
      'the URL on stdout',
      // Under CI every package's tests run beside it, and tsx compiles the app's sources first.
      process.env.CI === 'true' ? 60_000 : 15_000,
    );
    const curl = (
      await cli.waitForStdout(/then send one: +(curl .*)/, 'the curl line')
    )[1] as string;
    const got: AppNotification[] = [];
    let resumed = false;
    const inbox = connectInbox(url as string, {
      token: token as string,
      onNotification: (n) => got.push(n),
      onResumed: () => {
        resumed = true;
      },
      socket: { transports: ['websocket'], reconnection: false },
    });
    try {
      await pollUntil(() => resumed || undefined, 'the dashboard user to connect');
      // run what it printed, as a person would paste it: the key and body from the curl line
      const key = /-H 'x-api-key: (\S+)'/.exec(curl)?.[1] as string;
      const body = /-d '(.*)'$/.exec(curl)?.[1] as string;
      const res = await fetch(`${url}/notify`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body,
      });
      expect(res.status).toBe(202);
      await pollUntil(
        () => got.length > 0 || undefined,
        'the notification on the demo user’s socket',
      );
      expect(got[0]).toMatchObject({ user: 'demo', title: 'Hello' });
    } finally {
      inbox.close();
    }
    cli.child.kill('SIGINT');
    expect(await withTimeout(cli.exited, 'the exit', 10_000)).toEqual({ code: 0, signal: null });
    expect(cli.stderr()).toMatch(/shutting down.*\n.*stopped/);
  });

  it('exits 2 with the usage line for an unknown option', async () => {
    const cli = spawnSource(here, 'src/cli.ts', ['--bogus']);
    expect(await withTimeout(cli.exited, 'the exit', 15_000)).toEqual({ code: 2, signal: null });
    expect(cli.stderr()).toMatch(/^socketlab-notify: .*bogus.*\nUsage: socketlab-notify/);
  });
});

describe('socketlab-notify, in process', () => {
  it('prints its help with --help and -h', async () => {
    for (const flag of ['--help', '-h']) {
      const { code, out } = await runCommandInProcess(runNotifyCli, [flag]);
      expect(code).toBe(0);
      expect(out).toMatch(/^Usage: socketlab-notify \[--port N\]/);
      expect(out).toContain('--api-key');
      expect(out).toMatch(/--nats URL +share everything through NATS/);
    }
  });

  it.each([
    [['--port', 'x'], /--port must be a whole number/],
    [['--api-key', 'short'], /--api-key must be 16 to 512/],
    [['--jwt-secret', 'short'], /--jwt-secret must be at least 32 bytes/],
    [['extra'], /takes no arguments/],
    [['--webhook', 'ftp://x'], /--webhook must be an http\(s\):\/\/ URL/],
    [['--mqtt', 'localhost'], /--mqtt must be an mqtt:\/\/ URL/],
    [['--grpc', '127.0.0.1:50051'], /--grpc HOST:PORT and --symbols A,B together/],
    [['--redis', 'localhost'], /--redis must be a redis:\/\/ URL/],
    [['--nats', 'localhost:4222'], /--nats must be a nats:\/\/ \(or tls:\/\/\) URL/],
    [['--nats', 'redis://127.0.0.1:6379'], /--nats must be a nats:\/\//],
    [
      ['--redis', 'redis://127.0.0.1:6379', '--nats', 'nats://127.0.0.1:4222'],
      /give --redis or --nats, not both/,
    ],
  ])('exits 2 for %j', async (argv, message) => {
    const { code, err } = await runCommandInProcess(runNotifyCli, argv);
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });

  it.each([
    ['Redis', 'redis://127.0.0.1:1'],
    ['NATS', 'nats://127.0.0.1:1'],
  ])('exits 1 and says why when %s does not answer', async (name, url) => {
    const flag = `--${name.toLowerCase()}`;
    const { code, err } = await runCommandInProcess(runNotifyCli, ['--port', '0', flag, url]);
    expect(code).toBe(1);
    expect(err).toContain(`could not start: ${name} is not answering at ${url}`);
  });

  it('exits 1 and says why when it cannot listen', async () => {
    const blocker = await runStarted();
    onTestFinished(() => blocker.close());
    const { code, err } = await runCommandInProcess(runNotifyCli, ['--port', String(blocker.port)]);
    expect(code).toBe(1);
    expect(err).toMatch(/could not start: .*EADDRINUSE/);
  });
});

async function runStarted() {
  const { startNotifyApp } = await import('../src/server/app.ts');
  return startNotifyApp();
}
