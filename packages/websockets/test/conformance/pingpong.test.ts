/**
 * Conformance, ping and pong (RFC 6455 §5.5.2, §5.5.3; Autobahn category 2): a ping is answered
 * with a pong carrying the same payload, an unsolicited pong is ignored, and a control frame
 * over 125 bytes or fragmented fails with 1002.
 */
import { describe, it } from 'vitest';
import { echoCategory, OP } from './raw-peer.ts';

const bytesOf = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => i & 0xff));

describe('conformance: ping and pong', () => {
  const category = echoCategory();

  it('answers a ping with no payload with an empty pong', async () => {
    const peer = await category.connect();
    peer.send({ opcode: OP.PING });
    await peer.expectPong('');
  });

  it('answers a ping of 125 bytes (the most allowed) with a pong of the same bytes', async () => {
    const peer = await category.connect();
    peer.send({ opcode: OP.PING, payload: bytesOf(125) });
    await peer.expectPong(bytesOf(125));
  });

  it('answers a ping whose payload is not UTF-8 with the same bytes (control payloads are binary)', async () => {
    const peer = await category.connect();
    const payload = Buffer.from([0x00, 0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80]);
    peer.send({ opcode: OP.PING, payload });
    await peer.expectPong(payload);
  });

  it('answers RFC 6455 §5.7 "a masked Ping request" written as literal bytes', async () => {
    const peer = await category.connect();
    peer.write([0x89, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    await peer.expectPong('Hello');
  });

  it('answers ten pings written at once with ten pongs, in order', async () => {
    const peer = await category.connect();
    const pings = Array.from({ length: 10 }, (_, i) => ({ opcode: OP.PING, payload: `ping ${i}` }));
    peer.send(...pings);
    for (let i = 0; i < 10; i++) await peer.expectPong(`ping ${i}`);
  });

  it('fails a ping of 126 bytes with 1002', async () => {
    const peer = await category.connect();
    peer.send({ opcode: OP.PING, payload: bytesOf(126) });
    await peer.expectClose(1002);
  });

  it('fails a ping of 125 bytes announced in the 16-bit length form with 1002', async () => {
    // §5.5: a control frame's length MUST be 125 or less, so its 7-bit length byte can never
    // legitimately be 126 or 127; the parser fails it on that byte, before the length arrives
    // (unlike a non-minimal length on a data frame, which is accepted: see framing).
    const peer = await category.connect();
    peer.send({ opcode: OP.PING, payload: bytesOf(125), lengthForm: 16 });
    await peer.expectClose(1002);
  });

  it('fails a fragmented ping (FIN clear) with 1002', async () => {
    const peer = await category.connect();
    peer.send({ opcode: OP.PING, payload: 'frag', fin: false });
    await peer.expectClose(1002);
  });

  it('fails a fragmented ping followed by its continuation with 1002', async () => {
    const peer = await category.connect();
    peer.send({ opcode: OP.PING, payload: 'fr', fin: false }, { opcode: OP.CONT, payload: 'ag' });
    await peer.expectClose(1002);
  });

  it('ignores an unsolicited pong with no payload', async () => {
    const peer = await category.connect();
    peer.send({ opcode: OP.PONG });
    await peer.expectNoReply();
  });

  it('ignores an unsolicited pong of 125 bytes, then echoes a message', async () => {
    const peer = await category.connect();
    peer.send({ opcode: OP.PONG, payload: bytesOf(125) }, { opcode: OP.TEXT, payload: 'after' });
    await peer.expectEcho(OP.TEXT, 'after');
  });

  it('fails a pong of 126 bytes with 1002', async () => {
    const peer = await category.connect();
    peer.send({ opcode: OP.PONG, payload: bytesOf(126) });
    await peer.expectClose(1002);
  });

  category.itKeepsServingOthers();
});
