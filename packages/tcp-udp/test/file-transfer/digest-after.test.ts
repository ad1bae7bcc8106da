/**
 * The hash after the body (hello flag `digestAfter`): a large file is announced without its
 * SHA-256, hashed as it is sent, and the hash follows the body, so the sender reads it once. The
 * contract: what goes on the wire, when the receiver asks for the hash first (something is
 * already under that name), and that nothing wrong is ever kept (a wrong digest, a partial that
 * was another file's beginning).
 */
import { lstat, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  nextEvent,
  pollUntil,
  seededBytes,
  tempDir,
  WaitTimeoutError,
  withTimeout,
} from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { IntegrityError } from '../../src/errors.ts';
import { decodeFileTransferMessage } from '../../src/file-transfer/codec.ts';
import {
  FILE_TRANSFER_HELLO_FLAGS,
  type FileTransferMessage,
} from '../../src/file-transfer/protocol.ts';
import { partialFileName } from '../../src/file-transfer/receiver-store.ts';
import { sendFiles } from '../../src/file-transfer/sender.ts';
import {
  countingProxy,
  RawFileTransferPeer,
  sha256Of,
  startReceiver,
} from '../helpers/file-transfer-fixtures.ts';

const MiB = 1024 * 1024;
const BOTH = FILE_TRANSFER_HELLO_FLAGS.noSpace | FILE_TRANSFER_HELLO_FLAGS.digestAfter;

/** What a sender wrote: its control messages, each body standing as `{ body: n }`. */
function senderWire(wire: Buffer): (FileTransferMessage | { body: number })[] {
  const out: (FileTransferMessage | { body: number })[] = [];
  let rest = wire;
  for (let guard = 0; rest.length > 0 && guard < 1_000; guard++) {
    const decoded = decodeFileTransferMessage(rest);
    if (!decoded) throw new Error(`a message cut short: ${rest.length} bytes left`);
    out.push(decoded.message);
    rest = rest.subarray(decoded.bytesRead);
    // the receiver's answer decides whether a body follows: here every announced file is sent whole
    if (decoded.message.type === 'file' && rest[0] !== 0x02 && rest[0] !== 0x07) {
      out.push({ body: decoded.message.size });
      rest = rest.subarray(decoded.message.size);
    }
  }
  return out;
}

/** Waits until the receiver has written `size` bytes of `name` (the sender's bytes are in flight). */
async function waitForSize(dir: string, name: string, size: number): Promise<void> {
  await pollUntil(
    async () => (await lstat(path.join(dir, name)).catch(() => undefined))?.size === size,
    `${name} to hold ${size} bytes`,
  );
}

async function source(dir: string, name: string, bytes: Uint8Array): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  return file;
}

