import { constants } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort, seededBytes, tempDir } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { type FileTransferFs, nodeFileTransferFs } from '../../src/file-transfer/fs.ts';
import { createFileReceiver } from '../../src/file-transfer/receiver.ts';
import { partialFileName } from '../../src/file-transfer/receiver-store.ts';
import { sendFiles } from '../../src/file-transfer/sender.ts';
import { RawFileTransferPeer, sha256Of, startReceiver } from '../helpers/file-transfer-fixtures.ts';

describe('file transfer edges', () => {
  it('creates subdirectories only when allowed', async () => {
    const [src, dst] = [await tempDir(), await tempDir()];
    await writeFile(path.join(src, 'cat.jpg'), 'meow');
    const { port } = await startReceiver({ directory: dst, allowSubdirectories: true });
    const [result] = await sendFiles('127.0.0.1', port, [
      { path: path.join(src, 'cat.jpg'), name: 'photos/2026/cat.jpg' },
    ]);
    expect(result?.status).toBe('sent');
    expect(await readFile(path.join(dst, 'photos', '2026', 'cat.jpg'), 'utf8')).toBe('meow');
    expect((await stat(path.join(dst, 'photos'))).isDirectory()).toBe(true);
  });

  it('refuses a name another session is receiving right now (in-progress)', async () => {
    const dst = await tempDir();
    const { port } = await startReceiver({ directory: dst });
    const body = seededBytes(3, 1000);
    const header = {
      type: 'file',
      name: 'same.bin',
      size: body.length,
      mode: 0o644,
      sha256: sha256Of(body),
    } as const;
    const first = await RawFileTransferPeer.connect(port);
    await first.hello();
    await first.send(header);
    expect(await first.read()).toEqual({ type: 'accept', offset: 0 });
    const second = await RawFileTransferPeer.connect(port);
    await second.hello();
    await second.send(header);
    expect(await second.read()).toMatchObject({ type: 'refuse', reason: 'in-progress' });
    await first.send(body);
    expect(await first.read()).toMatchObject({ type: 'result', status: 'verified' });
    await second.send(header); // now free: already there, identical
    expect(await second.read()).toEqual({ type: 'skip' });
  });

  it('reports a real ENOSPC from the kernel (/dev/full) as no-space, keeping the partial file', async () => {
    const [src, dst] = [await tempDir(), await tempDir()];
    // Every new partial file is written on /dev/full, where each write fails with ENOSPC (its
    // fstat is the real partial's: the receiver checks it is a regular file of its own).
    const full: FileTransferFs = {
      ...nodeFileTransferFs,
      async open(file, flags, mode) {
        const real = await nodeFileTransferFs.open(file, flags, mode);
        if (!(file.endsWith('.partial') && flags & constants.O_CREAT)) return real;
        const device = await nodeFileTransferFs.open('/dev/full', constants.O_WRONLY);
        return Object.assign(Object.create(device) as typeof device, {
          stat: () => real.stat(),
          close: () => Promise.all([real.close(), device.close()]).then(() => {}),
        });
      },
    };
    const { port, log } = await startReceiver({ directory: dst, fs: full });
    await writeFile(path.join(src, 'f.bin'), seededBytes(4, 200_000));
    await expect(sendFiles('127.0.0.1', port, [path.join(src, 'f.bin')])).rejects.toMatchObject({
      code: 'TCPUDP_ERR_REMOTE',
      remoteCode: 'no-space',
    });
    expect(log['file-system-error'][0]).toMatchObject({ errno: 'ENOSPC' });
    expect(log['file-system-error'][0]?.message).toContain('disk is full');
    expect(log.failed[0]).toMatchObject({ name: 'f.bin', status: 'no-space' });
    const sha256 = sha256Of(seededBytes(4, 200_000));
    expect(await readdir(dst), 'the (empty) partial file is kept').toEqual([
      partialFileName('f.bin', sha256),
    ]);
  });

  it('fails clearly when the receiver is not there, is busy, or a file cannot be read', async () => {
    const src = await tempDir();
    await writeFile(path.join(src, 'a.txt'), 'a');
    const nobody = await freePort();
    await expect(sendFiles('127.0.0.1', nobody, [path.join(src, 'a.txt')])).rejects.toMatchObject({
      code: 'TCPUDP_ERR_CONNECTION',
    });
    await expect(
      sendFiles('127.0.0.1', nobody, [path.join(src, 'missing.txt')]),
    ).rejects.toMatchObject({
      code: 'TCPUDP_ERR_FILE_SYSTEM',
      errno: 'ENOENT',
    });
    await expect(sendFiles('127.0.0.1', nobody, [src])).rejects.toThrow(TypeError);
    // Checked before connecting: nobody listens on that port, yet the error is about the name.
    await expect(
      sendFiles('127.0.0.1', nobody, [{ path: path.join(src, 'a.txt'), name: 'n'.repeat(4097) }]),
    ).rejects.toThrow(RangeError);
    await expect(
      sendFiles('127.0.0.1', nobody, [{ path: path.join(src, 'a.txt'), sha256: 'ABC' }]),
    ).rejects.toThrow(TypeError);

    const dst = await tempDir();
    const { port } = await startReceiver({ directory: dst, maxSessions: 1 });
    const holder = await RawFileTransferPeer.connect(port);
    await holder.hello();
    await expect(sendFiles('127.0.0.1', port, [path.join(src, 'a.txt')])).rejects.toMatchObject({
      code: 'TCPUDP_ERR_REMOTE',
      remoteCode: 'busy',
    });
  });

  it.each([
    [{ directory: '' }, TypeError],
    [{ directory: '.', maxSessions: 0 }, RangeError],
    [{ directory: '.', headerTimeoutMs: 1.5 }, TypeError],
    [{ directory: '.', modeMask: 0o10000 }, RangeError],
    [{ directory: '.', host: 'localhost' }, TypeError],
  ])('rejects bad options synchronously: %j', (options, type) => {
    expect(() => createFileReceiver(options)).toThrow(type);
  });
});
