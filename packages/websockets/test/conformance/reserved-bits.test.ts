/**
 * Conformance, reserved bits (RFC 6455 §5.2; Autobahn category 3): with no extension
 * negotiated, a frame with RSV1, RSV2 or RSV3 set fails the connection with 1002, and messages
 * before it are still echoed.
 */
import { describe, it } from 'vitest';
import { echoCategory, OP } from './raw-peer.ts';

describe('conformance: reserved bits', () => {
  const category = echoCategory();

  it.each([
    { what: 'RSV1 on a text frame', opcode: OP.TEXT, rsv: 4 },
    { what: 'RSV2 on a text frame', opcode: OP.TEXT, rsv: 2 },
    { what: 'RSV3 on a text frame', opcode: OP.TEXT, rsv: 1 },
    { what: 'RSV1+RSV2+RSV3 on a binary frame', opcode: OP.BINARY, rsv: 7 },
    { what: 'RSV1 on a ping', opcode: OP.PING, rsv: 4 },
    { what: 'RSV2 on a pong', opcode: OP.PONG, rsv: 2 },
    { what: 'RSV3 on a close', opcode: OP.CLOSE, rsv: 1 },
  ])('fails $what with 1002, after echoing the message before it', async ({ opcode, rsv }) => {
    const peer = await category.connect();
    peer.send(
      { opcode: OP.TEXT, payload: 'before' },
      { opcode, rsv, payload: opcode === OP.CLOSE ? Buffer.from([0x03, 0xe8]) : 'x' },
      { opcode: OP.PING, payload: 'after' },
    );
    await peer.expectEcho(OP.TEXT, 'before');
    await peer.expectClose(1002);
  });

  it('fails RSV2 on a continuation frame with 1002', async () => {
    const peer = await category.connect();
    peer.send(
      { opcode: OP.TEXT, payload: 'frag', fin: false },
      { opcode: OP.CONT, rsv: 2, payload: 'ment' },
    );
    await peer.expectClose(1002);
  });

  category.itKeepsServingOthers();
});
