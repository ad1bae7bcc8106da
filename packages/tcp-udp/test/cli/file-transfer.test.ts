import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  freePort,
  listenTestServer,
  pollUntil,
  seededBytes,
  tempDir,
  withTimeout,
} from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import { runInProcess, spawnCli } from '../helpers/cli.ts';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** What a command printed, and its exit code once it has ended. */
interface Ran {
  out: string[];
  err: string[];
  code: Promise<number>;
}

/** Runs `socketlab-tcp` in this process; `stop()` is its Ctrl-C. */
function runUntilStopped(argv: string[]): Ran & { stop(): Promise<number> } {
  const controller = new AbortController();
  const out: string[] = [];
  const err: string[] = [];
  const code = runCli(argv, {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    signal: controller.signal,
  });
  const stop = (): Promise<number> => {
    controller.abort();
    return withTimeout(code, `socketlab-tcp ${argv[0]} to stop`, 10_000);
  };
  onTestFinished(async () => {
    await stop();
  });
  return { out, err, code, stop };
}

/** Runs a client command (`send`) in this process to its end, never interrupted. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const running = runUntilStopped(argv);
  const code = await withTimeout(running.code, `socketlab-tcp ${argv.join(' ')}`, 15_000);
  return { code, out: running.out.join('\n'), err: running.err.join('\n') };
}

/** `socketlab-tcp receive` in this process, once it listens: its port and what it printed. */
async function receive(args: string[]): Promise<Ran & { port: number; stop(): Promise<number> }> {
  const running = runUntilStopped(['receive', ...args]);
  const line = await pollUntil(
    () =>
      running.out.find((l) => l.includes(' listening on ')) ??
      (running.err.length > 0 ? `failed: ${running.err.join('\n')}` : undefined),
    'socketlab-tcp receive to print its address',
    { ms: 10_000, intervalMs: 10, maxTries: 1_000 },
  );
  const port = /:(\d+), writing into /.exec(line)?.[1];
  if (port === undefined) throw new Error(`socketlab-tcp receive printed: ${line}`);
  return { ...running, port: Number(port) };
}

async function files(dir: string, contents: Record<string, Uint8Array>): Promise<string[]> {
  const paths = [];
  for (const [name, bytes] of Object.entries(contents)) {
    await writeFile(path.join(dir, name), bytes);
    paths.push(path.join(dir, name));
  }
  return paths;
}

