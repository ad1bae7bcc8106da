import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { seededBytes, tempDir } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { receivedFilePaths } from '../src/receiver/layout.ts';
import { createReceivedFileStore } from '../src/receiver/store.ts';

describe('the receiving folder store (for every way in, the upload page too)', () => {
  it('writes a file to its partial, resumes it, verifies it and links it into place', async () => {
    const dir = await tempDir('ft-store-');
    const bytes = seededBytes(3, 300_000);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const file = { name: 'photos/été/cat.bin', size: bytes.length, mode: 0o644, sha256 };
    const { partial, final } = receivedFilePaths(dir, file.name, sha256);

    const store = await createReceivedFileStore({ directory: dir });
    const first = await store.prepare(file);
    if (first.kind !== 'accept') throw new Error(`expected accept, got ${first.kind}`);
    expect(first.offset).toBe(0);
    await first.upload.write([bytes.subarray(0, 100_000)]);
    await first.upload.abandon(true); // the connection broke: the partial is kept
    expect((await stat(partial)).size).toBe(100_000);

    const again = await (await createReceivedFileStore({ directory: dir })).prepare(file);
    if (again.kind !== 'accept') throw new Error(`expected accept, got ${again.kind}`);
    expect(again.offset).toBe(100_000);
    await again.upload.write([bytes.subarray(100_000)]);
    expect(await again.upload.finish()).toMatchObject({ status: 'verified', sha256 });
    expect(await readFile(final)).toEqual(bytes);
    expect(await readdir(path.dirname(final))).toEqual(['cat.bin']);

    expect((await store.prepare(file)).kind).toBe('skip');
    const other = { ...file, sha256: 'ab'.repeat(32) };
    expect(await store.prepare(other)).toMatchObject({ kind: 'refuse', reason: 'exists' });
    expect(await store.prepare({ ...file, name: '../escape.bin' })).toMatchObject({
      kind: 'refuse',
      reason: 'unsafe-name',
    });
  });
});
