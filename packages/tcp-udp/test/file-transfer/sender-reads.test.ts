/**
 * How the sender reads a file: a small one (up to `highWaterMark`) once, whole, hashed and sent
 * from memory; a larger one streamed. Either way a file that shrank after it was listed is a
 * clear `FileSystemError` naming it, and nothing wrong lands on the receiver.
 */
import { once } from 'node:events';
import { readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { seededBytes, tempDir } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { FileSystemError } from '../../src/errors.ts';
import { sendFiles } from '../../src/file-transfer/sender.ts';
import { sha256Of, startReceiver } from '../helpers/file-transfer-fixtures.ts';

const MiB = 1024 * 1024;

describe('what the sender reads', () => {
  it.each([
    ['a small file (read once, whole)', 4096, 100],
    ['a large file hashed first (streamed)', 2 * MiB, MiB],
  ])('%s that shrank after it was listed: FileSystemError, nothing kept', async (_, size, cut) => {
    const [src, dst] = [await tempDir(), await tempDir()];
    const { port, log } = await startReceiver({ directory: dst });
    const file = path.join(src, 'shrinks.bin');
    await writeFile(file, seededBytes(5, size));
    const sending = sendFiles('127.0.0.1', port, [file], {
      digestAfterFromBytes: Number.POSITIVE_INFINITY,
      // Listed (stat) before connecting; cut while the connection opens, before it is read.
      connect: async () => {
        await truncate(file, cut);
        const socket = net.connect({ host: '127.0.0.1', port });
        await once(socket, 'connect');
        return socket;
      },
    });
    const error = await sending.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FileSystemError);
    expect((error as Error).message).toMatch(/shrinks\.bin/);
    expect(log.file).toEqual([]);
    expect((await readdir(dst)).filter((n) => !n.startsWith('.'))).toEqual([]);
  });

  it('a small file arrives byte for byte, resumed from a partial the receiver kept', async () => {
    const [src, dst] = [await tempDir(), await tempDir()];
    const { port } = await startReceiver({ directory: dst });
    const bytes = seededBytes(6, 300_000);
    const file = path.join(src, 'small.bin');
    await writeFile(file, bytes);
    // A partial holding the first 1000 bytes, as a cut-short send would have left it.
    const partial = `.small.bin.${sha256Of(bytes).slice(0, 16)}.partial`;
    await writeFile(path.join(dst, partial), bytes.subarray(0, 1000), { mode: 0o600 });
    const [result] = await sendFiles('127.0.0.1', port, [file]);
    expect(result).toMatchObject({ status: 'sent', offset: 1000, bytesSent: bytes.length - 1000 });
    expect(sha256Of(await readFile(path.join(dst, 'small.bin')))).toBe(sha256Of(bytes));
  });
});
