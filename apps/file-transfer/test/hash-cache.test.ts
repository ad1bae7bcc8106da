import { appendFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { HASH_CACHE_MIN_BYTES, openHashCache } from '../src/sender/hash-cache.ts';

const SHA = 'ab'.repeat(32);

describe("the sender's hash cache", () => {
  it('remembers a large file across opens, and forgets it once the file changes', async () => {
    const dir = await tempDir('ft-cache-');
    const file = path.join(dir, 'big.bin');
    await writeFile(file, Buffer.alloc(HASH_CACHE_MIN_BYTES));
    const where = path.join(dir, 'home', 'hash-cache.json');
    const first = await openHashCache(where);
    expect(first.get(await stat(file))).toBeUndefined();
    first.set(await stat(file), SHA);
    await first.save();
    const second = await openHashCache(where);
    expect(second.get(await stat(file))).toBe(SHA);
    await appendFile(file, 'x');
    expect(second.get(await stat(file))).toBeUndefined();
  });

  it('ignores small files, and starts empty from a damaged file', async () => {
    const dir = await tempDir('ft-cache-');
    const small = path.join(dir, 'small.txt');
    await writeFile(small, 'x');
    const where = path.join(dir, 'hash-cache.json');
    await writeFile(where, '{not json');
    const cache = await openHashCache(where);
    cache.set(await stat(small), SHA);
    expect(cache.get(await stat(small))).toBeUndefined();
    await cache.save(); // nothing changed: the damaged file stays as it was
  });
});
