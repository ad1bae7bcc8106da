// The web receiver over real sockets, driven by stage 4's WebSocket client: uploads land whole
// and verified, a partial resumes from its offset, and every refusal (wrong hash, bad name, an
// existing file, wrong code, too large, bytes out of order) is a typed error that keeps the
// receiver serving.
import { readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import path from 'node:path';
import { pollUntil, rejectionOf, tempDir, withTimeout } from '@socketlab/testkit';
import { connectWebSocket } from '@socketlab/websockets';
import { describe, expect, it, onTestFinished } from 'vitest';
import { contentDisposition } from '../../src/web/http.ts';
import { attachWebReceiver, uploadFile, uploadId } from '../../src/web/index.ts';
import { MAX_CHUNK_BYTES } from '../../src/web/protocol.ts';
import { partialUploadName } from '../../src/web/upload-store.ts';
import { randomFile, rawUpload, sha256, startTestReceiver, WAIT_MS } from './helpers.ts';

const ID = 'a'.repeat(64);
const begin = (name: string, size: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ type: 'begin', id: ID, name, size, ...extra });

describe('the web receiver', () => {
  it('receives a file whole, verified, and lists it for download', async () => {
    const receiver = await startTestReceiver();
    const file = await randomFile('photo.jpg', 3 * 1024 * 1024 + 17);
    const result = await uploadFile(receiver.url, file.path);
    expect(result).toMatchObject({ name: 'photo.jpg', done: true, offset: 0, sha256: file.sha256 });
    expect(sha256(await readFile(path.join(receiver.dir, 'photo.jpg')))).toBe(file.sha256);
    // No partial is left behind.
    expect(await readdir(receiver.dir)).toEqual(['photo.jpg']);
    expect(receiver.events.at(-1)).toMatchObject({ type: 'received', file: { name: 'photo.jpg' } });

    const list = await (await fetch(new URL('/api/files', receiver.url))).json();
    expect(list).toEqual([
      { name: 'photo.jpg', size: file.bytes.length, modified: expect.any(String) },
    ]);
    const download = await fetch(new URL('/files/photo.jpg', receiver.url));
    expect(download.headers.get('content-disposition')).toBe(
      `attachment; filename="photo.jpg"; filename*=UTF-8''photo.jpg`,
    );
    expect(sha256(new Uint8Array(await download.arrayBuffer()))).toBe(file.sha256);
  });

  it('receives an empty file', async () => {
    const receiver = await startTestReceiver();
    const file = await randomFile('empty.txt', 0);
    await expect(uploadFile(receiver.url, file.path)).resolves.toMatchObject({ done: true });
    expect((await readFile(path.join(receiver.dir, 'empty.txt'))).length).toBe(0);
  });

  it('resumes a partial upload from the offset the receiver had', async () => {
    const receiver = await startTestReceiver();
    const file = await randomFile('big.bin', 2 * 1024 * 1024 + 5);
    const first = await uploadFile(receiver.url, file.path, { stopAfterBytes: 768 * 1024 });
    expect(first.done).toBe(false);
    // The partial holds exactly the acknowledged bytes.
    const partials = (await readdir(receiver.dir)).filter((n) => n.endsWith('.partial'));
    expect(partials).toHaveLength(1);
    const partial = await readFile(path.join(receiver.dir, partials[0] as string));
    expect(partial.equals(file.bytes.subarray(0, 768 * 1024))).toBe(true);

    const second = await uploadFile(receiver.url, file.path);
    expect(second).toMatchObject({ done: true, offset: 768 * 1024, sha256: file.sha256 });
    expect(sha256(await readFile(path.join(receiver.dir, 'big.bin')))).toBe(file.sha256);
    expect(await readdir(receiver.dir)).toEqual(['big.bin']);
  });

  it('lets a newer connection take an upload over while the old one is still open', async () => {
    const receiver = await startTestReceiver();
    const old = await rawUpload(receiver);
    old.ws.send(begin('x.bin', 8));
    expect(await old.next()).toMatchObject({ type: 'ready', offset: 0 });
    old.ws.send(Buffer.from('abcd'));
    expect(await old.next()).toEqual({ type: 'ack', received: 4 });

    const fresh = await rawUpload(receiver);
    fresh.ws.send(begin('x.bin', 8));
    expect(await fresh.next()).toMatchObject({ type: 'ready', offset: 4 });
    old.ws.send(Buffer.from('zz'));
    expect(await old.next()).toMatchObject({ type: 'error', code: 'FT_WEB_ERR_TAKEN_OVER' });
    fresh.ws.send(Buffer.from('efgh'));
    expect(await fresh.next()).toEqual({ type: 'ack', received: 8 });
    fresh.ws.send(JSON.stringify({ type: 'end', sha256: sha256(Buffer.from('abcdefgh')) }));
    expect(await fresh.next()).toMatchObject({ type: 'done', size: 8 });
    expect(await readFile(path.join(receiver.dir, 'x.bin'), 'utf8')).toBe('abcdefgh');
  });

  it('refuses a file whose SHA-256 is not the page’s, and keeps nothing', async () => {
    const receiver = await startTestReceiver();
    const up = await rawUpload(receiver);
    up.ws.send(begin('a.txt', 5));
    await up.next();
    up.ws.send(Buffer.from('hello'));
    await up.next();
    up.ws.send(JSON.stringify({ type: 'end', sha256: sha256(Buffer.from('HELLO')) }));
    expect(await up.next()).toMatchObject({ type: 'error', code: 'FT_WEB_ERR_INTEGRITY' });
    expect(await up.closed).toBe(1008);
    expect(await readdir(receiver.dir)).toEqual([]);
  });

  it.each([
    ['../escape.txt'],
    ['/etc/passwd'],
    ['sub/dir.txt'],
    ['a\\..\\b'],
    ['.hidden'],
    ['nul.txt'],
    ['bad\u0000name'],
  ])('refuses the unsafe name %j', async (name) => {
    const receiver = await startTestReceiver();
    const up = await rawUpload(receiver);
    up.ws.send(begin(name, 1));
    expect(await up.next()).toMatchObject({ type: 'error', code: 'FT_WEB_ERR_UNSAFE_NAME' });
    expect(await readdir(receiver.dir)).toEqual([]);
  });

  it('refuses to overwrite an existing file unless told to', async () => {
    const receiver = await startTestReceiver();
    await writeFile(path.join(receiver.dir, 'report.pdf'), 'original');
    const file = await randomFile('report.pdf', 1000);
    const refused = await rejectionOf(uploadFile(receiver.url, file.path));
    expect(refused).toMatchObject({ code: 'FT_WEB_ERR_EXISTS' });
    expect(await readFile(path.join(receiver.dir, 'report.pdf'), 'utf8')).toBe('original');

    const overwriting = await startTestReceiver({ dir: receiver.dir, overwrite: true });
    await uploadFile(overwriting.url, file.path);
    expect(sha256(await readFile(path.join(receiver.dir, 'report.pdf')))).toBe(file.sha256);
  });

  it('never writes through a symlink in place of the file or its partial', async () => {
    const receiver = await startTestReceiver();
    const outside = await randomFile('outside.txt', 10);
    await symlink(outside.path, path.join(receiver.dir, 'link.txt'));
    await symlink(outside.path, path.join(receiver.dir, partialUploadName('p.txt', ID)));
    for (const name of ['link.txt', 'p.txt']) {
      const up = await rawUpload(receiver);
      up.ws.send(begin(name, 3));
      expect(await up.next()).toMatchObject({ type: 'error', code: 'FT_WEB_ERR_UNSAFE_NAME' });
    }
    expect(sha256(await readFile(outside.path))).toBe(outside.sha256);
  });

  it('asks for the code phrase and compares it', async () => {
    const receiver = await startTestReceiver({ code: 'purple-otter-42' });
    const file = await randomFile('c.txt', 100);
    await expect(rejectionOf(uploadFile(receiver.url, file.path))).resolves.toMatchObject({
      code: 'FT_WEB_ERR_CODE',
    });
    await expect(
      rejectionOf(uploadFile(receiver.url, file.path, { code: 'purple-otter-43' })),
    ).resolves.toMatchObject({ code: 'FT_WEB_ERR_CODE' });
    await expect(
      uploadFile(receiver.url, file.path, { code: 'purple-otter-42' }),
    ).resolves.toMatchObject({ done: true });
    expect((await fetch(new URL('/api/files', receiver.url))).status).toBe(403);
    expect((await fetch(new URL('/files/c.txt', receiver.url))).status).toBe(403);
    const ok = await fetch(new URL('/files/c.txt?code=purple-otter-42', receiver.url));
    expect(sha256(new Uint8Array(await ok.arrayBuffer()))).toBe(file.sha256);
    await expect((await fetch(new URL('/api/info', receiver.url))).json()).resolves.toMatchObject({
      codeRequired: true,
    });
  });

  it('refuses a file larger than maxFileBytes', async () => {
    const receiver = await startTestReceiver({ maxFileBytes: 1000 });
    const up = await rawUpload(receiver);
    up.ws.send(begin('big.bin', 1001));
    expect(await up.next()).toMatchObject({ type: 'error', code: 'FT_WEB_ERR_TOO_LARGE' });
  });

  it.each([
    ['bytes before begin', [Buffer.from('xx')], 'FT_WEB_ERR_PROTOCOL'],
    ['not JSON', ['{nope'], 'FT_WEB_ERR_BAD_MESSAGE'],
    ['an unknown type', ['{"type":"rm -rf"}'], 'FT_WEB_ERR_BAD_MESSAGE'],
    ['a JSON array', ['[1,2]'], 'FT_WEB_ERR_BAD_MESSAGE'],
    ['a bad id', ['{"type":"begin","id":"x","name":"a","size":1}'], 'FT_WEB_ERR_BAD_MESSAGE'],
    ['a negative size', [begin('a', -1)], 'FT_WEB_ERR_BAD_MESSAGE'],
    ['more bytes than announced', [begin('a', 2), Buffer.from('abc')], 'FT_WEB_ERR_PROTOCOL'],
    [
      'end before all bytes',
      [begin('a', 2), JSON.stringify({ type: 'end', sha256: ID })],
      'FT_WEB_ERR_PROTOCOL',
    ],
    ['end before begin', [JSON.stringify({ type: 'end', sha256: ID })], 'FT_WEB_ERR_PROTOCOL'],
    ['two begins', [begin('a', 2), begin('b', 2)], 'FT_WEB_ERR_PROTOCOL'],
  ] as const)('answers %s with a typed error and keeps serving', async (_, messages, code) => {
    const receiver = await startTestReceiver();
    const up = await rawUpload(receiver);
    for (const m of messages) up.ws.send(m);
    let reply = await up.next();
    while (reply.type === 'ready' || reply.type === 'ack') reply = await up.next();
    expect(reply).toMatchObject({ type: 'error', code });
    expect(await up.closed).toBe(1008);
    // The receiver still takes an upload.
    const file = await randomFile('after.txt', 10);
    await expect(uploadFile(receiver.url, file.path)).resolves.toMatchObject({ done: true });
  });

  it('closes a connection sending a frame over the limit with 1009 and keeps serving', async () => {
    const receiver = await startTestReceiver();
    const up = await rawUpload(receiver);
    up.ws.send(begin('a', 10));
    await up.next();
    up.ws.send(Buffer.alloc(MAX_CHUNK_BYTES + 1));
    expect(await up.closed).toBe(1009);
    const file = await randomFile('after.txt', 10);
    await expect(uploadFile(receiver.url, file.path)).resolves.toMatchObject({ done: true });
  });

  it('answers garbage after the handshake with a close frame (1002) and keeps serving', async () => {
    const receiver = await startTestReceiver();
    const socket = net.connect(receiver.port, '127.0.0.1');
    onTestFinished(() => {
      socket.destroy();
    });
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    const ended = new Promise((resolve) => socket.once('close', resolve));
    socket.write(
      'GET /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await pollUntil(() => Buffer.concat(received).includes('\r\n\r\n'), 'the 101 answer');
    // An unmasked frame with a reserved opcode: two protocol errors at once.
    socket.write(Buffer.from([0x83, 0x05, 1, 2, 3, 4, 5]));
    await withTimeout(ended, 'the receiver to close the connection', WAIT_MS);
    const all = Buffer.concat(received);
    expect(all.subarray(0, 12).toString()).toBe('HTTP/1.1 101');
    const close = all.subarray(all.indexOf('\r\n\r\n') + 4);
    expect(close[0]).toBe(0x88);
    expect(close.readUInt16BE(2)).toBe(1002);
    const file = await randomFile('after.txt', 10);
    await expect(uploadFile(receiver.url, file.path)).resolves.toMatchObject({ done: true });
  });

  it('names a download in ASCII and in UTF-8 (RFC 6266)', () => {
    expect(contentDisposition('café "x".txt')).toBe(
      `attachment; filename="caf_ _x_.txt"; filename*=UTF-8''caf%C3%A9%20%22x%22.txt`,
    );
  });

  it('serves only the page’s own files and refuses unsafe download names', async () => {
    const receiver = await startTestReceiver();
    for (const p of [
      '/files/..%2F..%2Fetc%2Fpasswd',
      '/files/.secret',
      '/../package.json',
      '/files/%ZZ',
    ]) {
      expect((await fetch(new URL(p, receiver.url))).status, p).toBe(404);
    }
    expect((await fetch(new URL('/api/files', receiver.url), { method: 'POST' })).status).toBe(405);
  });

  it('gives a stable upload id for the same file and another for a changed one', () => {
    const head = new Uint8Array([1, 2, 3]);
    expect(uploadId('a', 3, 5, head)).toBe(uploadId('a', 3, 5, head));
    expect(uploadId('a', 3, 5, head)).not.toBe(uploadId('a', 3, 6, head));
    expect(uploadId('a', 3, 5, head)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('attachWebReceiver', () => {
  it('serves uploads on an HTTP server it is given, and only at /upload', async () => {
    const server = http.createServer();
    const dir = await tempDir('socketlab-ft-web-');
    const attached = await attachWebReceiver(server, { dir });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(async () => {
      await attached.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const file = await randomFile('attached.bin', 300_000);
    await expect(uploadFile(url, file.path)).resolves.toMatchObject({ done: true });
    expect(sha256(await readFile(path.join(dir, 'attached.bin')))).toBe(file.sha256);
    await expect(
      rejectionOf(connectWebSocket(`ws${url.slice(4)}elsewhere`)),
    ).resolves.toMatchObject({
      code: 'WEBSOCKET_ERR_HANDSHAKE',
    });
  });

  it('refuses a bad option with a RangeError', async () => {
    await expect(
      attachWebReceiver(http.createServer(), {
        dir: await tempDir(),
        chunkBytes: 2 * MAX_CHUNK_BYTES,
      }),
    ).rejects.toThrow(RangeError);
  });
});
