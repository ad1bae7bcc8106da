import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pollUntil } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { listenImpairedUdpLink } from '../../src/impaired/udp-link.ts';
import { tftpGet, tftpPut } from '../../src/tftp/client.ts';
import { sha256, startTftpServer, tftpRoot } from '../helpers/tftp-files.ts';
import { RawTftpPeer } from '../helpers/tftp-raw.ts';

const SEED = Number(process.env.SEED ?? 20_261_123);

describe('TFTP writes (WRQ), off by default', () => {
  it.each<[string, number, { blksize?: number; tsize?: boolean }]>([
    ['an empty file', 0, {}],
    ['exactly one block', 512, {}],
    ['3000 bytes with blksize 1024 and tsize', 3000, { blksize: 1024, tsize: true }],
    ['70000 bytes with blksize 8192', 70_000, { blksize: 8192 }],
  ])('stores %s, readable back intact', async (_, size, options) => {
    const { root } = await tftpRoot({});
    const { server, port } = await startTftpServer(root, { allowWrite: true });
    const data = randomBytes(size);
    const result = await tftpPut('127.0.0.1', port, 'up.bin', data, options);
    expect(result.blksize).toBe(options.blksize ?? 512);
    await pollUntil(() => server.stats.completed === 1, 'the upload to be committed');
    expect(sha256(await fs.readFile(path.join(root, 'up.bin')))).toBe(sha256(data));
    expect(sha256(await tftpGet('127.0.0.1', port, 'up.bin'))).toBe(sha256(data));
    expect((await fs.readdir(root)).sort()).toEqual(['up.bin']); // no part file left
  });

  it('refuses a write with ERROR 2 when writes are not allowed', async () => {
    const { root } = await tftpRoot({});
    const { port } = await startTftpServer(root);
    await expect(tftpPut('127.0.0.1', port, 'up.bin', Buffer.from('x'))).rejects.toMatchObject({
      code: 'TCPUDP_ERR_REMOTE',
      remoteCode: 2,
    });
    expect(await fs.readdir(root)).toEqual([]);
  });

  it.each([
    ['an existing file (no overwrite)', 'old.txt', 6],
    ['a name climbing out', '../escape.txt', 2],
    ['an absolute name', '/tmp/escape.txt', 2],
    ['a missing directory', 'nodir/f.txt', 1],
    ['a directory reached through a link out of the root', 'out/f.txt', 2],
  ])('refuses %s', async (_, name, code) => {
    const { root } = await tftpRoot({ 'old.txt': Buffer.from('keep me') });
    const outside = await tftpRoot({});
    await fs.symlink(outside.root, path.join(root, 'out'));
    const { port } = await startTftpServer(root, { allowWrite: true });
    await expect(tftpPut('127.0.0.1', port, name, Buffer.from('new'))).rejects.toMatchObject({
      remoteCode: code,
    });
    expect(await fs.readFile(path.join(root, 'old.txt'), 'utf8')).toBe('keep me');
    expect(await fs.readdir(outside.root)).toEqual([]);
  });

  it('refuses a file over maxFileBytes: at once when tsize announces it, else when it grows past it', async () => {
    const { root } = await tftpRoot({});
    const { server, port } = await startTftpServer(root, { allowWrite: true, maxFileBytes: 1000 });
    await expect(
      tftpPut('127.0.0.1', port, 'a.bin', randomBytes(2000), { tsize: true }),
    ).rejects.toMatchObject({
      remoteCode: 3,
    });
    await expect(tftpPut('127.0.0.1', port, 'b.bin', randomBytes(2000))).rejects.toMatchObject({
      remoteCode: 3,
    });
    await pollUntil(() => server.activeTransfers === 0, 'the refused upload to end');
    expect(await fs.readdir(root)).toEqual([]); // the part file is gone too
    expect(server.stats.failed).toBe(1);
  });

  it('refuses a netascii write with ERROR 4', async () => {
    const { root } = await tftpRoot({});
    const { port } = await startTftpServer(root, { allowWrite: true });
    const peer = await RawTftpPeer.open();
    peer.send(port, { op: 'wrq', filename: 't.txt', mode: 'netascii', options: [] });
    expect((await peer.next('the answer to a netascii WRQ')).packet).toMatchObject({
      op: 'error',
      code: 4,
    });
  });

  it('stores a file intact through 10% loss and 10% duplication (seeded)', async () => {
    const { root } = await tftpRoot({});
    const { server, port } = await startTftpServer(root, {
      allowWrite: true,
      timeoutMs: 60,
      retries: 20,
    });
    const link = await listenImpairedUdpLink({
      target: { host: '127.0.0.1', port },
      loss: 0.1,
      duplicate: 0.1,
      seed: SEED,
    });
    onTestFinished(() => link.close());
    const data = randomBytes(20_000);
    try {
      await tftpPut('127.0.0.1', link.address.port, 'lossy.bin', data, {
        timeoutMs: 60,
        retries: 20,
      });
      await pollUntil(() => server.stats.completed === 1, 'the upload to be committed');
      expect(sha256(await fs.readFile(path.join(root, 'lossy.bin')))).toBe(sha256(data));
    } catch (err) {
      throw new Error(
        `failed with seed ${SEED} (replay: SEED=${SEED}): ${(err as Error).message}`,
        { cause: err },
      );
    }
  });

  it('acknowledges the last DATA again when the client resends it (its ACK was lost)', async () => {
    const { root } = await tftpRoot({});
    const { server, port } = await startTftpServer(root, { allowWrite: true, timeoutMs: 2000 });
    const client = await RawTftpPeer.open();
    client.send(port, { op: 'wrq', filename: 'last.bin', mode: 'octet', options: [] });
    const ack0 = await client.next('ACK 0');
    expect(ack0.packet).toEqual({ op: 'ack', block: 0 });
    client.send(ack0.port, { op: 'data', block: 1, data: Buffer.from('short and last') });
    expect((await client.next('ACK 1')).packet).toEqual({ op: 'ack', block: 1 });
    client.send(ack0.port, { op: 'data', block: 1, data: Buffer.from('short and last') }); // "ACK 1 was lost"
    expect((await client.next('ACK 1 again')).packet).toEqual({ op: 'ack', block: 1 });
    await server.close(); // ends the dally at once; the complete upload is still kept
    await pollUntil(() => server.stats.completed === 1, 'the upload to be committed');
    expect(await fs.readFile(path.join(root, 'last.bin'), 'utf8')).toBe('short and last');
  });
});
