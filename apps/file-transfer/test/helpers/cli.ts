/** Running the real `socketlab-ft` in tests: receivers on port 0, senders, trees and hashes. */
import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream, mkdtempSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pollUntil, type SpawnedSource, spawnSource, withTimeout } from '@socketlab/testkit';
import { afterAll } from 'vitest';

export const APP_DIR = new URL('../..', import.meta.url);
/** The app's folder (hash cache, TLS identity, known hosts) for this test file: never the user's. */
const FT_HOME = mkdtempSync(path.join(tmpdir(), 'ft-home-'));
afterAll(() => rm(FT_HOME, { recursive: true, force: true }));
/** Slow CI machines start tsx slowly: every wait on a process is this long at least. */
export const PROCESS_WAIT_MS = process.env.CI === 'true' ? 60_000 : 20_000;

/** A receiver started with `socketlab-ft receive --port 0 --host 127.0.0.1 …`. */
export interface SpawnedReceiver extends SpawnedSource {
  port: number;
  code: string;
}

/** Starts a receiver into `dir` and waits for the port and code it prints. */
export async function spawnReceiver(
  dir: string,
  extra: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<SpawnedReceiver> {
  const child = spawnSource(
    APP_DIR,
    'src/cli.ts',
    ['receive', '--dir', dir, '--port', '0', '--host', '127.0.0.1', ...extra],
    { env: { SOCKETLAB_FT_HOME: FT_HOME, ...env } },
  );
  const [port, code] = await pollUntil(
    () => {
      const out = child.stdout();
      const port = /listening on 127\.0\.0\.1:(\d+)/.exec(out)?.[1];
      const code = /^code: (\S+)$/m.exec(out)?.[1];
      return port && code ? ([Number(port), code] as const) : undefined;
    },
    `the receiver's port and code (it printed: ${child.output()})`,
    { ms: PROCESS_WAIT_MS, intervalMs: 20, maxTries: 10_000 },
  ).catch((error: Error) => {
    throw new Error(`${error.message}; the receiver printed: ${child.output()}`);
  });
  return Object.assign(child, { port, code });
}

/** Runs `socketlab-ft send …` to the end. */
export async function runSender(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> {
  const child = spawnSender(args, env);
  const exit = await withTimeout(
    child.exited,
    `the sender's exit (${args.join(' ')})`,
    PROCESS_WAIT_MS * 2,
  );
  return { ...exit, out: child.stdout(), err: child.stderr() };
}

/** Starts `socketlab-ft send …` and returns at once. */
export function spawnSender(
  args: readonly string[],
  env: Record<string, string> = {},
): SpawnedSource {
  return spawnSource(APP_DIR, 'src/cli.ts', ['send', ...args], {
    env: { SOCKETLAB_FT_HOME: FT_HOME, ...env },
  });
}

/** SHA-256 of a file, streamed (a 200 MiB file never sits in memory). */
export async function hashOfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Writes `size` random bytes to `file` in 4 MiB pieces. */
export async function writeRandomFile(file: string, size: number): Promise<void> {
  const handle = await open(file, 'w');
  try {
    const block = Buffer.alloc(4 * 1024 * 1024);
    for (let at = 0; at < size; at += block.length) {
      const piece = block.subarray(0, Math.min(block.length, size - at));
      randomFillSync(piece);
      await handle.write(piece);
    }
  } finally {
    await handle.close();
  }
}

/** Every entry under `root` as `relative path → 'dir' | sha256`, for comparing two trees. */
export async function describeTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const rel = path.relative(root, full);
      if (entry.isDirectory()) {
        out[rel] = 'dir';
        await walk(full);
      } else {
        const size = (await stat(full)).size;
        out[rel] =
          size > 16 * 1024 * 1024
            ? await hashOfFile(full)
            : createHash('sha256')
                .update(await readFile(full))
                .digest('hex');
      }
    }
  };
  await walk(root);
  return out;
}

/** Makes `files` (relative path → content) and `emptyDirs` under `root`. */
export async function makeTree(
  root: string,
  files: Record<string, string | Buffer>,
  emptyDirs: readonly string[] = [],
): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await writeFile(path.join(root, name), content);
  }
  for (const dir of emptyDirs) await mkdir(path.join(root, dir), { recursive: true });
}
