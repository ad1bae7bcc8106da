// permessage-deflate (RFC 7692) on real sockets: our server and client, raw peers, and `ws`.
import { randomFillSync } from 'node:crypto';
import net from 'node:net';
import zlib from 'node:zlib';
import { nextEvent, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket, { WebSocketServer as WsServer } from 'ws';
import {
  connectWebSocket,
  type WebSocketConnection,
  type WebSocketServer,
} from '../../src/connection/index.ts';
import type { PerMessageDeflateOptions } from '../../src/extensions/index.ts';
import { encodeFrame } from '../../src/frame/index.ts';
import { acceptKey } from '../../src/handshake/index.ts';
import { closeCodeOf, closeOf, connectPair, RawPeer, startServer, wsEchoServer } from './peers.ts';

/** Compresses as a permessage-deflate sender does: raw DEFLATE, sync flush, tail stripped. */
function deflateMessage(data: Buffer): Buffer {
  const out = zlib.deflateRawSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  expect(out.subarray(out.length - 4).equals(Buffer.from([0, 0, 0xff, 0xff]))).toBe(true);
  return out.subarray(0, out.length - 4);
}

/** A server echoing every message, with permessage-deflate on. */
async function echoServer(
  perMessageDeflate: boolean | PerMessageDeflateOptions = true,
  extra: Parameters<typeof startServer>[0] = {},
): Promise<WebSocketServer> {
  const wss = await startServer({ perMessageDeflate, ...extra });
  wss.on('connection', (ws) =>
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })),
  );
  return wss;
}

/** Sends each message and checks the echo comes back equal, in order. */
async function expectEchoes(
  client: WebSocketConnection,
  messages: readonly (readonly [Buffer, boolean])[],
): Promise<void> {
  const received: [Buffer, boolean][] = [];
  const all = withTimeout(
    new Promise<void>((resolve) => {
      const onMessage = (data: Buffer, isBinary: boolean): void => {
        received.push([data, isBinary]);
        if (received.length === messages.length) {
          client.off('message', onMessage);
          resolve();
        }
      };
      client.on('message', onMessage);
    }),
    `${messages.length} echoes`,
  );
  for (const [data, binary] of messages) client.send(data, { binary });
  await all;
  for (const [i, [data, binary]] of messages.entries()) {
    const [got, isBinary] = received[i] as [Buffer, boolean];
    expect(isBinary, `message ${i}`).toBe(binary);
    expect(got.equals(data), `message ${i} (${data.length} bytes)`).toBe(true);
  }
}

const TEXT = Buffer.from('permessage-deflate ✓ '.repeat(200));
const MIB = 1024 * 1024;

