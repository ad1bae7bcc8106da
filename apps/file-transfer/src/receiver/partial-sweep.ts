/**
 * Removes stale partial files from the receiving folder: a transfer that is never resumed (a
 * page closed for good, a sender that never comes back) leaves its hidden
 * `.<name>.<16 hex>.partial` behind. Both ways in name their partials so (stage 2's receiver
 * after the file's SHA-256, the upload page after its upload id), in the folder and its
 * subfolders. A sweep walks the tree without following symlinks, with a bound on the entries it
 * reads, and unlinks the regular files named like a partial whose mtime is older than the
 * maximum age. A partial being written has a fresh mtime; those the caller names as in use (and
 * every one while the caller says it is busy) are left alone whatever their age.
 */
import nodeFs from 'node:fs/promises';
import path from 'node:path';
import { checkInteger } from '@socketlab/internal';

/** A partial file's name, from either way in: hidden, then 16 hex digits, then `.partial`. */
export const PARTIAL_NAME_PATTERN = /^\..+\.[0-9a-f]{16}\.partial$/;
/** How old a partial may get before a sweep removes it: 7 days. */
export const DEFAULT_PARTIAL_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
/** How often a running receiver sweeps: every hour. */
export const DEFAULT_PARTIAL_SWEEP_INTERVAL_MS = 60 * 60 * 1000;
/** The most folder entries one sweep reads; a larger tree is swept in part. */
export const DEFAULT_PARTIAL_SWEEP_MAX_ENTRIES = 100_000;

/** The longest delay a Node timer takes (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The file-system operations of a sweep. */
export interface PartialSweepFs {
  readdir(
    path: string,
    options: { withFileTypes: true },
  ): Promise<{ name: string; isFile(): boolean; isDirectory(): boolean }[]>;
  lstat(path: string): Promise<{ size: number; mtimeMs: number; isFile(): boolean }>;
  unlink(path: string): Promise<void>;
}

/** Options of {@link sweepPartials}. */
export interface PartialSweepOptions {
  /** The receiving folder (absolute). */
  directory: string;
  /** Remove partials whose mtime is older than this; 0 never removes any. */
  maxAgeMs: number;
  /** The partial files in use now (absolute paths): never removed. @default none */
  inUse?: () => Iterable<string>;
  /** The most folder entries to read. @default 100000 */
  maxEntries?: number;
  /** The clock. @default Date.now */
  now?: () => number;
  /** @default node:fs/promises */
  fs?: PartialSweepFs;
}

/** What one sweep did. */
export interface PartialSweepResult {
  removed: number;
  /** The removed partials' bytes. */
  bytes: number;
  /** Folder entries read. */
  entries: number;
  /** True when `maxEntries` stopped the walk before the end of the tree. */
  truncated: boolean;
  /** Partials that could not be removed (permission, a race), with the error's code. */
  failed: { path: string; code: string }[];
}

/**
 * Removes the partial files under `directory` older than `maxAgeMs`, except those in use.
 * Never follows a symlink (a symlink named like a partial is not a regular file, and a linked
 * folder is not entered).
 * @throws {RangeError} for a bad `maxAgeMs` or `maxEntries`; rejects when `directory` cannot be read.
 * @example
 * const { removed, bytes } = await sweepPartials({ directory: '/srv/inbox', maxAgeMs: DEFAULT_PARTIAL_MAX_AGE_MS });
 */
