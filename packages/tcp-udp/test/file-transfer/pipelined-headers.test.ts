/**
 * Regression (issue 8): a sender that pipelined hundreds of headers naming a large existing file
 * in one write and then reset made the receiver hash that file once per header, after the reset,
 * with the name "in progress" for other sessions all along. Now a session stops at its socket's
 * end, and an unchanged existing file is hashed at most once.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { nextEvent, seededBytes, tempDir } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { encodeFileTransferMessage } from '../../src/file-transfer/codec.ts';
import { type FileTransferFs, nodeFileTransferFs } from '../../src/file-transfer/fs.ts';
import type { FileTransferMessage } from '../../src/file-transfer/protocol.ts';
import { partialFileName } from '../../src/file-transfer/receiver-store.ts';
import { RawFileTransferPeer, sha256Of, startReceiver } from '../helpers/file-transfer-fixtures.ts';

const SIZE = 4 * 1024 * 1024;
const HEADERS = 200;
const SHA = 'ab'.repeat(32);
const PARTIAL = 16 * 1024 * 1024;

/** The real file system, counting the bytes read from files named `name` (what hashing costs). */
function countingReads(name: string): { fs: FileTransferFs; bytesRead: () => number } {
  let bytes = 0;
  const fs: FileTransferFs = {
    ...nodeFileTransferFs,
    async open(file, flags, mode) {
      const handle = await nodeFileTransferFs.open(file, flags, mode);
      if (path.basename(file) !== name) return handle;
      return Object.assign(Object.create(handle) as typeof handle, {
        read: async (buffer: Uint8Array, offset: number, length: number, position: number) => {
          const result = await handle.read(buffer, offset, length, position);
          bytes += result.bytesRead;
          return result;
        },
      });
    },
  };
  return { fs, bytesRead: () => bytes };
}

describe('a sender that pipelines headers for a large existing file, then resets', () => {
  it('costs the receiver at most one hash of the file, and frees the name at once', async () => {
    const dst = await tempDir();
    const existing = seededBytes(8, SIZE);
    await writeFile(path.join(dst, 'big.bin'), existing);
    const counted = countingReads('big.bin');
    const { receiver, port, log } = await startReceiver({ directory: dst, fs: counted.fs });

    const hostile = await RawFileTransferPeer.connect(port);
    await hostile.hello();
    // Same size, other content: the worst case, where only a hash can tell.
    const header: FileTransferMessage = {
      type: 'file',
      name: 'big.bin',
      size: SIZE,
      mode: 0o644,
      sha256: sha256Of(Buffer.from('not the same')),
    };
    const ended = nextEvent<[Error, { peer: string }]>(receiver, 'session-error', 20_000);
    const one = encodeFileTransferMessage(header);
    await hostile.send(Buffer.concat(Array.from({ length: HEADERS }, () => one)));
    hostile.wire.socket.resetAndDestroy();
    const [error] = await ended;
    expect(error, 'the session ends as the sender went away').toMatchObject({
      code: 'TCPUDP_ERR_CLOSED',
    });
    expect(counted.bytesRead(), `bytes hashed for ${HEADERS} headers`).toBeLessThanOrEqual(SIZE);
    expect(log.refused.length, 'headers answered after the reset').toBeLessThan(HEADERS / 4);

    // Another sender, right after: the name is not "in progress", and the hash is remembered.
    const polite = await RawFileTransferPeer.connect(port);
    await polite.hello();
    await polite.send({ ...header, sha256: sha256Of(existing) });
    expect(await polite.read()).toEqual({ type: 'skip' });
    await polite.send(header);
    expect(await polite.read()).toMatchObject({ type: 'refuse', reason: 'exists' });
    expect(counted.bytesRead(), 'the unchanged file is not hashed again').toBeLessThanOrEqual(SIZE);

    // A changed file (new mtime and size) is hashed again.
    await writeFile(path.join(dst, 'big.bin'), existing.subarray(1));
    await polite.send({ ...header, size: SIZE - 1, sha256: sha256Of(existing.subarray(1)) });
    expect(await polite.read()).toEqual({ type: 'skip' });
    expect(counted.bytesRead()).toBeGreaterThan(SIZE);
  });

  it('answers pipelined headers at maxFileHeadersPerSecond (fake clock)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const { port, log } = await startReceiver({
      directory: await tempDir(),
      maxFileBytes: 10,
      maxFileHeadersPerSecond: 1,
    });
    const peer = await RawFileTransferPeer.connect(port);
    await peer.hello();
    const tooLarge = (name: string) =>
      encodeFileTransferMessage({ type: 'file', name, size: 11, mode: 0o644, sha256: SHA });
    await peer.send(Buffer.concat(['a', 'b', 'c'].map(tooLarge)));
    expect(await peer.read(), 'the first at once').toMatchObject({ reason: 'too-large' });
    await vi.advanceTimersByTimeAsync(999);
    expect(
      log.refused.map((e) => e.name),
      'the second waits a whole second',
    ).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(1);
    expect(await peer.read()).toMatchObject({ reason: 'too-large' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(await peer.read()).toMatchObject({ reason: 'too-large' });
    expect(log.refused.map((e) => e.name)).toEqual(['a', 'b', 'c']);
  });

  it('stops re-hashing a large partial file for a resume once its sender has reset', async () => {
    const dst = await tempDir();
    const whole = Buffer.alloc(2 * PARTIAL, 0x5a); // quick to make: only its size matters
    const sha256 = sha256Of(whole);
    const partial = partialFileName('resume.bin', sha256);
    await writeFile(path.join(dst, partial), whole.subarray(0, PARTIAL));
    const counted = countingReads(partial);
    const { receiver, port } = await startReceiver({ directory: dst, fs: counted.fs });
    const hostile = await RawFileTransferPeer.connect(port);
    await hostile.hello();
    const ended = nextEvent<[Error]>(receiver, 'session-error', 20_000);
    await hostile.send({
      type: 'file',
      name: 'resume.bin',
      size: whole.length,
      mode: 0o644,
      sha256,
    });
    hostile.wire.socket.resetAndDestroy();
    expect((await ended)[0]).toMatchObject({ code: 'TCPUDP_ERR_CLOSED' });
    expect(counted.bytesRead(), 'bytes of the partial re-hashed').toBeLessThan(PARTIAL / 2);
    const kept = await readFile(path.join(dst, partial));
    expect(kept.equals(whole.subarray(0, PARTIAL)), 'the partial file is kept whole').toBe(true);
  });
});