describe('socketlab-tcp receive and send: calling them wrongly', () => {
  it.each([
    { argv: ['--help'], code: 0, stream: 'out', says: 'receive  receive files into a directory' },
    { argv: ['receive', '--help'], code: 0, stream: 'out', says: '--allow-subdirectories' },
    { argv: ['send', '--help'], code: 0, stream: 'out', says: '[::1]:7000' },
    { argv: ['send', 'a.txt', '-h'], code: 0, stream: 'out', says: 'Usage: socketlab-tcp send' },
    {
      argv: ['send', '--', '-h', '127.0.0.1:0'],
      code: 2,
      stream: 'err',
      says: "the receiver's port must be from 1 to 65535",
    },
    { argv: ['receive'], code: 2, stream: 'err', says: '--dir is required' },
    {
      argv: ['receive', '--dir', '/nonexistent/socketlab-inbox'],
      code: 2,
      stream: 'err',
      says: '--dir must be an existing directory, got "/nonexistent/socketlab-inbox"',
    },
    {
      argv: ['receive', '--dir', '.', '--min-body-rate', 'fast'],
      code: 2,
      stream: 'err',
      says: '--min-body-rate must be a whole number, got "fast"',
    },
    {
      argv: ['receive', '--dir', '.', '--max-buffered-bytes', '1000'],
      code: 2,
      stream: 'err',
      says: '--max-buffered-bytes must be from 65536 to 1099511627776, got 1000',
    },
    {
      argv: ['receive', '--dir', '.', '--max-sessions-per-peer', '0'],
      code: 2,
      stream: 'err',
      says: '--max-sessions-per-peer must be from 1 to 100000, got 0',
    },
    {
      argv: ['receive', '--dir', '.', '--host', 'localhost'],
      code: 2,
      stream: 'err',
      says: '--host must be an IP address, got "localhost"',
    },
    {
      argv: ['receive', '--dir', '.', '--max-file-bytes', '1e6'],
      code: 2,
      stream: 'err',
      says: '--max-file-bytes must be a whole number',
    },
    {
      argv: ['receive', '--dir', '.', '--idle-timeout', '0'],
      code: 2,
      stream: 'err',
      says: '--idle-timeout must be from 1',
    },
    {
      argv: ['send'],
      code: 2,
      stream: 'err',
      says: 'give at least one file and the receiver as host:port',
    },
    {
      argv: ['send', 'a.txt'],
      code: 2,
      stream: 'err',
      says: 'give the receiver as host:port after the files (got only "a.txt")',
    },
    {
      argv: ['send', 'a.txt', '127.0.0.1'],
      code: 2,
      stream: 'err',
      says: 'the receiver must be host:port: invalid endpoint',
    },
    { argv: ['send', 'a.txt', '::1:7000'], code: 2, stream: 'err', says: 'invalid endpoint' },
    {
      argv: ['send', 'a.txt', '127.0.0.1:0'],
      code: 2,
      stream: 'err',
      says: "the receiver's port must be from 1 to 65535",
    },
    {
      argv: ['send', 'a.txt', 'unix:/tmp/x.sock'],
      code: 2,
      stream: 'err',
      says: 'must be host:port over TCP',
    },
    {
      argv: ['send', 'a.txt', '127.0.0.1:7000', '--connect-timeout', 'soon'],
      code: 2,
      stream: 'err',
      says: '--connect-timeout must be a whole number',
    },
  ])('exits $code for $argv', async ({ argv, code, stream, says }) => {
    const result = await runInProcess(argv);
    expect(result.code, `output: ${result.out}${result.err}`).toBe(code);
    expect(result[stream as 'out' | 'err']).toContain(says);
    if (code === 2 && argv.length > 0) {
      expect(result.err, 'a misuse shows the usage line').toContain(
        `\nUsage: socketlab-tcp ${argv[0]} `,
      );
    }
  });

  it('exits 1 with the reason when nothing listens at host:port', async () => {
    const src = await tempDir('socketlab-cli-send-');
    const [file = ''] = await files(src, { 'a.txt': Buffer.from('a') });
    const port = await freePort();
    const result = await run(['send', file, `127.0.0.1:${port}`]);
    expect(result.code, result.err).toBe(1);
    expect(result.err).toMatch(
      /socketlab-tcp send: cannot connect to 127\.0\.0\.1:\d+: .*ECONNREFUSED/,
    );
  });

  it('exits 1 before connecting when a file is missing or a directory', async () => {
    const src = await tempDir('socketlab-cli-send-');
    const [file = ''] = await files(src, { 'a.txt': Buffer.from('a') });
    const missing = path.join(src, 'missing.txt');
    // Port 9 (discard) is never dialled: the files are checked first.
    const result = await run(['send', file, missing, '127.0.0.1:9']);
    expect(result.code, result.err).toBe(1);
    expect(result.err).toContain(
      `cannot send ${JSON.stringify(missing)}: no such file; nothing was sent`,
    );
    const directory = await run(['send', src, '127.0.0.1:9']);
    expect(directory.code, directory.err).toBe(1);
    expect(directory.err).toContain('not a regular file (a directory)');
  });
});

