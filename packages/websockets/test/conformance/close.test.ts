/**
 * Conformance, close handling (RFC 6455 §5.5.1, §7.1, §7.4; Autobahn category 7): a close is
 * answered with a close (the same code, or an empty one for an empty one) and the server then
 * closes TCP; a code that may not be sent, a 1-byte payload or an oversized or fragmented close
 * fails with 1002, a reason that is not UTF-8 with 1007; nothing after a close is answered.
 */
import { describe, expect, it } from 'vitest';
import { CLOSE_REQUEST, closePayload, echoCategory, OP } from './raw-peer.ts';

describe('conformance: close handling', () => {
  const category = echoCategory();

  it('answers an empty close with an empty close, then closes TCP', async () => {
    const peer = await category.connect();
    peer.send({ opcode: OP.CLOSE });
    await peer.expectClose(undefined);
  });

  it('echoes a message, then answers the close that follows it in the same write', async () => {
    const peer = await category.connect();
    peer.send(
      { opcode: OP.TEXT, payload: 'last words' },
      { opcode: OP.CLOSE, payload: closePayload(1000) },
    );
    await peer.expectEcho(OP.TEXT, 'last words');
    await peer.expectClose(1000);
  });

  it('fails a close with a 1-byte payload with 1002', async () => {
    const peer = await category.connect();
    peer.send({ opcode: OP.CLOSE, payload: Buffer.from([0x03]) });
    await peer.expectClose(1002);
  });

  it.each([0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535])(
    'fails a close with code %i (not valid on the wire, §7.4.1/§7.4.2) with 1002',
    async (code) => {
      const peer = await category.connect();
      peer.send({ opcode: OP.CLOSE, payload: closePayload(code) });
      await peer.expectClose(1002);
    },
  );

  it.each([
    1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999,
  ])('answers a close with code %i with the same code', async (code) => {
    const peer = await category.connect();
    peer.send({ opcode: OP.CLOSE, payload: closePayload(code, 'bye') });
    await peer.expectClose(code);
  });

  it('answers a close with a 123-byte reason (125 bytes of payload, the most allowed)', async () => {
    const peer = await category.connect();
    peer.send({ opcode: OP.CLOSE, payload: closePayload(1000, 'r'.repeat(123)) });
    await peer.expectClose(1000);
  });

  it('answers a close whose reason is multi-byte UTF-8', async () => {
    const peer = await category.connect();
    peer.send({ opcode: OP.CLOSE, payload: closePayload(1000, 'κόσμε 𝄞') });
    await peer.expectClose(1000);
  });

  it('fails a close with a 124-byte reason (126 bytes of payload) with 1002', async () => {
    const peer = await category.connect();
    peer.send({ opcode: OP.CLOSE, payload: closePayload(1000, 'r'.repeat(124)) });
    await peer.expectClose(1002);
  });

  it.each([
    { what: 'a surrogate', reason: [0xed, 0xa0, 0x80] },
    { what: 'an overlong form', reason: [0xc0, 0x80] },
    { what: 'a truncated sequence', reason: [0x6f, 0x6b, 0xe2, 0x82] },
  ])('fails a close whose reason holds $what (not UTF-8) with 1007', async ({ reason }) => {
    const peer = await category.connect();
    peer.send({ opcode: OP.CLOSE, payload: closePayload(1000, Buffer.from(reason)) });
    await peer.expectClose(1007);
  });

  it('fails a fragmented close with 1002', async () => {
    const peer = await category.connect();
    peer.send({ opcode: OP.CLOSE, payload: closePayload(1000), fin: false });
    await peer.expectClose(1002);
  });

  it('ignores data, pings and a second close written after a close', async () => {
    const peer = await category.connect();
    peer.send(
      { opcode: OP.CLOSE, payload: closePayload(1000) },
      { opcode: OP.TEXT, payload: 'ignored' },
      { opcode: OP.PING, payload: 'ignored' },
      { opcode: OP.CLOSE, payload: closePayload(1001) },
    );
    await peer.expectClose(1000); // checks nothing follows the close frame
  });

  it('ignores even a malformed frame written after a close (no 1002 replaces the echo)', async () => {
    const peer = await category.connect();
    peer.send(
      { opcode: OP.CLOSE, payload: closePayload(3001) },
      { opcode: 5, payload: 'x', mask: false },
    );
    await peer.expectClose(3001);
  });

  it('answers a close that arrives in the middle of a fragmented message', async () => {
    const peer = await category.connect();
    peer.send(
      { opcode: OP.TEXT, payload: 'unfinished', fin: false },
      { opcode: OP.CLOSE, payload: closePayload(1000) },
    );
    await peer.expectClose(1000);
  });

  it('starts a closing handshake itself: close 4001, then TCP closed by the server once answered', async () => {
    const peer = await category.connect();
    peer.send({ opcode: OP.TEXT, payload: CLOSE_REQUEST });
    const frame = await peer.nextFrame('the server close');
    expect(frame.opcode).toBe(OP.CLOSE);
    expect(frame.payload.readUInt16BE(0)).toBe(4001);
    expect(frame.payload.subarray(2).toString()).toBe('as requested');
    // §7.1.1/§5.5.1: the server does not close TCP before our close arrives; then it does.
    expect(peer.ended).toBe(false);
    peer.send({ opcode: OP.CLOSE, payload: closePayload(4001) });
    await peer.waitEnded();
    expect(peer.frames).toEqual([]);
  });

  it('ignores messages that cross its own close and ends TCP when our close arrives', async () => {
    const peer = await category.connect();
    peer.send(
      { opcode: OP.TEXT, payload: CLOSE_REQUEST },
      { opcode: OP.TEXT, payload: 'crossing' },
    );
    const frame = await peer.nextFrame('the server close');
    expect(frame.opcode).toBe(OP.CLOSE);
    peer.send({ opcode: OP.CLOSE, payload: closePayload(1000) });
    await peer.waitEnded();
    expect(peer.frames).toEqual([]);
  });

  category.itKeepsServingOthers();
});