describe('our client and our server with permessage-deflate', () => {
  it('negotiates it and echoes text and binary, small and 1 MiB, in order', async () => {
    const wss = await echoServer();
    const { client, server } = await connectPair(wss, { perMessageDeflate: true });
    expect(client.extensions).toBe('permessage-deflate');
    expect(server.extensions).toBe(client.extensions);
    const random = randomFillSync(Buffer.alloc(MIB));
    const zeros = Buffer.alloc(MIB);
    await expectEchoes(client, [
      [Buffer.from('tiny'), false],
      [TEXT, false],
      [random, true],
      [Buffer.from([1, 2, 3]), true],
      [zeros, true],
      [Buffer.from(TEXT.toString().repeat(300)), false],
      [Buffer.alloc(0), true],
    ]);
  });

  it('keeps the order of messages and the close behind compressions, and owes a drain', async () => {
    const wss = await startServer({ perMessageDeflate: true });
    const { client, server } = await connectPair(wss, { perMessageDeflate: true });
    const received: string[] = [];
    server.on('message', (data) => received.push(`${data.length}:${data[0]}`));
    const serverClosed = closeOf(server);
    const results: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      results.push(client.send(randomFillSync(Buffer.alloc(MIB)).fill(i, 0, 1)));
      results.push(client.send(Buffer.from([100 + i])));
    }
    expect(client.bufferedAmount).toBeGreaterThanOrEqual(4 * MIB);
    expect(results).toContain(false);
    const drained = nextEvent(client, 'drain');
    client.close(1000, 'after the messages');
    await drained;
    expect(await serverClosed).toEqual({ code: 1000, reason: 'after the messages' });
    expect(received).toEqual([
      '1048576:0',
      '1:100',
      '1048576:1',
      '1:101',
      '1048576:2',
      '1:102',
      '1048576:3',
      '1:103',
    ]);
    expect(() => client.send('late')).toThrow(
      expect.objectContaining({ code: 'WEBSOCKET_ERR_CLOSED' }),
    );
  });

  it.each([
    ['both sides keep their context', {}],
    [
      'neither side keeps its context',
      { serverNoContextTakeover: true, clientNoContextTakeover: true },
    ],
    ['small windows (8 and 9 bits)', { serverMaxWindowBits: 8, clientMaxWindowBits: 9 }],
  ] as const)('echoes repeated messages when %s', async (_, options) => {
    const wss = await echoServer(options);
    const { client } = await connectPair(wss, { perMessageDeflate: options });
    const messages: [Buffer, boolean][] = [];
    for (let i = 0; i < 20; i++) {
      messages.push([Buffer.from(`${i} ${TEXT.toString()}`), i % 2 === 0]);
    }
    await expectEchoes(client, messages);
  });

  it('compresses on the wire only messages of at least the threshold, with RSV1', async () => {
    const wss = await startServer({ perMessageDeflate: { threshold: 100 } });
    wss.on('connection', (ws) => {
      ws.send(Buffer.alloc(99, 'a'));
      ws.send(Buffer.alloc(100, 'a'));
      ws.send(TEXT.toString());
    });
    const peer = await RawPeer.connect(wss.port, 'permessage-deflate');
    expect(peer.response?.headers.get('sec-websocket-extensions')).toBe('permessage-deflate');
    const small = await peer.nextFrame();
    expect([small.rsv1, small.payload.length]).toEqual([false, 99]);
    const atThreshold = await peer.nextFrame();
    expect(atThreshold.rsv1).toBe(true);
    expect(atThreshold.payload.length).toBeLessThan(100);
    const text = await peer.nextFrame();
    expect(text.rsv1).toBe(true);
    expect(text.payload.length).toBeLessThan(TEXT.length / 10);
    const tail = Buffer.from([0, 0, 0xff, 0xff]);
    const inflater = zlib.createInflateRaw();
    const inflated = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      inflater.on('data', (c: Buffer) => chunks.push(c));
      inflater.on('error', reject);
      inflater.write(Buffer.concat([atThreshold.payload, tail]));
      inflater.write(Buffer.concat([text.payload, tail]));
      inflater.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve(Buffer.concat(chunks)));
    });
    inflater.close();
    expect(inflated.toString()).toBe(`${'a'.repeat(100)}${TEXT.toString()}`);
  });

  it('joins a compressed message sent in fragments, with a ping between them', async () => {
    const wss = await echoServer();
    const peer = await RawPeer.connect(wss.port, 'permessage-deflate');
    const compressed = deflateMessage(TEXT);
    const third = Math.floor(compressed.length / 3);
    peer.sendFrame({ opcode: 1, fin: false, rsv1: true, payload: compressed.subarray(0, third) });
    peer.sendFrame({ opcode: 0, fin: false, payload: compressed.subarray(third, 2 * third) });
    peer.sendFrame({ opcode: 9, payload: Buffer.from('between') });
    peer.sendFrame({ opcode: 0, fin: true, payload: compressed.subarray(2 * third) });
    peer.sendFrame({ opcode: 2, payload: Buffer.from('plain') });
    const pong = await peer.nextFrame();
    expect([pong.opcode, pong.payload.toString()]).toEqual([10, 'between']);
    const echo = await peer.nextFrame();
    expect([echo.opcode, echo.rsv1]).toEqual([1, true]);
    expect(
      zlib
        .inflateRawSync(Buffer.concat([echo.payload, Buffer.from([0, 0, 0xff, 0xff])]), {
          finishFlush: zlib.constants.Z_SYNC_FLUSH,
        })
        .equals(TEXT),
    ).toBe(true);
    const plain = await peer.nextFrame();
    expect([plain.opcode, plain.rsv1, plain.payload.toString()]).toEqual([2, false, 'plain']);
  });

  it('checks a long uncompressed frame from its first byte when it began behind a compressed one', async () => {
    const wss = await echoServer();
    const peer = await RawPeer.connect(wss.port, 'permessage-deflate');
    const other = await RawPeer.connect(wss.port, 'permessage-deflate');
    const mask = Buffer.from([1, 2, 3, 4]);
    const compressed = encodeFrame({ opcode: 2, rsv1: true, payload: deflateMessage(TEXT), mask });
    const text = Buffer.from('é'.repeat(3000));
    const frame = Buffer.concat(encodeFrame({ opcode: 1, payload: text, mask }));
    const header = frame.length - text.length;
    // The compressed message, then the text frame up to the middle of its first 'é' (c3 | a9).
    peer.socket.write(Buffer.concat([...compressed, frame.subarray(0, header + 1)]));
    const first = await peer.nextFrame();
    peer.socket.write(frame.subarray(header + 1, header + 3001));
    // A round trip through the server on another connection: it has read that write by then.
    other.sendFrame({ opcode: 9, payload: Buffer.from('sync') });
    await other.nextFrame();
    peer.socket.write(frame.subarray(header + 3001));
    const echo = await peer.nextFrame();
    expect([first.rsv1, echo.opcode, echo.rsv1]).toEqual([true, 1, true]);
    const tail = Buffer.from([0, 0, 0xff, 0xff]);
    const both = zlib.inflateRawSync(Buffer.concat([first.payload, tail, echo.payload, tail]), {
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
    });
    expect(both.equals(Buffer.concat([TEXT, text]))).toBe(true);
  });

  it('reads compressed fragments written in 7-byte pieces', async () => {
    const wss = await echoServer();
    const peer = await RawPeer.connect(wss.port, 'permessage-deflate');
    const message = Buffer.from(`${'ünïcödé '.repeat(400)}end`);
    const compressed = deflateMessage(message);
    const cut = [0, 5, Math.floor(compressed.length / 2), compressed.length];
    const mask = Buffer.from([9, 8, 7, 6]);
    const wire = Buffer.concat(
      [0, 1, 2].flatMap((i) =>
        encodeFrame({
          opcode: i === 0 ? 1 : 0,
          fin: i === 2,
          rsv1: i === 0,
          payload: compressed.subarray(cut[i], cut[i + 1]),
          mask,
        }),
      ),
    );
    for (let at = 0; at < wire.length; at += 7) peer.socket.write(wire.subarray(at, at + 7));
    const echo = await peer.nextFrame();
    expect([echo.opcode, echo.rsv1]).toEqual([1, true]);
    const inflated = zlib.inflateRawSync(
      Buffer.concat([echo.payload, Buffer.from([0, 0, 0xff, 0xff])]),
      {
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
      },
    );
    expect(inflated.equals(message)).toBe(true);
  });

  it.each([
    [
      'a continuation frame',
      [
        { opcode: 1, fin: false, rsv1: true },
        { opcode: 0, fin: true, rsv1: true },
      ],
    ],
    ['a ping', [{ opcode: 9, rsv1: true }]],
    [
      'a continuation of an uncompressed message',
      [
        { opcode: 2, fin: false },
        { opcode: 0, rsv1: true },
      ],
    ],
  ] as const)('closes with 1002 on RSV1 set on %s', async (_, frames) => {
    const wss = await echoServer();
    const peer = await RawPeer.connect(wss.port, 'permessage-deflate');
    for (const frame of frames) {
      const payload = frame.opcode === 9 ? Buffer.from('p') : deflateMessage(Buffer.from('x'));
      peer.sendFrame({ ...frame, payload });
    }
    const close = await peer.nextFrame();
    expect([close.opcode, closeCodeOf(close)]).toEqual([8, 1002]);
    await peer.waitEnded();
  });

  it('closes with 1007 on compressed data that is not DEFLATE', async () => {
    const wss = await echoServer();
    const peer = await RawPeer.connect(wss.port, 'permessage-deflate');
    peer.sendFrame({ opcode: 2, rsv1: true, payload: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x01]) });
    const close = await peer.nextFrame();
    expect([close.opcode, closeCodeOf(close)]).toEqual([8, 1007]);
  });

  it('checks UTF-8 on the inflated bytes of a text message (1007)', async () => {
    const wss = await echoServer();
    const peer = await RawPeer.connect(wss.port, 'permessage-deflate');
    peer.sendFrame({
      opcode: 1,
      rsv1: true,
      payload: deflateMessage(Buffer.from([0x61, 0xc3, 0x28])),
    });
    const close = await peer.nextFrame();
    expect([close.opcode, closeCodeOf(close)]).toEqual([8, 1007]);
  });

  it('closes a decompression bomb (1 MiB of zeros) with 1009 under a 64 KiB limit', async () => {
    const wss = await echoServer(true, { maxPayloadBytes: 64 * 1024 });
    const errors: Error[] = [];
    wss.on('connection', (ws) => ws.on('error', (err) => errors.push(err)));
    const peer = await RawPeer.connect(wss.port, 'permessage-deflate');
    const bomb = deflateMessage(Buffer.alloc(MIB));
    expect(bomb.length).toBeLessThan(2048);
    peer.sendFrame({ opcode: 2, rsv1: true, payload: bomb });
    const close = await peer.nextFrame();
    expect([close.opcode, closeCodeOf(close)]).toEqual([8, 1009]);
    expect(errors[0]).toMatchObject({ code: 'WEBSOCKET_ERR_MESSAGE_TOO_BIG', closeCode: 1009 });
    // Inflating stopped within one zlib chunk (16 KiB) of the limit, not at 1 MiB.
    const stoppedAt = Number(/stopped at (\d+) bytes/.exec(errors[0]?.message ?? '')?.[1]);
    expect(stoppedAt).toBeGreaterThan(64 * 1024);
    expect(stoppedAt).toBeLessThanOrEqual(80 * 1024);
  });

  it('applies the limit across the fragments of a compressed message', async () => {
    const wss = await echoServer(true, { maxPayloadBytes: 64 * 1024 });
    const peer = await RawPeer.connect(wss.port, 'permessage-deflate');
    const compressed = deflateMessage(
      Buffer.from(randomFillSync(Buffer.alloc(100 * 1024)).map((b) => b & 1)),
    );
    const half = Math.floor(compressed.length / 2);
    peer.sendFrame({ opcode: 2, fin: false, rsv1: true, payload: compressed.subarray(0, half) });
    peer.sendFrame({ opcode: 0, fin: true, payload: compressed.subarray(half) });
    const close = await peer.nextFrame();
    expect([close.opcode, closeCodeOf(close)]).toEqual([8, 1009]);
  });
});

