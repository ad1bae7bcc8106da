/**
 * Conformance of our client (connectWebSocket) against a raw server that answers the opening
 * handshake by hand and then writes hand-built, unmasked frames (RFC 6455 §5.1, §5.2–§5.6,
 * §7): every frame the client sends must be masked; a masked frame from the server, and every
 * other protocol error, fails the connection with the code §7.4.1 names.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { type ConnectWebSocketOptions, connectWebSocket } from '../../src/connection/index.ts';
import {
  buildFrame,
  closePayload,
  OP,
  type RawPeer,
  startRawServer,
  withTimeout,
} from './raw-peer.ts';

const MIB = 1024 * 1024;
const bytesOf = (n: number): Buffer =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 13 + 1) & 0xff));

/** Our client connected to a raw server; it echoes every message; its 'close' is recorded. */
async function session(options: ConnectWebSocketOptions = {}) {
  const { port, accepted } = await startRawServer();
  const ws = await connectWebSocket(`ws://127.0.0.1:${port}/`, options);
  onTestFinished(() => ws.terminate());
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => {
    if (ws.readyState === 1) ws.send(data, { binary: isBinary });
  });
  // Listened for now, so no close is missed; bounded only once a test awaits it (a watchdog
  // started here would fire, unhandled, in a test that never looks at the close).
  const closing = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  const closed = (): Promise<number> => withTimeout(closing, "the client's 'close'");
  const server: RawPeer = await accepted;
  return { server, closed };
}

