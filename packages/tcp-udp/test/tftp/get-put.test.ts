import fs from 'node:fs/promises';
import path from 'node:path';
import { pollUntil } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { tftpGet, tftpGetFile } from '../../src/tftp/client.ts';
import { encodeTftpPacket } from '../../src/tftp/packet.ts';
import { sha256, startTftpServer, tftpRoot } from '../helpers/tftp-files.ts';
import { RawTftpPeer } from '../helpers/tftp-raw.ts';

describe('our TFTP client and server on 127.0.0.1', () => {
  it.each([
    ['an empty file', 0, {}],
    ['one byte', 1, {}],
    ['511 bytes', 511, {}],
    ['exactly one block (a final empty DATA)', 512, {}],
    ['exactly three blocks', 1536, {}],
    ['5000 bytes with blksize 1024 and tsize', 5000, { blksize: 1024, tsize: true }],
    ['exactly 4 blocks of 8 bytes (smallest blksize)', 32, { blksize: 8 }],
    ['70000 bytes with blksize 65464', 70_000, { blksize: 65_464 }],
  ])('reads %s intact', async (_, size, options) => {
    const { root, bytes } = await tftpRoot({ f: size });
    const { server, port } = await startTftpServer(root);
    const got = await tftpGet('127.0.0.1', port, 'f', options);
    expect(sha256(got)).toBe(sha256(bytes.f ?? Buffer.alloc(0)));
    await pollUntil(() => server.stats.completed === 1, 'the server to see the last ACK');
  });

  it('reads over ::1', async () => {
    const { root, bytes } = await tftpRoot({ 'six.bin': 3000 });
    const { port } = await startTftpServer(root, { host: '::1' });
    expect(sha256(await tftpGet('::1', port, 'six.bin', { blksize: 1000 }))).toBe(
      sha256(bytes['six.bin'] ?? Buffer.alloc(0)),
    );
  });

  it('reads a file in a subdirectory, and in netascii mode with line ends converted both ways', async () => {
    const text = Buffer.from('line one\nline two\r\nbare\rend\n');
    const { root } = await tftpRoot({ 'docs/readme.txt': text });
    const { port } = await startTftpServer(root);
    expect(await tftpGet('127.0.0.1', port, 'docs/readme.txt', { mode: 'netascii' })).toEqual(text);
    expect(await tftpGet('127.0.0.1', port, 'docs/readme.txt')).toEqual(text);
  });

  it('streams to a file with tftpGetFile, and leaves nothing behind when the read fails', async () => {
    const { root, bytes } = await tftpRoot({ 'big.bin': 20_000 });
    const { port } = await startTftpServer(root);
    const out = path.join(root, 'out.bin');
    const result = await tftpGetFile('127.0.0.1', port, 'big.bin', out, { blksize: 1400 });
    expect(result.blksize).toBe(1400);
    expect(sha256(await fs.readFile(out))).toBe(sha256(bytes['big.bin'] ?? Buffer.alloc(0)));
    const missing = path.join(root, 'missing.bin');
    await expect(tftpGetFile('127.0.0.1', port, 'nope', missing)).rejects.toMatchObject({
      remoteCode: 1,
    });
    await expect(fs.stat(`${missing}.part`)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(fs.stat(missing)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it.each([
    ['../secret', 2],
    ['/etc/passwd', 2],
    ['a/../../secret', 2],
    ['sub/../../secret', 2],
    ['a\\..\\secret', 2],
    ['link-out', 2],
    ['does-not-exist', 1],
    ['sub', 1],
  ])('refuses %j with ERROR %i', async (name, code) => {
    const { root } = await tftpRoot({ 'sub/in.txt': 10, ok: 10 });
    const outside = await tftpRoot({ secret: Buffer.from('top secret') });
    await fs.symlink(path.join(outside.root, 'secret'), path.join(root, 'link-out'));
    const { server, port } = await startTftpServer(root);
    await expect(tftpGet('127.0.0.1', port, name)).rejects.toMatchObject({
      code: 'TCPUDP_ERR_REMOTE',
      remoteCode: code,
    });
    expect(server.stats.transfers).toBe(0);
  });

  it('follows a symbolic link that stays inside the root', async () => {
    const { root, bytes } = await tftpRoot({ 'real.bin': 700 });
    await fs.symlink(path.join(root, 'real.bin'), path.join(root, 'alias.bin'));
    const { port } = await startTftpServer(root);
    expect(sha256(await tftpGet('127.0.0.1', port, 'alias.bin'))).toBe(
      sha256(bytes['real.bin'] ?? Buffer.alloc(0)),
    );
  });

  it('refuses a write request with ERROR 2, and an unsupported mode with ERROR 4', async () => {
    const { root } = await tftpRoot({ f: 10 });
    const { port } = await startTftpServer(root, { netascii: false });
    const peer = await RawTftpPeer.open();
    peer.send(port, { op: 'wrq', filename: 'new', mode: 'octet', options: [] });
    expect((await peer.next('the answer to a WRQ')).packet).toMatchObject({ op: 'error', code: 2 });
    peer.send(port, { op: 'rrq', filename: 'f', mode: 'netascii', options: [] });
    expect((await peer.next('the answer to netascii')).packet).toMatchObject({
      op: 'error',
      code: 4,
    });
    peer.send(port, { op: 'rrq', filename: 'f', mode: 'mail', options: [] });
    expect((await peer.next('the answer to mail')).packet).toMatchObject({ op: 'error', code: 4 });
  });

  it('answers a packet to a transfer port from another port with ERROR 5, and the transfer goes on', async () => {
    const { root, bytes } = await tftpRoot({ f: 1000 });
    const { server, port } = await startTftpServer(root, { timeoutMs: 5000 });
    const client = await RawTftpPeer.open();
    const stranger = await RawTftpPeer.open();
    client.send(port, { op: 'rrq', filename: 'f', mode: 'octet', options: [] });
    const first = await client.next('DATA 1');
    expect(first.packet).toMatchObject({ op: 'data', block: 1 });
    expect(first.port).not.toBe(port); // the server answers from a new port: its TID
    stranger.send(first.port, { op: 'ack', block: 1 });
    expect((await stranger.next('ERROR 5 to the stranger')).packet).toMatchObject({
      op: 'error',
      code: 5,
    });
    client.send(first.port, { op: 'ack', block: 1 });
    const second = await client.next('DATA 2');
    expect(second.packet).toMatchObject({ op: 'data', block: 2 });
    const data = second.packet.op === 'data' ? second.packet.data : new Uint8Array();
    expect(Buffer.from(data).equals(bytes.f?.subarray(512) ?? Buffer.alloc(0))).toBe(true);
    client.send(first.port, { op: 'ack', block: 2 });
    await pollUntil(() => server.stats.completed === 1, 'the transfer to complete');
    expect(server.stats.foreign).toBe(1);
  });

  it('ignores a retransmitted RRQ for a running transfer and a duplicate ACK (no resend)', async () => {
    const { root } = await tftpRoot({ f: 1500 });
    const { server, port } = await startTftpServer(root, { timeoutMs: 5000 });
    const client = await RawTftpPeer.open();
    const rrq = { op: 'rrq', filename: 'f', mode: 'octet', options: [] } as const;
    client.send(port, rrq);
    const first = await client.next('DATA 1');
    client.send(port, rrq);
    await pollUntil(() => server.stats.duplicateRequests === 1, 'the duplicate RRQ to be counted');
    client.send(first.port, { op: 'ack', block: 1 });
    expect((await client.next('DATA 2')).packet).toMatchObject({ block: 2 });
    client.send(first.port, { op: 'ack', block: 1 }); // duplicate: must not trigger DATA 2 again
    client.send(first.port, { op: 'ack', block: 2 });
    expect((await client.next('DATA 3')).packet).toMatchObject({ block: 3 });
    client.send(first.port, { op: 'ack', block: 3 });
    await pollUntil(() => server.stats.completed === 1, 'the transfer to complete');
    expect(server.stats.transfers).toBe(1);
  });

  it('keeps serving a good client while hostile packets hit the server port', async () => {
    const { root, bytes } = await tftpRoot({ 'good.bin': 150_000, ok: 5 });
    const { server, port } = await startTftpServer(root);
    const good = tftpGet('127.0.0.1', port, 'good.bin', { blksize: 512, timeoutMs: 500 });
    const hostile = await RawTftpPeer.open();
    const longName = 'a'.repeat(10_000);
    const attacks: Uint8Array[] = [
      Buffer.from('garbage that is not tftp'),
      Buffer.alloc(1),
      Buffer.alloc(600, 7),
      Buffer.from([0, 99, 1, 2]),
      encodeTftpPacket({ op: 'rrq', filename: longName, mode: 'octet', options: [] }),
      encodeTftpPacket({ op: 'rrq', filename: '../../etc/passwd', mode: 'octet', options: [] }),
      encodeTftpPacket({
        op: 'rrq',
        filename: 'ok',
        mode: 'octet',
        options: [['blksize', '99999999']],
      }).subarray(0, 14),
      encodeTftpPacket({ op: 'ack', block: 1 }),
      encodeTftpPacket({ op: 'data', block: 1, data: Buffer.alloc(10) }),
    ];
    const answers: number[] = [];
    for (const attack of attacks) {
      hostile.send(port, attack);
      const { packet } = await hostile.next('an ERROR for a hostile packet');
      answers.push(packet.op === 'error' ? packet.code : -1);
    }
    expect(answers).toEqual([4, 4, 4, 4, 4, 2, 4, 4, 4]);
    expect(sha256(await good)).toBe(sha256(bytes['good.bin'] ?? Buffer.alloc(0)));
    expect(server.stats.malformed).toBe(8);
  });

  it('refuses a transfer beyond maxTransfers and a file over maxFileBytes with ERROR 0', async () => {
    const { root } = await tftpRoot({ f: 2000, big: 3000 });
    const { port } = await startTftpServer(root, {
      maxTransfers: 1,
      maxFileBytes: 2500,
      timeoutMs: 5000,
    });
    const first = await RawTftpPeer.open();
    first.send(port, { op: 'rrq', filename: 'f', mode: 'octet', options: [] });
    expect((await first.next('DATA 1')).packet).toMatchObject({ op: 'data' });
    await expect(tftpGet('127.0.0.1', port, 'f')).rejects.toMatchObject({
      remoteCode: 0,
      remoteMessage: /busy/,
    });
    const other = await RawTftpPeer.open();
    other.send(port, { op: 'rrq', filename: 'big', mode: 'octet', options: [] });
    // still busy: the first transfer holds the only slot
    expect((await other.next('busy')).packet).toMatchObject({ code: 0 });
  });

  it('refuses a file over maxFileBytes', async () => {
    const { root } = await tftpRoot({ big: 3000 });
    const { port } = await startTftpServer(root, { maxFileBytes: 2500 });
    await expect(tftpGet('127.0.0.1', port, 'big')).rejects.toMatchObject({
      remoteCode: 0,
      remoteMessage: /limit of 2500/,
    });
  });

  it('clamps blksize to maxBlksize in its OACK', async () => {
    const { root, bytes } = await tftpRoot({ f: 4000 });
    const { port } = await startTftpServer(root, { maxBlksize: 1000 });
    const file = path.join(root, 'out');
    const result = await tftpGetFile('127.0.0.1', port, 'f', file, { blksize: 4000 });
    expect(result.blksize).toBe(1000);
    expect(sha256(await fs.readFile(file))).toBe(sha256(bytes.f ?? Buffer.alloc(0)));
  });

  it('gives up with TCPUDP_ERR_RETRIES_EXHAUSTED when nothing answers', async () => {
    const silent = await RawTftpPeer.open();
    await expect(
      tftpGet('127.0.0.1', silent.port, 'f', { timeoutMs: 20, retries: 2 }),
    ).rejects.toMatchObject({
      code: 'TCPUDP_ERR_RETRIES_EXHAUSTED',
    });
    const requests = await Promise.all([1, 2, 3].map(() => silent.next('an RRQ')));
    expect(requests.map((r) => r.packet.op)).toEqual(['rrq', 'rrq', 'rrq']);
  });

  it('drops running transfers on close()', async () => {
    const { root } = await tftpRoot({ f: 2000 });
    const { server, port } = await startTftpServer(root, { timeoutMs: 5000 });
    const peer = await RawTftpPeer.open();
    peer.send(port, { op: 'rrq', filename: 'f', mode: 'octet', options: [] });
    await peer.next('DATA 1');
    expect(server.activeTransfers).toBe(1);
    await server.close();
    await pollUntil(() => server.activeTransfers === 0, 'the transfer to be dropped');
  });

  it('refuses bad options synchronously', async () => {
    const { createTftpServer } = await import('../../src/tftp/server.ts');
    expect(() => createTftpServer({ root: '/tmp', host: 'localhost' })).toThrow(TypeError);
    expect(() => createTftpServer({ root: '/tmp', maxBlksize: 4 })).toThrow(RangeError);
    expect(() => tftpGet('127.0.0.1', 69, 'f', { blksize: 70_000 })).toThrow(RangeError);
  });
});