describe('permessage-deflate off (the default)', () => {
  it('answers no Sec-WebSocket-Extensions when every offer is bad, even when enabled', async () => {
    const wss = await startServer({ perMessageDeflate: true });
    const peer = await RawPeer.connect(
      wss.port,
      'permessage-deflate; server_max_window_bits=99, permessage-deflate; x=1, x-other',
    );
    expect(peer.response?.headers.has('sec-websocket-extensions')).toBe(false);
    peer.sendFrame({ opcode: 2, rsv1: true, payload: deflateMessage(Buffer.from('x')) });
    const close = await peer.nextFrame();
    expect([close.opcode, closeCodeOf(close)]).toEqual([8, 1002]);
  });

  it('answers no Sec-WebSocket-Extensions to an offer, and refuses RSV1 (1002)', async () => {
    const wss = await startServer();
    const peer = await RawPeer.connect(wss.port, 'permessage-deflate; client_max_window_bits');
    expect(peer.response?.headers.has('sec-websocket-extensions')).toBe(false);
    peer.sendFrame({ opcode: 2, rsv1: true, payload: deflateMessage(Buffer.from('x')) });
    const close = await peer.nextFrame();
    expect([close.opcode, closeCodeOf(close)]).toEqual([8, 1002]);
  });

  it('offers nothing from our client, and a deflate server then sends uncompressed', async () => {
    const wss = await echoServer();
    const { client, server } = await connectPair(wss);
    expect([client.extensions, server.extensions]).toEqual(['', '']);
    await expectEchoes(client, [[TEXT, false]]);
  });
});

