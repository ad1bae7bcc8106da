/**
 * Conformance, opcodes (RFC 6455 §5.2, §10.7; Autobahn category 4): the reserved opcodes 3–7
 * (non-control) and 11–15 (control) fail the connection with 1002, with or without a payload,
 * after echoing what came before.
 */
import { describe, it } from 'vitest';
import { echoCategory, OP } from './raw-peer.ts';

describe('conformance: opcodes', () => {
  const category = echoCategory();

  it.each([3, 4, 5, 6, 7, 11, 12, 13, 14, 15])(
    'fails reserved opcode %i with 1002, after echoing the message before it',
    async (opcode) => {
      const peer = await category.connect();
      peer.send(
        { opcode: OP.TEXT, payload: 'before' },
        { opcode, payload: opcode % 2 === 0 ? '' : 'reserved' },
        { opcode: OP.PING, payload: 'after' },
      );
      await peer.expectEcho(OP.TEXT, 'before');
      await peer.expectClose(1002);
    },
  );

  it('fails a reserved opcode in the middle of a fragmented message with 1002', async () => {
    const peer = await category.connect();
    peer.send({ opcode: OP.TEXT, payload: 'frag', fin: false }, { opcode: 5, payload: 'x' });
    await peer.expectClose(1002);
  });

  category.itKeepsServingOthers();
});
