import { runCommandInProcess, spawnSource, withTimeout } from '@socketlab/testkit';
import { io } from 'socket.io-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runChatCli } from '../src/server/command.ts';
import { startTestApp } from './helpers/chat.ts';

const here = new URL('..', import.meta.url);

describe('socketlab-chat, spawned', () => {
  it('prints the page URL, serves it, and on SIGINT tells its clients and exits 0', {
    timeout: 120_000,
  }, async () => {
    const chat = spawnSource(here, 'src/cli.ts', ['--port', '0', '--tcp-port', '0']);
    const [, url] = await chat.waitForStdout(
      /chat: open (http:\/\/127\.0\.0\.1:\d+\/) in a browser/,
      'the URL on stdout',
      // Under CI every package's tests run beside it, and tsx compiles the app's sources first.
      process.env.CI === 'true' ? 60_000 : 15_000,
    );
    const session = (await (
      await fetch(new URL('/api/session', url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ nick: 'ada' }),
      })
    ).json()) as { token: string };
    const socket = io(url, {
      transports: ['websocket'],
      reconnection: false,
      auth: { token: session.token },
    });
    onTestFinished(() => {
      socket.disconnect();
    });
    await withTimeout(new Promise((resolve) => socket.once('welcome', resolve)), 'the welcome');
    const told = withTimeout(
      new Promise((resolve) => socket.once('notice', resolve)),
      'the shutdown notice',
    );
    chat.child.kill('SIGINT');
    expect(await told).toMatchObject({ code: 'CHAT_ERR_SHUTDOWN' });
    expect(await withTimeout(chat.exited, 'the exit', 10_000)).toEqual({ code: 0, signal: null });
    expect(chat.stderr()).toMatch(/shutting down.*\n.*stopped/);
    // With the nc gateway, the second line is the command to type.
    expect(chat.stdout()).toMatch(/\nfrom a terminal: nc 127\.0\.0\.1 [1-9]\d*\n/);
  });

  it('exits 2 with the usage line for an unknown option', async () => {
    const chat = spawnSource(here, 'src/cli.ts', ['--bogus']);
    expect(await withTimeout(chat.exited, 'the exit', 15_000)).toEqual({ code: 2, signal: null });
    expect(chat.stderr()).toMatch(/^socketlab-chat: .*bogus.*\nUsage: socketlab-chat/);
  });
});

describe('socketlab-chat, in process', () => {
  it('prints its help with --help and -h', async () => {
    for (const flag of ['--help', '-h']) {
      const { code, out } = await runCommandInProcess(runChatCli, [flag]);
      expect(code).toBe(0);
      expect(out).toMatch(/^Usage: socketlab-chat \[--port N\]/);
      expect(out).toContain('--jwt-secret');
    }
  });

  it.each([
    [['--port', 'abc'], /--port must be a whole number/],
    [['--port', '70000'], /--port must be from 0 to 65535/],
    [['--port'], /argument missing|--port/],
    [['extra'], /takes no arguments/],
    [['--redis', 'redis://x', '--nats', 'nats://y'], /not both/],
    [['--host', ''], /--host must not be empty/],
  ])('exits 2 for %j', async (argv, message) => {
    const { code, err } = await runCommandInProcess(runChatCli, argv);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(err).toMatch(/Run 'socketlab-chat --help' for more\./);
  });

  it('exits 1 when it cannot start: a short JWT secret, a port in use', async () => {
    const short = await runCommandInProcess(runChatCli, [
      '--port',
      '0',
      '--tcp-port',
      '0',
      '--jwt-secret',
      'short',
    ]);
    expect(short.code).toBe(1);
    expect(short.err).toMatch(/could not start: .*32 bytes/);
    const app = await startTestApp();
    const taken = await runCommandInProcess(runChatCli, [
      '--port',
      String(app.port),
      '--tcp-port',
      '0',
    ]);
    expect(taken.code).toBe(1);
    expect(taken.err).toMatch(/could not start: .*EADDRINUSE/);
  });

  it('starts and, told to stop, closes and exits 0', async () => {
    const { code, out, err } = await runCommandInProcess(
      runChatCli,
      ['--', '--port', '0', '--tcp-port', '0'],
      {
        signal: AbortSignal.abort(),
      },
    );
    expect(code).toBe(0);
    expect(out).toMatch(/^chat: open http:\/\/127\.0\.0\.1:\d+\/ in a browser\n/);
    expect(err).toMatch(/stopped/);
  });

  it('takes the secret from JWT_SECRET too', async () => {
    const saved = process.env.JWT_SECRET;
    process.env.JWT_SECRET = 'short';
    onTestFinished(() => {
      if (saved === undefined) delete process.env.JWT_SECRET;
      else process.env.JWT_SECRET = saved;
    });
    const { code, err } = await runCommandInProcess(runChatCli, ['--port', '0', '--tcp-port', '0']);
    expect(code).toBe(1);
    expect(err).toMatch(/32 bytes/);
  });
});
