/**
 * Regression (issue 8): with subdirectories allowed, a long name made of characters that JSON
 * escapes made the refusal quoting it longer than the codec's 1,024-byte message limit, and the
 * session ended `internal` instead of with the real verdict.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { FILE_TRANSFER_MAX_MESSAGE_BYTES } from '../../src/file-transfer/protocol.ts';
import { RawFileTransferPeer, sha256Of, startReceiver } from '../helpers/file-transfer-fixtures.ts';

/** 8 components of 200 `"` each: 1,607 bytes of name, 3,200+ once JSON escapes every quote. */
const COMPONENTS = Array.from({ length: 8 }, () => '"'.repeat(200));
const LONG = COMPONENTS.join('/');

describe('a refusal that quotes a long, escaped name', () => {
  it('is bounded and marked as cut, and the session goes on (no internal error)', async () => {
    const dst = await tempDir();
    await mkdir(path.join(dst, ...COMPONENTS.slice(0, -1)), { recursive: true });
    await writeFile(path.join(dst, ...COMPONENTS), 'already here');
    const { port, log } = await startReceiver({ directory: dst, allowSubdirectories: true });
    const peer = await RawFileTransferPeer.connect(port);
    await peer.hello();
    const body = Buffer.from('other content');
    const header = {
      type: 'file',
      name: LONG,
      size: body.length,
      mode: 0o644,
      sha256: sha256Of(body),
    } as const;
    await peer.send(header);
    const reply = await peer.read();
    expect(reply).toMatchObject({ type: 'refuse', reason: 'exists' });
    const message = (reply as { message: string }).message;
    expect(Buffer.byteLength(message)).toBeLessThanOrEqual(FILE_TRANSFER_MAX_MESSAGE_BYTES);
    expect(message, 'the name is cut with a marker').toContain('…');
    // Two sessions on the same name: the in-progress refusal quotes the name too.
    const other = await RawFileTransferPeer.connect(port);
    await other.hello();
    const fresh = `${COMPONENTS.slice(0, -1).join('/')}/${'"'.repeat(199)}`;
    await peer.send({ ...header, name: fresh });
    expect(await peer.read()).toEqual({ type: 'accept', offset: 0 });
    await other.send({ ...header, name: fresh });
    const busy = await other.read();
    expect(busy).toMatchObject({ type: 'refuse', reason: 'in-progress' });
    expect(Buffer.byteLength((busy as { message: string }).message)).toBeLessThanOrEqual(
      FILE_TRANSFER_MAX_MESSAGE_BYTES,
    );
    await peer.send(body);
    expect(await peer.read()).toMatchObject({ type: 'result', status: 'verified' });
    await peer.send({ type: 'end' });
    expect(await peer.read()).toEqual({ type: 'end' });
    expect(log['session-error'], 'no session ended on an error').toEqual([]);
  });
});
