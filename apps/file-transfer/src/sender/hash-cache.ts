/**
 * The sender's memory of large files' SHA-256, so that sending a file again (a resume after an
 * interruption) does not read it all once more before the first byte goes out. An entry holds
 * while the file keeps its device, inode, size, mtime and ctime (what git trusts for its index);
 * a stale entry cannot corrupt anything: the receiver checks the bytes against the announced
 * hash and refuses a mismatch.
 */

import type { Stats } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Files smaller than this are hashed every time: it is cheaper than remembering them. */
export const HASH_CACHE_MIN_BYTES = 16 * 1024 * 1024;
/** The most files remembered (the oldest entries go first). */
export const HASH_CACHE_MAX_ENTRIES = 1000;

/** Remembered hashes, read from and saved to one JSON file. */
export interface HashCache {
  /** The remembered SHA-256 of a file with these stats, if it is still valid. */
  get(stats: Stats): string | undefined;
  set(stats: Stats, sha256: string): void;
  /** Writes the cache (atomically); a failure is ignored: the cache is only a shortcut. */
  save(): Promise<void>;
}

const keyOf = (stats: Stats): string => `${stats.dev}:${stats.ino}`;
const versionOf = (stats: Stats): string => `${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;

/**
 * Opens the cache kept in `file` (a missing or unreadable one starts empty).
 * @example const cache = await openHashCache(path.join(ftHome(), 'hash-cache.json'));
 */
export async function openHashCache(file: string): Promise<HashCache> {
  const entries = new Map<string, [version: string, sha256: string]>();
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { entries?: unknown };
    if (parsed && typeof parsed.entries === 'object' && parsed.entries !== null) {
      for (const [key, value] of Object.entries(parsed.entries)) {
        if (
          Array.isArray(value) &&
          typeof value[0] === 'string' &&
          /^[0-9a-f]{64}$/.test(String(value[1]))
        ) {
          entries.set(key, [value[0], String(value[1])]);
        }
      }
    }
  } catch {
    // missing or damaged: start empty
  }
  let changed = false;
  return {
    get(stats) {
      if (stats.size < HASH_CACHE_MIN_BYTES) return undefined;
      const entry = entries.get(keyOf(stats));
      return entry?.[0] === versionOf(stats) ? entry[1] : undefined;
    },
    set(stats, sha256) {
      if (stats.size < HASH_CACHE_MIN_BYTES) return;
      entries.delete(keyOf(stats)); // most recent last
      entries.set(keyOf(stats), [versionOf(stats), sha256]);
      while (entries.size > HASH_CACHE_MAX_ENTRIES)
        entries.delete(entries.keys().next().value as string);
      changed = true;
    },
    async save() {
      if (!changed) return;
      const temporary = `${file}.${process.pid}.tmp`;
      try {
        await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
        await writeFile(
          temporary,
          JSON.stringify({ version: 1, entries: Object.fromEntries(entries) }),
          {
            mode: 0o600,
          },
        );
        await rename(temporary, file);
        changed = false;
      } catch {
        // the folder may not exist or be read-only: next time the file is hashed again
      }
    },
  };
}
