/**
 * Conformance, limits (RFC 6455 §7.4.1 code 1009, §10.4; Autobahn category 9 in spirit): with
 * `maxPayloadBytes` set small, a frame or a message across fragments past it fails with 1009,
 * as soon as a length proves it (without waiting for the payload), and one exactly at it echoes.
 */
import { describe, it } from 'vitest';
import { buildFrame, echoCategory, OP, TEST_MASK } from './raw-peer.ts';

const LIMIT = 1024;

describe('conformance: limits (maxPayloadBytes 1024)', () => {
  const category = echoCategory({ maxPayloadBytes: LIMIT });

  it('echoes a frame of exactly maxPayloadBytes', async () => {
    const peer = await category.connect();
    peer.send({ opcode: OP.BINARY, payload: Buffer.alloc(LIMIT, 7) });
    await peer.expectEcho(OP.BINARY, Buffer.alloc(LIMIT, 7));
  });

  it('echoes a message whose fragments add up to exactly maxPayloadBytes', async () => {
    const peer = await category.connect();
    peer.send(
      { opcode: OP.TEXT, payload: 'a'.repeat(600), fin: false },
      { opcode: OP.CONT, payload: 'b'.repeat(LIMIT - 600) },
    );
    await peer.expectEcho(OP.TEXT, 'a'.repeat(600) + 'b'.repeat(LIMIT - 600));
  });

  it.each([
    { what: 'binary', opcode: OP.BINARY },
    { what: 'text', opcode: OP.TEXT },
  ])('fails a $what frame one byte over maxPayloadBytes with 1009', async ({ opcode }) => {
    const peer = await category.connect();
    peer.send({ opcode, payload: 'x'.repeat(LIMIT + 1) });
    await peer.expectClose(1009);
  });

  it('fails a frame announcing 4 GiB with 1009 as soon as its length arrives, no payload sent', async () => {
    const peer = await category.connect();
    peer.write([0x82, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, ...TEST_MASK]);
    await peer.expectClose(1009);
  });

  it('fails a message over maxPayloadBytes across fragments with 1009', async () => {
    const peer = await category.connect();
    peer.send(
      { opcode: OP.BINARY, payload: Buffer.alloc(600), fin: false },
      { opcode: OP.CONT, payload: Buffer.alloc(600) },
    );
    await peer.expectClose(1009);
  });

  it('fails fast: the fragment that passes the limit fails with 1009 before the message ends', async () => {
    const peer = await category.connect();
    peer.send(
      { opcode: OP.TEXT, payload: 'a'.repeat(1000), fin: false },
      { opcode: OP.CONT, payload: 'b'.repeat(100), fin: false },
    );
    await peer.expectClose(1009);
  });

  it('answers a ping between fragments of a large (but allowed) message', async () => {
    const peer = await category.connect();
    peer.send(
      { opcode: OP.BINARY, payload: Buffer.alloc(1000, 1), fin: false },
      { opcode: OP.PING, payload: 'p'.repeat(125) },
      { opcode: OP.CONT, payload: Buffer.alloc(24, 2) },
    );
    await peer.expectPong('p'.repeat(125));
    await peer.expectEcho(OP.BINARY, Buffer.concat([Buffer.alloc(1000, 1), Buffer.alloc(24, 2)]));
  });

  it('echoes a frame of exactly maxPayloadBytes written in pieces (each byte counted once)', async () => {
    const peer = await category.connect();
    const wire = buildFrame({ opcode: OP.TEXT, payload: 'é'.repeat(LIMIT / 2) }, true);
    for (let at = 0; at < wire.length; at += 97) {
      peer.write(wire.subarray(at, at + 97));
      await new Promise((resolve) => setImmediate(resolve)); // separate reads, most often
    }
    await peer.expectEcho(OP.TEXT, 'é'.repeat(LIMIT / 2));
  });

  it('echoes a fragmented message of exactly maxPayloadBytes whose last fragment arrives in pieces', async () => {
    const peer = await category.connect();
    peer.send({ opcode: OP.BINARY, payload: Buffer.alloc(500, 1), fin: false });
    const wire = buildFrame({ opcode: OP.CONT, payload: Buffer.alloc(LIMIT - 500, 2) }, true);
    for (let at = 0; at < wire.length; at += 61) {
      peer.write(wire.subarray(at, at + 61));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await peer.expectEcho(
      OP.BINARY,
      Buffer.concat([Buffer.alloc(500, 1), Buffer.alloc(LIMIT - 500, 2)]),
    );
  });

  it('fails fast: a continuation whose first bytes pass the limit fails with 1009 before it is complete', async () => {
    const peer = await category.connect();
    peer.send({ opcode: OP.BINARY, payload: Buffer.alloc(1000), fin: false });
    const header = Buffer.from([0x80, 0xe4, 0, 0, 0, 0]); // 100 bytes announced, zero mask
    peer.write(Buffer.concat([header, Buffer.alloc(30)])); // 1030 > 1024 received
    await peer.expectClose(1009);
  });

  category.itKeepsServingOthers();
});
