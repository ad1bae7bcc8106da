/**
 * Regression (issue 8): a partial file (or an existing final file) that is not the receiver's own
 * plain file was used: a hard link to a file elsewhere was written through (see the hard-link
 * cases in hostile.test.ts), and a file of another user was trusted. Checked on the open file.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { type FileTransferFs, nodeFileTransferFs } from '../../src/file-transfer/fs.ts';
import { notOwnFile, partialFileName } from '../../src/file-transfer/receiver-store.ts';
import { RawFileTransferPeer, sha256Of, startReceiver } from '../helpers/file-transfer-fixtures.ts';

const me = process.getuid?.() ?? 0;

/** The real file system, except that files whose name ends in `suffix` look owned by another user. */
function foreignOwner(suffix: string): FileTransferFs {
  return {
    ...nodeFileTransferFs,
    async open(file, flags, mode) {
      const handle = await nodeFileTransferFs.open(file, flags, mode);
      if (!file.endsWith(suffix)) return handle;
      return Object.assign(Object.create(handle) as typeof handle, {
        stat: async () => Object.assign(await handle.stat(), { uid: me + 1 }),
      });
    },
  };
}

const BODY = Buffer.from('new content');
const HEADER = { type: 'file', size: BODY.length, mode: 0o644, sha256: sha256Of(BODY) } as const;

describe("a receiver meeting a file that is not its user's own", () => {
  it('refuses to resume into a partial file owned by another user, and leaves it alone', async () => {
    const dst = await tempDir();
    const partial = path.join(dst, partialFileName('p.txt', HEADER.sha256));
    await writeFile(partial, 'theirs');
    const { port, log } = await startReceiver({ directory: dst, fs: foreignOwner('.partial') });
    const peer = await RawFileTransferPeer.connect(port);
    await peer.hello();
    await peer.send({ ...HEADER, name: 'p.txt' });
    const reply = await peer.read();
    expect(reply).toMatchObject({ type: 'refuse', reason: 'unsafe-name' });
    expect((reply as { message: string }).message).toContain(`owned by user ${me + 1}`);
    expect(log.refused[0]?.error).toMatchObject({ code: 'TCPUDP_ERR_UNSAFE_PATH' });
    expect(await readFile(partial, 'utf8')).toBe('theirs');
  });

  it('neither skips nor replaces a final file owned by another user', async () => {
    const dst = await tempDir();
    await writeFile(path.join(dst, 'f.txt'), BODY);
    const { port } = await startReceiver({
      directory: dst,
      overwrite: true,
      fs: foreignOwner('f.txt'),
    });
    const peer = await RawFileTransferPeer.connect(port);
    await peer.hello();
    await peer.send({ ...HEADER, name: 'f.txt' }); // the same content: would be a skip
    expect(await peer.read()).toMatchObject({ type: 'refuse', reason: 'unsafe-name' });
    expect(await readdir(dst)).toEqual(['f.txt']);
  });

  it.each([
    [{ isFile: () => false, nlink: 1, uid: me }, 'not a regular file'],
    [{ isFile: () => true, nlink: 2, uid: me }, 'a hard link (2 names'],
    [{ isFile: () => true, nlink: 1, uid: me + 1 }, `owned by user ${me + 1}`],
    [{ isFile: () => true, nlink: 1, uid: me }, undefined],
  ])('notOwnFile(%o) says why a file must not be used', (stats, why) => {
    const full = { size: 0, dev: 1, ino: 1, mtimeMs: 0, ctimeMs: 0, ...stats };
    if (why === undefined) expect(notOwnFile(full, me)).toBeUndefined();
    else expect(notOwnFile(full, me)).toContain(why);
  });
});