describe('permessage-deflate with the ws library', () => {
  it('ws as a client of our server: negotiates it and echoes small, large and 1 MiB messages', async () => {
    const wss = await echoServer({ threshold: 16 });
    const client = new WebSocket(`ws://127.0.0.1:${wss.port}/`, { perMessageDeflate: true });
    onTestFinished(() => client.terminate());
    await nextEvent(client, 'open');
    expect(client.extensions).toBe('permessage-deflate');
    const random = randomFillSync(Buffer.alloc(MIB));
    for (const [data, binary] of [
      [Buffer.from('hi'), false],
      [TEXT, false],
      [Buffer.alloc(MIB, 7), true],
      [random, true],
      [TEXT, false],
    ] as const) {
      const echoed = nextEvent<[Buffer, boolean]>(client, 'message');
      client.send(data, { binary });
      const [got, isBinary] = await echoed;
      expect(isBinary).toBe(binary);
      expect(Buffer.from(got).equals(data)).toBe(true);
    }
    const closed = nextEvent<[number, Buffer]>(client, 'close');
    client.close(1000);
    expect((await closed)[0]).toBe(1000);
  });

  it('ws as a client of our server, without context takeover on either side', async () => {
    const wss = await echoServer({ serverNoContextTakeover: true });
    const accepted = nextEvent<[WebSocketConnection]>(wss, 'connection');
    const client = new WebSocket(`ws://127.0.0.1:${wss.port}/`, {
      perMessageDeflate: { clientNoContextTakeover: true, serverMaxWindowBits: 8 },
    });
    onTestFinished(() => client.terminate());
    await nextEvent(client, 'open');
    const [ours] = await accepted;
    expect(ours.extensions).toBe(
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8',
    );
    // Repeats 300 bytes apart: a window of 8 bits must not reach back that far.
    const block = randomFillSync(Buffer.alloc(300));
    const spaced = Buffer.concat(Array.from({ length: 10 }, () => block));
    for (const message of [TEXT, spaced, TEXT, spaced, Buffer.alloc(MIB, 1)]) {
      const echoed = nextEvent<[Buffer, boolean]>(client, 'message');
      client.send(message);
      expect(Buffer.from((await echoed)[0]).equals(message)).toBe(true);
    }
  });

  it('our client joins a compressed message that a ws server sends in fragments', async () => {
    const wss = new WsServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 0 } });
    onTestFinished(
      () =>
        new Promise<void>((resolve) => {
          for (const ws of wss.clients) ws.terminate();
          wss.close(() => resolve());
        }),
    );
    await nextEvent(wss, 'listening');
    wss.on('connection', (ws) => {
      ws.send('first part, ', { fin: false });
      ws.send(Buffer.from('second part, ✓ '.repeat(500)), { fin: false });
      ws.send('last part', { fin: true });
      ws.send(TEXT.toString());
    });
    const port = (wss.address() as net.AddressInfo).port;
    const client = await withTimeout(
      connectWebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: true }),
      'connecting',
    );
    onTestFinished(() => client.terminate());
    const got: string[] = [];
    await withTimeout(
      new Promise<void>((resolve) => {
        client.on('message', (data) => {
          got.push(data.toString());
          if (got.length === 2) resolve();
        });
      }),
      'two messages',
    );
    expect(got).toEqual([`first part, ${'second part, ✓ '.repeat(500)}last part`, TEXT.toString()]);
  });

  it.each([
    ['default options', true, true],
    [
      'no context takeover and small windows',
      { serverNoContextTakeover: true, clientNoContextTakeover: true, clientMaxWindowBits: 8 },
      { serverMaxWindowBits: 8 },
    ],
  ] as const)('our client against a ws server (%s)', async (_, ours, theirs) => {
    const { port } = await wsEchoServer({
      perMessageDeflate: { ...(theirs === true ? {} : theirs), threshold: 16 },
    });
    const client = await withTimeout(
      connectWebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: ours }),
      'connecting',
    );
    onTestFinished(() => client.terminate());
    expect(client.extensions).toMatch(/^permessage-deflate/);
    await expectEchoes(client, [
      [Buffer.from('hi'), false],
      [TEXT, false],
      [randomFillSync(Buffer.alloc(MIB)), true],
      [Buffer.alloc(MIB), true],
      [TEXT, false],
      [TEXT, true],
    ]);
    const closed = closeOf(client);
    client.close(1000, 'done');
    expect(await closed).toEqual({ code: 1000, reason: 'done' });
  });
});