describe('conformance: our client against a raw server', () => {
  it('echoes RFC 6455 §5.7 "a single-frame unmasked text message", masked', async () => {
    const { server } = await session();
    server.write([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
    await server.expectEcho(OP.TEXT, 'Hello'); // nextFrame checks the mask bit
  });

  it('echoes RFC 6455 §5.7 "a fragmented unmasked text message" as one message', async () => {
    const { server } = await session();
    server.write([0x01, 0x03, 0x48, 0x65, 0x6c]);
    server.write([0x80, 0x02, 0x6c, 0x6f]);
    await server.expectEcho(OP.TEXT, 'Hello');
  });

  it('echoes RFC 6455 §5.7 "256 bytes binary message in a single unmasked frame"', async () => {
    const { server } = await session();
    server.write(Buffer.concat([Buffer.from([0x82, 0x7e, 0x01, 0x00]), bytesOf(256)]));
    const frame = await server.nextFrame('the echo');
    expect(frame).toMatchObject({ fin: true, opcode: OP.BINARY, lengthForm: 16, masked: true });
    expect(frame.payload.equals(bytesOf(256))).toBe(true);
  });

  it.each([0, 125, 126, 127, 65535, 65536, MIB])(
    'echoes a %i-byte binary message, masked',
    async (n) => {
      const { server } = await session();
      server.send({ opcode: OP.BINARY, payload: bytesOf(n) });
      await server.expectEcho(OP.BINARY, bytesOf(n));
    },
  );

  it('answers pings of 0 and 125 bytes with masked pongs of the same payload', async () => {
    const { server } = await session();
    server.send({ opcode: OP.PING }, { opcode: OP.PING, payload: bytesOf(125) });
    await server.expectPong('');
    await server.expectPong(bytesOf(125));
  });

  it('ignores an unsolicited pong', async () => {
    const { server } = await session();
    server.send({ opcode: OP.PONG, payload: 'unsolicited' });
    await server.expectNoReply();
  });

  it('answers a ping between fragments before echoing the message', async () => {
    const { server } = await session();
    server.send(
      { opcode: OP.TEXT, payload: 'κό', fin: false },
      { opcode: OP.PING, payload: 'mid' },
      { opcode: OP.CONT, payload: 'σμε' },
    );
    await server.expectPong('mid');
    await server.expectEcho(OP.TEXT, 'κόσμε');
  });

  it('answers a close 1000 with a masked close 1000, then closes once the server ends TCP', async () => {
    const { server, closed } = await session();
    server.send({ opcode: OP.CLOSE, payload: closePayload(1000, 'done') });
    await server.expectClose(1000);
    expect(await closed()).toBe(1000);
  });

  it('answers an empty close with an empty close and reports 1005', async () => {
    const { server, closed } = await session();
    server.send({ opcode: OP.CLOSE });
    await server.expectClose(undefined);
    expect(await closed()).toBe(1005);
  });

  it('ignores frames written after a close', async () => {
    const { server, closed } = await session();
    server.send(
      { opcode: OP.CLOSE, payload: closePayload(4000) },
      { opcode: OP.TEXT, payload: 'ignored' },
      { opcode: OP.PING, payload: 'ignored' },
    );
    await server.expectClose(4000);
    expect(await closed()).toBe(4000);
  });

  it.each([
    {
      what: 'a masked text frame',
      frames: [{ opcode: OP.TEXT, payload: 'masked', mask: true }],
      code: 1002,
    },
    { what: 'a masked ping', frames: [{ opcode: OP.PING, payload: 'p', mask: true }], code: 1002 },
    {
      what: 'a masked close',
      frames: [{ opcode: OP.CLOSE, payload: closePayload(1000), mask: true }],
      code: 1002,
    },
    {
      what: 'RSV1 on a text frame',
      frames: [{ opcode: OP.TEXT, payload: 'x', rsv: 4 }],
      code: 1002,
    },
    { what: 'RSV3 on a ping', frames: [{ opcode: OP.PING, rsv: 1 }], code: 1002 },
    { what: 'reserved opcode 3', frames: [{ opcode: 3 }], code: 1002 },
    { what: 'reserved opcode 11', frames: [{ opcode: 11 }], code: 1002 },
    {
      what: 'a ping of 126 bytes',
      frames: [{ opcode: OP.PING, payload: bytesOf(126) }],
      code: 1002,
    },
    { what: 'a fragmented ping', frames: [{ opcode: OP.PING, fin: false }], code: 1002 },
    {
      what: 'a continuation with nothing to continue',
      frames: [{ opcode: OP.CONT, payload: 'x' }],
      code: 1002,
    },
    {
      what: 'a new message while one is fragmented',
      frames: [
        { opcode: OP.TEXT, payload: 'a', fin: false },
        { opcode: OP.BINARY, payload: 'b' },
      ],
      code: 1002,
    },
    {
      what: 'a close with a 1-byte payload',
      frames: [{ opcode: OP.CLOSE, payload: Buffer.from([3]) }],
      code: 1002,
    },
    {
      what: 'a close with code 1005',
      frames: [{ opcode: OP.CLOSE, payload: closePayload(1005) }],
      code: 1002,
    },
    {
      what: 'a close with code 999',
      frames: [{ opcode: OP.CLOSE, payload: closePayload(999) }],
      code: 1002,
    },
    {
      what: 'text with a surrogate',
      frames: [{ opcode: OP.TEXT, payload: Buffer.from([0xed, 0xa0, 0x80]) }],
      code: 1007,
    },
    {
      what: 'invalid UTF-8 in the first fragment of an open message',
      frames: [{ opcode: OP.TEXT, payload: Buffer.from([0x61, 0xc0, 0x80]), fin: false }],
      code: 1007,
    },
    {
      what: 'a close reason that is not UTF-8',
      frames: [{ opcode: OP.CLOSE, payload: closePayload(1000, Buffer.from([0xff])) }],
      code: 1007,
    },
  ])(
    'fails $what from the server with a masked close $code, and reports $code',
    async ({ frames, code }) => {
      const { server, closed } = await session();
      server.send(...frames);
      await server.expectClose(code);
      expect(await closed()).toBe(code);
    },
  );

  it('fails a 64-bit length with its most significant bit set with 1002', async () => {
    const { server, closed } = await session();
    server.write([0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1]);
    await server.expectClose(1002);
    expect(await closed()).toBe(1002);
  });

  it('fails a frame over maxPayloadBytes with 1009 once its length arrives', async () => {
    const { server, closed } = await session({ maxPayloadBytes: 1024 });
    server.write([0x82, 0x7e, 0x04, 0x01]); // 1025 bytes announced, none sent
    await server.expectClose(1009);
    expect(await closed()).toBe(1009);
  });

  it('fails a message over maxPayloadBytes across fragments with 1009', async () => {
    const { server, closed } = await session({ maxPayloadBytes: 1024 });
    server.send(
      { opcode: OP.TEXT, payload: 'a'.repeat(700), fin: false },
      { opcode: OP.CONT, payload: 'b'.repeat(700), fin: false },
    );
    await server.expectClose(1009);
    expect(await closed()).toBe(1009);
  });

  it('echoes a message and then answers the close written right after it', async () => {
    const { server, closed } = await session();
    server.send(
      { opcode: OP.TEXT, payload: 'last' },
      { opcode: OP.CLOSE, payload: closePayload(1001) },
    );
    await server.expectEcho(OP.TEXT, 'last');
    await server.expectClose(1001);
    expect(await closed()).toBe(1001);
  });

  it('echoes multi-byte text fragmented at odd offsets and written in odd-sized pieces', async () => {
    const { server } = await session();
    const text = Buffer.from('aκ€𝄞'.repeat(20_000), 'utf8');
    const frames: Buffer[] = [];
    for (let at = 0, i = 0; at < text.length; at += 4999, i++) {
      const end = Math.min(at + 4999, text.length);
      frames.push(
        buildFrame(
          {
            opcode: i === 0 ? OP.TEXT : OP.CONT,
            payload: text.subarray(at, end),
            fin: end === text.length,
          },
          false,
        ),
      );
    }
    const wire = Buffer.concat(frames);
    for (let at = 0; at < wire.length; at += 3001) {
      server.write(wire.subarray(at, at + 3001));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await server.expectEcho(OP.TEXT, text);
  });

  it('fails fast: invalid UTF-8 at the start of a long frame closes with 1007 before the frame is complete', async () => {
    const { server, closed } = await session();
    server.write([0x81, 0x7e, 0x10, 0x00, 0x61, 0xed, 0xbf, 0xbf]); // 4096 bytes announced
    await server.expectClose(1007);
    expect(await closed()).toBe(1007);
  });

  it('reads frames that arrive in the same TCP write as the 101 answer', async () => {
    const { port, accepted } = await startRawServer(
      Buffer.concat([
        buildFrame({ opcode: OP.TEXT, payload: 'first' }, false),
        buildFrame({ opcode: OP.PING, payload: 'early' }, false),
      ]),
    );
    const ws = await connectWebSocket(`ws://127.0.0.1:${port}/`);
    onTestFinished(() => ws.terminate());
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    const server = await accepted;
    await server.expectEcho(OP.TEXT, 'first');
    await server.expectPong('early');
  });

  it('fails a protocol error that arrives in the same TCP write as the 101 answer with 1002', async () => {
    const { port, accepted } = await startRawServer(Buffer.from([0x83, 0x00])); // opcode 3
    const ws = await connectWebSocket(`ws://127.0.0.1:${port}/`);
    onTestFinished(() => ws.terminate());
    ws.on('error', () => {});
    const server = await accepted;
    await server.expectClose(1002);
  });
});
