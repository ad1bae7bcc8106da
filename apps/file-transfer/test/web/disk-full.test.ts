// The page's "the receiver's disk refused" error (FT_WEB_ERR_IO): a write failing with ENOSPC
// mid-file fails the upload with close code 1011, keeps the partial file, and the same upload
// resumes from the kept bytes once the disk has room again. The disk is stage 2's injectable
// file system (`fs` of the web receiver), failing on demand.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FileTransferHandle } from '@socketlab/tcp-udp';
import { describe, expect, it } from 'vitest';
import { uploadFile, uploadId } from '../../src/web/index.ts';
import type { ServerMessage } from '../../src/web/protocol.ts';
import {
  nodeUploadStoreFs,
  partialUploadName,
  type UploadStoreFs,
} from '../../src/web/upload-store.ts';
import { randomFile, rawUpload, sha256, startTestReceiver } from './helpers.ts';

const CHUNK = 16 * 1024;
const FAIL_FROM = 5 * CHUNK;

/** The real file system, except that writes at or past `failFrom` fail with ENOSPC while `full`. */
function diskFillingAt(failFrom: number): { fs: UploadStoreFs; disk: { full: boolean } } {
  const disk = { full: true };
  const fs: UploadStoreFs = {
    ...nodeUploadStoreFs,
    open: async (p, flags, mode) => {
      const handle = await nodeUploadStoreFs.open(p, flags, mode);
      const wrapped: FileTransferHandle = {
        read: (...args) => handle.read(...args),
        truncate: (length) => handle.truncate(length),
        chmod: (m) => handle.chmod(m),
        sync: () => handle.sync(),
        stat: () => handle.stat(),
        close: () => handle.close(),
        writev: async (buffers, position) => {
          if (disk.full && (position ?? 0) >= failFrom) {
            throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
              code: 'ENOSPC',
            });
          }
          return handle.writev(buffers, position);
        },
      };
      return wrapped;
    },
  };
  return { fs, disk };
}

describe('a full disk under the web receiver', () => {
  it('fails the upload with FT_WEB_ERR_IO (1011), keeps the partial and resumes from it', async () => {
    const { fs, disk } = diskFillingAt(FAIL_FROM);
    const receiver = await startTestReceiver({ fs, chunkBytes: CHUNK, windowBytes: CHUNK });
    const file = await randomFile('movie.mkv', 12 * CHUNK + 123);
    const { mtimeMs } = await stat(file.path);
    const id = uploadId(
      'movie.mkv',
      file.bytes.length,
      Math.floor(mtimeMs),
      file.bytes.subarray(0, 64 * 1024),
    );

    const up = await rawUpload(receiver);
    up.ws.send(JSON.stringify({ type: 'begin', id, name: 'movie.mkv', size: file.bytes.length }));
    expect(await up.next()).toMatchObject({ type: 'ready', offset: 0, chunkBytes: CHUNK });
    let sent = 0;
    let answer: ServerMessage | undefined;
    for (; sent < file.bytes.length; sent += CHUNK) {
      up.ws.send(file.bytes.subarray(sent, sent + CHUNK));
      answer = await up.next();
      if (answer.type !== 'ack') break;
      expect(answer.received).toBe(sent + CHUNK);
    }
    expect(answer).toMatchObject({ type: 'error', code: 'FT_WEB_ERR_IO' });
    expect((answer as { message: string }).message).toContain('ENOSPC');
    expect(sent).toBe(FAIL_FROM);
    expect(await up.closed).toBe(1011);
    expect(receiver.events).toContainEqual(
      expect.objectContaining({
        type: 'upload-failed',
        error: expect.objectContaining({ code: 'FT_WEB_ERR_IO' }),
      }),
    );

    // The partial is kept, holding exactly the bytes written before the disk refused.
    const partialPath = path.join(receiver.dir, partialUploadName('movie.mkv', id));
    const partial = await readFile(partialPath);
    expect(partial.equals(file.bytes.subarray(0, FAIL_FROM))).toBe(true);

    disk.full = false;
    const resumed = await uploadFile(receiver.url, file.path);
    expect(resumed).toMatchObject({ done: true, offset: FAIL_FROM, sha256: file.sha256 });
    expect(sha256(await readFile(path.join(receiver.dir, 'movie.mkv')))).toBe(file.sha256);
    expect(await readdir(receiver.dir)).toEqual(['movie.mkv']);
  });
});