describe('the hash after the body (digestAfter)', () => {
  it('announces a file from 1 MiB up without its hash, and sends the hash after the body', async () => {
    const [src, dst] = [await tempDir(), await tempDir()];
    const { port, log } = await startReceiver({ directory: dst });
    const bytes = seededBytes(61, 3 * MiB + 5);
    const small = seededBytes(62, 1000);
    const proxy = await countingProxy(port);
    const results = await sendFiles('127.0.0.1', proxy.port, [
      await source(src, 'big.bin', bytes),
      await source(src, 'small.txt', small),
    ]);
    expect(results.map((r) => [r.status, r.sha256])).toEqual([
      ['sent', sha256Of(bytes)],
      ['sent', sha256Of(small)],
    ]);
    expect(senderWire(proxy.toTarget())).toEqual([
      { type: 'hello', version: 1, flags: BOTH | FILE_TRANSFER_HELLO_FLAGS.pipelined },
      { type: 'file', name: 'big.bin', size: bytes.length, mode: 0o644 },
      { body: bytes.length },
      { type: 'digest', sha256: sha256Of(bytes) },
      // under 1 MiB: hashed first, as without the flag
      { type: 'file', name: 'small.txt', size: 1000, mode: 0o644, sha256: sha256Of(small) },
      { body: 1000 },
      { type: 'end' },
    ]);
    expect(sha256Of(await readFile(path.join(dst, 'big.bin')))).toBe(sha256Of(bytes));
    expect(log.file.map((f) => [f.name, f.sha256])).toEqual([
      ['big.bin', sha256Of(bytes)],
      ['small.txt', sha256Of(small)],
    ]);
    expect((await readdir(dst)).sort()).toEqual(['big.bin', 'small.txt']);
  });

  it('hashes first when told to (digestAfterFromBytes: Infinity)', async () => {
    const [src, dst] = [await tempDir(), await tempDir()];
    const { port } = await startReceiver({ directory: dst });
    const bytes = seededBytes(63, 2 * MiB);
    const proxy = await countingProxy(port);
    await sendFiles('127.0.0.1', proxy.port, [await source(src, 'a.bin', bytes)], {
      digestAfterFromBytes: Number.POSITIVE_INFINITY,
    });
    expect(senderWire(proxy.toTarget())[1]).toMatchObject({ sha256: sha256Of(bytes) });
  });

  it('asks for the hash when the file is already there, then skips it; the owner hears of no refusal', async () => {
    const [src, dst] = [await tempDir(), await tempDir()];
    const { port, log } = await startReceiver({ directory: dst });
    const bytes = seededBytes(64, 2 * MiB);
    const file = await source(src, 'a.bin', bytes);
    await sendFiles('127.0.0.1', port, [file]);
    const proxy = await countingProxy(port);
    const [again] = await sendFiles('127.0.0.1', proxy.port, [file]);
    expect(again).toMatchObject({ status: 'skipped', sha256: sha256Of(bytes), bytesSent: 0 });
    expect(senderWire(proxy.toTarget()).slice(1)).toEqual([
      { type: 'file', name: 'a.bin', size: bytes.length, mode: 0o644 },
      { type: 'file', name: 'a.bin', size: bytes.length, mode: 0o644, sha256: sha256Of(bytes) },
      { type: 'end' },
    ]);
    expect(log.refused).toEqual([]);
    expect(log.skipped.map((s) => s.name)).toEqual(['a.bin']);
  });

  it('asks for the hash, then refuses other content under an existing name as exists', async () => {
    const [src, dst] = [await tempDir(), await tempDir()];
    const { port, log } = await startReceiver({ directory: dst });
    await writeFile(path.join(dst, 'a.bin'), seededBytes(65, 2 * MiB));
    const [result] = await sendFiles('127.0.0.1', port, [
      await source(src, 'a.bin', seededBytes(66, 2 * MiB)),
    ]);
    expect(result).toMatchObject({ status: 'refused', error: { remoteCode: 'exists' } });
    expect(log.refused.map((r) => r.reason)).toEqual(['exists']);
  });

  it('resumes a body cut short: the receiver asks for the hash and takes the partial over', async () => {
    const [src, dst] = [await tempDir(), await tempDir()];
    const { receiver, port } = await startReceiver({ directory: dst });
    const bytes = seededBytes(67, 2 * MiB);
    const cut = 700_000;
    const peer = await RawFileTransferPeer.connect(port);
    await peer.hello(BOTH);
    await peer.send({ type: 'file', name: 'a.bin', size: bytes.length, mode: 0o644 });
    expect(await peer.read()).toEqual({ type: 'accept', offset: 0 });
    const failed = nextEvent<[{ status: string }]>(receiver, 'failed');
    await peer.send(bytes.subarray(0, cut));
    peer.wire.socket.destroy();
    expect((await failed)[0]).toMatchObject({ status: 'disconnected' });
    expect(await readdir(dst)).toEqual([partialFileName('a.bin')]);

    const [result] = await sendFiles('127.0.0.1', port, [await source(src, 'a.bin', bytes)]);
    expect(result).toMatchObject({ status: 'sent', offset: cut, bytesSent: bytes.length - cut });
    expect(sha256Of(await readFile(path.join(dst, 'a.bin')))).toBe(sha256Of(bytes));
    expect(await readdir(dst)).toEqual(['a.bin']);
  });

  it('finds a partial kept under a hash: asks for the hash and resumes it', async () => {
    const [src, dst] = [await tempDir(), await tempDir()];
    const { port } = await startReceiver({ directory: dst });
    const bytes = seededBytes(68, 2 * MiB);
    const cut = 300_000;
    const peer = await RawFileTransferPeer.connect(port);
    await peer.hello(); // an older sender: the hash first
    const sha256 = sha256Of(bytes);
    await peer.send({ type: 'file', name: 'a.bin', size: bytes.length, mode: 0o644, sha256 });
    expect(await peer.read()).toEqual({ type: 'accept', offset: 0 });
    await peer.send(bytes.subarray(0, cut));
    peer.wire.socket.destroy();
    const partial = partialFileName('a.bin', sha256);
    await waitForSize(dst, partial, cut);

    const [result] = await sendFiles('127.0.0.1', port, [await source(src, 'a.bin', bytes)]);
    expect(result).toMatchObject({ status: 'sent', offset: cut });
    expect(await readdir(dst)).toEqual(['a.bin']);
  });

  it('keeps nothing when the digest does not match the body', async () => {
    const dst = await tempDir();
    const { port, log } = await startReceiver({ directory: dst });
    const bytes = seededBytes(69, 5000);
    const peer = await RawFileTransferPeer.connect(port);
    await peer.hello(BOTH);
    await peer.send({ type: 'file', name: 'a.bin', size: bytes.length, mode: 0o644 });
    expect(await peer.read()).toEqual({ type: 'accept', offset: 0 });
    await peer.send(bytes);
    await peer.send({ type: 'digest', sha256: 'ab'.repeat(32) });
    expect(await peer.read()).toMatchObject({
      type: 'result',
      status: 'integrity',
      sha256: sha256Of(bytes),
    });
    expect(log.failed[0]?.error).toBeInstanceOf(IntegrityError);
    expect(await readdir(dst)).toEqual([]);
  });

  it('fails a resumed partial that was another file’s beginning as integrity, and removes it', async () => {
    const [src, dst] = [await tempDir(), await tempDir()];
    const { port } = await startReceiver({ directory: dst });
    const bytes = seededBytes(70, 2 * MiB);
    const other = seededBytes(71, 2 * MiB);
    const peer = await RawFileTransferPeer.connect(port);
    await peer.hello(BOTH);
    await peer.send({ type: 'file', name: 'a.bin', size: other.length, mode: 0o644 });
    expect(await peer.read()).toEqual({ type: 'accept', offset: 0 });
    await peer.send(other.subarray(0, 100_000));
    peer.wire.socket.destroy();
    await waitForSize(dst, partialFileName('a.bin'), 100_000);

    const file = await source(src, 'a.bin', bytes);
    const [first] = await sendFiles('127.0.0.1', port, [file]);
    expect(first).toMatchObject({ status: 'failed', offset: 100_000 });
    expect(first?.error).toBeInstanceOf(IntegrityError);
    expect(await readdir(dst)).toEqual([]);
    const [second] = await sendFiles('127.0.0.1', port, [file]);
    expect(second).toMatchObject({ status: 'sent', offset: 0 });
    expect(sha256Of(await readFile(path.join(dst, 'a.bin')))).toBe(sha256Of(bytes));
  });

  it('ends the session as malformed when a sender without the flag leaves the hash out', async () => {
    const dst = await tempDir();
    const { port } = await startReceiver({ directory: dst });
    const peer = await RawFileTransferPeer.connect(port);
    await peer.hello(FILE_TRANSFER_HELLO_FLAGS.noSpace);
    await peer.send({ type: 'file', name: 'a.bin', size: 10, mode: 0o644 });
    expect(await peer.read()).toMatchObject({
      type: 'error',
      reason: 'malformed',
      message: expect.stringMatching(/without its hash .* did not set digestAfter/),
    });
    expect(await readdir(dst)).toEqual([]);
  });

  it('ends the session as malformed when something else comes where the digest should, keeping the partial', async () => {
    const dst = await tempDir();
    const { port } = await startReceiver({ directory: dst });
    const bytes = seededBytes(72, 5000);
    const peer = await RawFileTransferPeer.connect(port);
    await peer.hello(BOTH);
    await peer.send({ type: 'file', name: 'a.bin', size: bytes.length, mode: 0o644 });
    expect(await peer.read()).toEqual({ type: 'accept', offset: 0 });
    await peer.send(bytes);
    await peer.send({ type: 'end' });
    expect(await peer.read()).toMatchObject({
      type: 'error',
      reason: 'malformed',
      message: expect.stringMatching(/expected the digest of "a\.bin" after its body, got end/),
    });
    expect(await readdir(dst)).toEqual([partialFileName('a.bin')]);
  });

  it('gives a sender asked for a hash time to read its file: headerTimeoutMs plus size at minHashBytesPerSecond', async () => {
    const dst = await tempDir();
    const bytes = seededBytes(73, 4000);
    await writeFile(path.join(dst, 'a.bin'), bytes);
    // 4,000 bytes at 1,000 per second: 4 s more than the 300 ms a header may otherwise take
    const { port } = await startReceiver({
      directory: dst,
      headerTimeoutMs: 300,
      minHashBytesPerSecond: 1000,
    });
    const peer = await RawFileTransferPeer.connect(port);
    await peer.hello(BOTH);
    await peer.send({ type: 'file', name: 'a.bin', size: bytes.length, mode: 0o644 });
    expect(await peer.read()).toMatchObject({ type: 'refuse', reason: 'digest-needed' });
    // three header timeouts go by without an error (the session waits for the hash) …
    await expect(withTimeout(peer.read(), 'anything from the receiver', 900)).rejects.toThrow(
      WaitTimeoutError,
    );
    const sha256 = sha256Of(bytes);
    await peer.send({ type: 'file', name: 'a.bin', size: bytes.length, mode: 0o644, sha256 });
    expect(await peer.read()).toEqual({ type: 'skip' });
  });

  it('ends the session with timeout when the hash does not come within that time', async () => {
    const dst = await tempDir();
    await writeFile(path.join(dst, 'a.bin'), 'x');
    const { port } = await startReceiver({ directory: dst, headerTimeoutMs: 200 });
    const peer = await RawFileTransferPeer.connect(port);
    await peer.hello(BOTH);
    await peer.send({ type: 'file', name: 'a.bin', size: 1, mode: 0o644 });
    expect(await peer.read()).toMatchObject({ type: 'refuse', reason: 'digest-needed' });
    expect(await peer.read()).toMatchObject({
      type: 'error',
      reason: 'timeout',
      message: expect.stringContaining('"a.bin" announced again with its hash'),
    });
  });
});
