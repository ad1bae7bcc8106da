import { lstat, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { nextEvent, pollUntil, seededBytes, tempDir } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { IntegrityError, RemoteError } from '../../src/errors.ts';
import { type FileTransferFs, nodeFileTransferFs } from '../../src/file-transfer/fs.ts';
import type { FileReceiverOptions } from '../../src/file-transfer/receiver-options.ts';
import { partialFileName } from '../../src/file-transfer/receiver-store.ts';
import { type FileSendProgress, sendFiles, sha256OfFile } from '../../src/file-transfer/sender.ts';
import {
  countingProxy,
  RawFileTransferPeer,
  sha256Of,
  startReceiver,
} from '../helpers/file-transfer-fixtures.ts';

const SEED = 0x5eed;
/** A few MiB of seeded random bytes, made once for both hashing modes. */
const FEW_MIB = seededBytes(SEED, 3 * 1024 * 1024 + 17);

async function sourceFile(dir: string, name: string, bytes: Uint8Array | string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  return file;
}

const HASHING: [string, Partial<FileReceiverOptions>][] = [
  ['on the event loop', { hashInWorkerFromBytes: Number.MAX_SAFE_INTEGER }],
  ['on a worker thread', { hashInWorkerFromBytes: 0 }],
];

describe.each(HASHING)('sendFiles to a file receiver hashing %s', (_, hashing) => {
  it('sends one file, many files and an empty file, each verified by SHA-256', async () => {
    const [src, dst] = [await tempDir(), await tempDir()];
    const { port, log } = await startReceiver({ ...hashing, directory: dst });
    const contents: Record<string, Buffer> = {
      'one.txt': Buffer.from('hello\n'),
      'empty.bin': Buffer.alloc(0),
      ...Object.fromEntries(
        Array.from({ length: 8 }, (_, i) => [`many-${i}.bin`, seededBytes(SEED + i, 1000 * i + 1)]),
      ),
    };
    const files = await Promise.all(
      Object.entries(contents).map(([name, bytes]) => sourceFile(src, name, bytes)),
    );
    const results = await sendFiles('127.0.0.1', port, files);
    expect(results.map((r) => [r.name, r.status])).toEqual(
      Object.keys(contents).map((name) => [name, 'sent']),
    );
    for (const [name, bytes] of Object.entries(contents)) {
      const got = await readFile(path.join(dst, name));
      expect(sha256Of(got), `${name}: the file on the receiver`).toBe(sha256Of(bytes));
    }
    expect(log.file.map((e) => e.name)).toEqual(Object.keys(contents));
    expect((await readdir(dst)).sort()).toEqual(Object.keys(contents).sort()); // no partial left
  });

  it(`sends a few MiB of seeded random bytes (seed ${SEED}) with progress`, async () => {
    const [src, dst] = [await tempDir(), await tempDir()];
    const { port } = await startReceiver({ ...hashing, directory: dst });
    const bytes = FEW_MIB;
    const file = await sourceFile(src, 'random.bin', bytes);
    const progress: FileSendProgress[] = [];
    const [result] = await sendFiles('127.0.0.1', port, [{ path: file, name: 'copy.bin' }], {
      onProgress: (p) => progress.push(p),
      highWaterMark: 256 * 1024,
    });
    expect(result).toMatchObject({
      status: 'sent',
      size: bytes.length,
      bytesSent: bytes.length,
      sha256: sha256Of(bytes),
    });
    expect(await sha256OfFile(path.join(dst, 'copy.bin')), `seed ${SEED}`).toBe(sha256Of(bytes));
    expect(progress.length).toBeGreaterThan(3);
    expect(progress.at(-1)?.done).toBe(bytes.length);
    expect(progress.every((p, i) => i === 0 || p.done > (progress[i - 1]?.done ?? 0))).toBe(true);
  });

  it('skips a file it already has, refuses other content under the same name, and masks the mode', async () => {
    const [src, dst] = [await tempDir(), await tempDir()];
    const { port, log } = await startReceiver({ ...hashing, directory: dst });
    const file = await sourceFile(src, 'a.txt', 'first');
    const other = await sourceFile(src, 'b.txt', 'second');
    const results = await sendFiles('127.0.0.1', port, [
      { path: file, mode: 0o6777 },
      file,
      { path: other, name: 'a.txt' },
    ]);
    expect(results.map((r) => r.status)).toEqual(['sent', 'skipped', 'refused']);
    expect(results[2]?.error).toBeInstanceOf(RemoteError);
    expect(results[2]?.error).toMatchObject({ remoteCode: 'exists' });
    expect(await readFile(path.join(dst, 'a.txt'), 'utf8')).toBe('first');
    expect((await stat(path.join(dst, 'a.txt'))).mode & 0o7777).toBe(0o775); // no setuid/setgid/o+w
    expect(log.skipped).toHaveLength(1);
  });

  it('replaces a file only when overwrite is on', async () => {
    const [src, dst] = [await tempDir(), await tempDir()];
    await writeFile(path.join(dst, 'a.txt'), 'old');
    const { port } = await startReceiver({ ...hashing, directory: dst, overwrite: true });
    const [result] = await sendFiles('127.0.0.1', port, [await sourceFile(src, 'a.txt', 'new')]);
    expect(result?.status).toBe('sent');
    expect(await readFile(path.join(dst, 'a.txt'), 'utf8')).toBe('new');
  });

  it('rejects a body that does not match the declared hash: no final file, no partial', async () => {
    const [src, dst] = [await tempDir(), await tempDir()];
    const { port, log } = await startReceiver({ ...hashing, directory: dst });
    const file = await sourceFile(src, 'liar.bin', seededBytes(SEED, 5000));
    const lie = sha256Of(Buffer.from('something else'));
    const [result] = await sendFiles('127.0.0.1', port, [{ path: file, sha256: lie }]);
    expect(result?.status).toBe('failed');
    expect(result?.error).toBeInstanceOf(IntegrityError);
    expect(result?.error).toMatchObject({
      code: 'TCPUDP_ERR_INTEGRITY',
      expected: lie,
      actual: sha256Of(seededBytes(SEED, 5000)),
    });
    expect(log.failed[0]).toMatchObject({ name: 'liar.bin', status: 'integrity' });
    expect(log.failed[0]?.error).toBeInstanceOf(IntegrityError);
    expect(await readdir(dst)).toEqual([]);
  });

  it('keeps a partial file when the sender vanishes mid-file, then resumes with only the rest', async () => {
    const [src, dst] = [await tempDir(), await tempDir()];
    const { receiver, port, log } = await startReceiver({ ...hashing, directory: dst });
    const bytes = seededBytes(SEED, 600_000);
    const sha256 = sha256Of(bytes);
    const cut = 250_000;
    const peer = await RawFileTransferPeer.connect(port);
    await peer.hello();
    await peer.send({ type: 'file', name: 'big.bin', size: bytes.length, mode: 0o644, sha256 });
    expect(await peer.read()).toEqual({ type: 'accept', offset: 0 });
    const failed = nextEvent<[{ status: string }]>(receiver, 'failed');
    await peer.send(bytes.subarray(0, cut));
    // The receiver serves someone else while the cut transfer is still open.
    const other = await sendFiles('127.0.0.1', port, [
      await sourceFile(src, 'other.txt', 'meanwhile'),
    ]);
    expect(other[0]?.status).toBe('sent');
    await pollUntil(
      async () =>
        (await lstat(path.join(dst, partialFileName('big.bin', sha256))).catch(() => undefined))
          ?.size === cut,
      `the partial file to hold ${cut} bytes`,
    );
    peer.wire.socket.destroy(); // abrupt: no end message
    expect((await failed)[0]).toMatchObject({ status: 'disconnected' });
    const partial = path.join(dst, partialFileName('big.bin', sha256));
    expect((await lstat(partial)).size).toBe(cut);

    const proxy = await countingProxy(port);
    const [result] = await sendFiles('127.0.0.1', proxy.port, [
      await sourceFile(src, 'big.bin', bytes),
    ]);
    expect(result).toMatchObject({ status: 'sent', offset: cut, bytesSent: bytes.length - cut });
    const overhead = proxy.bytesToTarget() - (bytes.length - cut);
    expect(overhead, 'bytes on the wire besides the rest of the body').toBeGreaterThan(0);
    expect(overhead).toBeLessThan(200);
    expect(sha256Of(await readFile(path.join(dst, 'big.bin')))).toBe(sha256);
    await expect(lstat(partial)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(log.file.find((e) => e.name === 'big.bin')?.resumedFrom).toBe(cut);
  });

  it('detects a corrupted partial file on resume: the re-hash makes it an integrity failure', async () => {
    const [src, dst] = [await tempDir(), await tempDir()];
    const { port } = await startReceiver({ ...hashing, directory: dst });
    const bytes = seededBytes(SEED + 1, 10_000);
    const sha256 = sha256Of(bytes);
    const corrupt = Buffer.from(bytes.subarray(0, 4000));
    corrupt[100] = (corrupt[100] ?? 0) ^ 0xff;
    await writeFile(path.join(dst, partialFileName('f.bin', sha256)), corrupt);
    const [first] = await sendFiles('127.0.0.1', port, [await sourceFile(src, 'f.bin', bytes)]);
    expect(first).toMatchObject({ status: 'failed', offset: 4000 });
    expect(first?.error).toBeInstanceOf(IntegrityError);
    const [second] = await sendFiles('127.0.0.1', port, [path.join(src, 'f.bin')]);
    expect(second).toMatchObject({ status: 'sent', offset: 0, bytesSent: bytes.length });
  });
});

/** The real file system, with one operation made to fail with `errno` while `armed` says so. */
function faultyFs(op: 'writev' | 'open', errno: string, armed: () => boolean): FileTransferFs {
  const fail = (): Error => Object.assign(new Error(`${errno}: injected`), { code: errno });
  return {
    ...nodeFileTransferFs,
    async open(file, flags, mode) {
      if (op === 'open' && armed() && file.endsWith('.partial')) throw fail();
      const handle = await nodeFileTransferFs.open(file, flags, mode);
      if (op !== 'writev') return handle;
      return Object.assign(Object.create(handle) as typeof handle, {
        writev: (buffers: Uint8Array[], position?: number) =>
          armed() ? Promise.reject(fail()) : handle.writev(buffers, position),
      });
    },
  };
}

describe('file-system failures', () => {
  it.each([
    ['writev', 'EIO', 'input/output error'],
    ['open', 'EACCES', 'permission denied'],
    ['open', 'EROFS', 'read-only'],
  ] as const)(
    'reports %s failing with %s to both sides, and keeps serving',
    async (op, errno, advice) => {
      const [src, dst] = [await tempDir(), await tempDir()];
      let armed = true;
      const { port, log } = await startReceiver({
        directory: dst,
        fs: faultyFs(op, errno, () => armed),
      });
      const file = await sourceFile(src, 'doomed.bin', seededBytes(SEED, 100_000));
      const [result] = await sendFiles('127.0.0.1', port, [file]);
      expect(result?.status).toBe(op === 'open' ? 'refused' : 'failed');
      expect(result?.error).toMatchObject({ code: 'TCPUDP_ERR_REMOTE', remoteCode: 'file-system' });
      expect(result?.error?.message).toContain(advice);
      expect(log['file-system-error'][0]).toMatchObject({ code: 'TCPUDP_ERR_FILE_SYSTEM', errno });
      expect(log['file-system-error'][0]?.message).toContain(advice);
      expect(await readdir(dst), 'nothing left behind').toEqual([]);
      armed = false;
      const [retry] = await sendFiles('127.0.0.1', port, [file]);
      expect(retry?.status, 'the same receiver, once the disk is fine again').toBe('sent');
    },
  );
});