describe('socketlab-tcp receive and send: a round trip', () => {
  it('delivers files byte for byte (SHA-256 equal), then skips them as identical', async () => {
    const [src, inbox] = [await tempDir('socketlab-cli-src-'), await tempDir('socketlab-cli-in-')];
    const contents = {
      'empty.bin': new Uint8Array(0),
      'small.txt': Buffer.from('hello, receiver\n'),
      'seeded.bin': seededBytes(81, 3 * 1024 * 1024 + 17),
    };
    const paths = await files(src, contents);
    const receiver = await receive(['--dir', inbox]);
    const sent = await run(['send', ...paths, `127.0.0.1:${receiver.port}`]);
    expect(sent.code, `${sent.out}${sent.err}`).toBe(0);
    for (const [name, bytes] of Object.entries(contents)) {
      expect(sha256(await readFile(path.join(inbox, name))), `${name} (seed 81)`).toBe(
        sha256(bytes),
      );
      expect(sent.out).toContain(
        `sent ${name} (${bytes.length} bytes, ${bytes.length} on the wire) sha256 ${sha256(bytes)}`,
      );
      expect(receiver.out).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^received ${name.replace('.', '\\.')} \\(${bytes.length} bytes\\) sha256 ${sha256(bytes)} from 127\\.0\\.0\\.1:\\d+$`,
          ),
        ),
      );
    }
    expect(sent.err, 'progress of the 3 MiB file').toContain(
      `seeded.bin: 100% ${contents['seeded.bin'].length}/`,
    );

    const again = await run(['send', ...paths, `127.0.0.1:${receiver.port}`]);
    expect(again.code, `${again.out}${again.err}`).toBe(0);
    expect(again.out).toContain('skipped small.txt: the receiver already has it, identical');
    await pollUntil(
      () => receiver.out.filter((l) => l.startsWith('skipped ')).length === 3,
      'the receiver to print three skipped lines',
    );
    expect(await receiver.stop()).toBe(0);
  });

  it('sends to [::1]:port, into a subdirectory when the receiver allows it', async () => {
    const [src, inbox] = [await tempDir('socketlab-cli-src-'), await tempDir('socketlab-cli-in-')];
    const [file = ''] = await files(src, { 'v6.bin': seededBytes(82, 5000) });
    await mkdir(path.join(inbox, 'unused'));
    const receiver = await receive(['--dir', inbox, '--host', '::1', '--allow-subdirectories']);
    expect(receiver.out[0]).toMatch(/listening on \[::1\]:\d+, writing into /);
    const sent = await run(['send', file, `[::1]:${receiver.port}`]);
    expect(sent.code, `${sent.out}${sent.err}`).toBe(0);
    expect(sent.err).toContain(`sending to [::1]:${receiver.port}`);
    expect(sha256(await readFile(path.join(inbox, 'v6.bin')))).toBe(sha256(seededBytes(82, 5000)));
  });
});

describe('socketlab-tcp receive and send (spawned)', () => {
  it('exits 1 with the reason for a refused file, delivers the rest, and the receiver stops on SIGTERM', async () => {
    const [src, inbox] = [await tempDir('socketlab-cli-src-'), await tempDir('socketlab-cli-in-')];
    const paths = await files(src, {
      'fits.bin': seededBytes(83, 100),
      'too-big.bin': seededBytes(84, 101),
    });
    const receiving = spawnCli(['receive', '--dir', inbox, '--max-file-bytes', '100']);
    const match = await pollUntil(
      () => /listening on 127\.0\.0\.1:(\d+), writing into /.exec(receiving.output()) ?? undefined,
      'socketlab-tcp receive to print its address',
      { ms: 15_000, intervalMs: 25, maxTries: 1_000 },
    );
    const sending = spawnCli(['send', ...paths, `127.0.0.1:${match[1]}`]);
    expect(
      await withTimeout(sending.exited, 'socketlab-tcp send to exit', 15_000),
      sending.output(),
    ).toBe(1);
    expect(sending.output()).toContain('sent fits.bin (100 bytes');
    expect(sending.output()).toMatch(
      /refused too-big\.bin: the receiver refused "too-big\.bin": too-large: /,
    );
    expect(sending.output()).toContain('1 of 2 file(s) not delivered: too-big.bin (refused)');
    expect(await readFile(path.join(inbox, 'fits.bin'))).toEqual(seededBytes(83, 100));
    await pollUntil(
      () => receiving.output().includes('refused too-big.bin: too-large: '),
      'the receiver to print the refusal',
    );
    receiving.child.kill('SIGTERM');
    expect(await withTimeout(receiving.exited, 'socketlab-tcp receive to exit', 10_000)).toBe(0);
    expect(receiving.output()).toContain('closed');
  });

  it('stops on SIGINT while the receiver is silent, exits 130 and says how to resume', async () => {
    const src = await tempDir('socketlab-cli-src-');
    const [file = ''] = await files(src, { 'a.bin': seededBytes(85, 1000) });
    // A "receiver" that accepts and never answers: send waits for its hello.
    let accepted: () => void = () => {};
    const connected = new Promise<void>((resolve) => {
      accepted = resolve;
    });
    const { port } = await listenTestServer(() => accepted());
    const sending = spawnCli(['send', file, `127.0.0.1:${port}`]);
    await withTimeout(connected, 'socketlab-tcp send to connect', 15_000);
    sending.child.kill('SIGINT');
    expect(await withTimeout(sending.exited, 'socketlab-tcp send to exit on SIGINT', 10_000)).toBe(
      130,
    );
    expect(sending.output()).toContain('interrupted; the receiver keeps what arrived');
  });
});