/** A raw server answering any handshake with 101 and `extensions` as Sec-WebSocket-Extensions. */
async function answeringServer(extensions: string): Promise<number> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', (chunk: Buffer) => {
      const key = /sec-websocket-key: *(\S+)/i.exec(chunk.toString('latin1'))?.[1] ?? '';
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${acceptKey(key)}\r\nSec-WebSocket-Extensions: ${extensions}\r\n\r\n`,
      );
    });
  });
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
      }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

describe('our client checks the answer to its offer (RFC 7692 §7.1)', () => {
  it.each([
    ['permessage-deflate; unknown=1', true],
    ['permessage-deflate; server_max_window_bits=20', true],
    ['permessage-deflate; client_max_window_bits=12', { clientMaxWindowBits: 10 }],
    ['permessage-deflate, permessage-deflate', true],
    ['permessage-deflate', undefined],
  ] as const)('fails the handshake on %j (perMessageDeflate %j)', async (answer, ours) => {
    const port = await answeringServer(answer);
    const error = await withTimeout(
      connectWebSocket(
        `ws://127.0.0.1:${port}/`,
        ours === undefined ? {} : { perMessageDeflate: ours },
      ).then(
        (ws) => {
          ws.terminate();
          return undefined;
        },
        (err: unknown) => err,
      ),
      'the handshake to fail',
    );
    expect(error).toMatchObject({ code: 'WEBSOCKET_ERR_HANDSHAKE' });
  });
});