export async function sweepPartials(options: PartialSweepOptions): Promise<PartialSweepResult> {
  const maxAgeMs = checkInteger('maxAgeMs', options.maxAgeMs, 0);
  const maxEntries = checkInteger(
    'maxEntries',
    options.maxEntries ?? DEFAULT_PARTIAL_SWEEP_MAX_ENTRIES,
    1,
  );
  const result: PartialSweepResult = {
    removed: 0,
    bytes: 0,
    entries: 0,
    truncated: false,
    failed: [],
  };
  if (maxAgeMs === 0) return result;
  const fs = options.fs ?? nodeFs;
  const cutoff = (options.now ?? Date.now)() - maxAgeMs;
  const folders = [options.directory];
  for (let folder = folders.pop(); folder !== undefined; folder = folders.pop()) {
    let entries: Awaited<ReturnType<PartialSweepFs['readdir']>>;
    try {
      entries = await fs.readdir(folder, { withFileTypes: true });
    } catch (error) {
      if (folder === options.directory) throw error;
      continue; // a subfolder removed or unreadable meanwhile
    }
    for (const entry of entries) {
      if (result.entries >= maxEntries) {
        result.truncated = true;
        return result;
      }
      result.entries += 1;
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) folders.push(full);
      else if (entry.isFile() && PARTIAL_NAME_PATTERN.test(entry.name)) {
        await removeIfStale(fs, full, cutoff, options.inUse, result);
      }
    }
  }
  return result;
}

async function removeIfStale(
  fs: PartialSweepFs,
  file: string,
  cutoff: number,
  inUse: (() => Iterable<string>) | undefined,
  result: PartialSweepResult,
): Promise<void> {
  try {
    const stats = await fs.lstat(file);
    if (!stats.isFile() || stats.mtimeMs >= cutoff) return;
    // Asked last, just before the unlink: an upload may have opened it while the walk went on.
    if (inUse !== undefined && new Set(inUse()).has(file)) return;
    await fs.unlink(file);
    result.removed += 1;
    result.bytes += stats.size;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    if (code !== 'ENOENT') result.failed.push({ path: file, code });
  }
}

/** Options of {@link startPartialSweeper}. */
export interface PartialSweeperOptions extends PartialSweepOptions {
  /** How often to sweep after the first one (at start). @default 3600000 */
  intervalMs?: number;
  /** While true (a transfer is running), a sweep is skipped: a partial being re-hashed for a resume still has its old mtime. */
  busy?: () => boolean;
  /** Told of each sweep's result. */
  onSweep?: (result: PartialSweepResult) => void;
  /** Told when a sweep fails as a whole (the folder cannot be read). */
  onError?: (error: unknown) => void;
}

/** A running sweeper; see {@link startPartialSweeper}. */
export interface PartialSweeper {
  /** Sweeps now (unless busy or already sweeping); resolves with the result, or undefined when skipped. */
  sweep(): Promise<PartialSweepResult | undefined>;
  /** Stops the timer and waits for a sweep in progress. */
  close(): Promise<void>;
}

/**
 * Sweeps stale partials at once and then every `intervalMs` (the timer is unref'd: it never
 * keeps the process alive). With `maxAgeMs` 0 it never sweeps.
 * @throws {RangeError} for a bad `maxAgeMs` or `intervalMs`.
 * @example
 * const sweeper = startPartialSweeper({ directory, maxAgeMs, onSweep: (r) => console.log(r.removed) });
 * await sweeper.close();
 */
export function startPartialSweeper(options: PartialSweeperOptions): PartialSweeper {
  checkInteger('maxAgeMs', options.maxAgeMs, 0);
  const intervalMs = checkInteger(
    'intervalMs',
    options.intervalMs ?? DEFAULT_PARTIAL_SWEEP_INTERVAL_MS,
    1,
    MAX_TIMER_MS,
  );
  let running: Promise<PartialSweepResult | undefined> | undefined;
  let closed = false;
  const sweep = (): Promise<PartialSweepResult | undefined> => {
    if (closed || options.maxAgeMs === 0 || options.busy?.()) return Promise.resolve(undefined);
    running ??= sweepPartials(options)
      .then(
        (result) => {
          options.onSweep?.(result);
          return result;
        },
        (error: unknown) => {
          options.onError?.(error);
          return undefined;
        },
      )
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = options.maxAgeMs === 0 ? undefined : setInterval(() => void sweep(), intervalMs);
  timer?.unref();
  void sweep();
  return {
    sweep,
    close: async () => {
      closed = true;
      clearInterval(timer);
      await running;
    },
  };
}
