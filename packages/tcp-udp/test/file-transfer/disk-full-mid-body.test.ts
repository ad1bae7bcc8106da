/**
 * Regression (issue 8): a disk that filled up mid-body ended as a generic `file-system` failure
 * and the partial file was removed. Now the bytes written are kept for a resume and the sender is
 * told `no-space` (a sender whose hello lacks the `noSpace` flag hears `file-system`).
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { seededBytes, tempDir } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { RemoteError } from '../../src/errors.ts';
import { type FileTransferFs, nodeFileTransferFs } from '../../src/file-transfer/fs.ts';
import { partialFileName } from '../../src/file-transfer/receiver-store.ts';
import { sendFiles } from '../../src/file-transfer/sender.ts';
import { RawFileTransferPeer, sha256Of, startReceiver } from '../helpers/file-transfer-fixtures.ts';

const ROOM = 64 * 1024;

/**
 * The real file system on a disk with `room()` bytes free for partial files: a write that does
 * not fit writes what fits (a short count) and the next one fails with ENOSPC, as the kernel does.
 */
function fillingDisk(room: () => number): FileTransferFs {
  let used = 0;
  return {
    ...nodeFileTransferFs,
    async open(file, flags, mode) {
      const handle = await nodeFileTransferFs.open(file, flags, mode);
      if (!file.endsWith('.partial')) return handle;
      return Object.assign(Object.create(handle) as typeof handle, {
        async writev(buffers: Uint8Array[], position?: number) {
          const free = room() - used;
          if (free <= 0) throw Object.assign(new Error('ENOSPC: injected'), { code: 'ENOSPC' });
          const all = Buffer.concat(buffers);
          const { bytesWritten } = await handle.writev([all.subarray(0, free)], position);
          used += bytesWritten;
          return { bytesWritten };
        },
      });
    },
  };
}

describe('a disk that fills up mid-body', () => {
  it('keeps the bytes written, tells the sender no-space, and resumes once there is room', async () => {
    const [src, dst] = [await tempDir(), await tempDir()];
    let room = ROOM;
    const { port, log } = await startReceiver({ directory: dst, fs: fillingDisk(() => room) });
    const bytes = seededBytes(21, 1024 * 1024);
    const file = path.join(src, 'f.bin');
    await writeFile(file, bytes);

    const failed = sendFiles('127.0.0.1', port, [file]);
    await expect(failed).rejects.toBeInstanceOf(RemoteError);
    await expect(failed).rejects.toMatchObject({ remoteCode: 'no-space' });
    await expect(failed).rejects.toThrow(/disk is full/);
    expect(log.failed[0]).toMatchObject({ name: 'f.bin', status: 'no-space' });
    expect(log['file-system-error'][0]).toMatchObject({ errno: 'ENOSPC' });
    // 1 MiB: announced without its hash (it was to follow the body), so its partial has none
    const partial = path.join(dst, partialFileName('f.bin'));
    expect(await readdir(dst)).toEqual([path.basename(partial)]);
    expect((await stat(partial)).size, 'the partial holds what fitted').toBe(ROOM);

    room = Number.MAX_SAFE_INTEGER; // space freed
    const [result] = await sendFiles('127.0.0.1', port, [file]);
    // the receiver asks for the hash (a partial is there), takes the partial over and resumes
    expect(result).toMatchObject({ status: 'sent', offset: ROOM, bytesSent: bytes.length - ROOM });
    expect(sha256Of(await readFile(path.join(dst, 'f.bin')))).toBe(sha256Of(bytes));
    expect(await readdir(dst)).toEqual(['f.bin']);
  });

  it('tells a sender that does not know no-space (hello flags 0) file-system instead', async () => {
    const dst = await tempDir();
    const { port } = await startReceiver({ directory: dst, fs: fillingDisk(() => 0) });
    const peer = await RawFileTransferPeer.connect(port);
    await peer.hello(); // version 1, flags 0: a sender from before no-space
    const body = seededBytes(22, 1000);
    await peer.send({
      type: 'file',
      name: 'g.bin',
      size: 1000,
      mode: 0o644,
      sha256: sha256Of(body),
    });
    expect(await peer.read()).toEqual({ type: 'accept', offset: 0 });
    await peer.send(body);
    expect(await peer.read()).toMatchObject({ type: 'error', reason: 'file-system' });
  });

  it('refuses a file whose partial cannot even be created with no-space', async () => {
    const dst = await tempDir();
    const full: FileTransferFs = {
      ...nodeFileTransferFs,
      open: (file, flags, mode) =>
        file.endsWith('.partial')
          ? Promise.reject(Object.assign(new Error('ENOSPC: injected'), { code: 'ENOSPC' }))
          : nodeFileTransferFs.open(file, flags, mode),
    };
    const { port } = await startReceiver({ directory: dst, fs: full });
    const src = await tempDir();
    await writeFile(path.join(src, 'h.bin'), 'h');
    const [result] = await sendFiles('127.0.0.1', port, [path.join(src, 'h.bin')]);
    expect(result).toMatchObject({ status: 'refused', error: { remoteCode: 'no-space' } });
  });
});
