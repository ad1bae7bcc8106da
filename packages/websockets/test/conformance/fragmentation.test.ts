/**
 * Conformance, fragmentation (RFC 6455 §5.4; Autobahn category 5): fragments are joined into
 * one message, control frames may come between them and are answered at once, and a
 * continuation with nothing to continue or a new message while one is open fails with 1002.
 */
import { describe, it } from 'vitest';
import { echoCategory, OP } from './raw-peer.ts';

describe('conformance: fragmentation', () => {
  const category = echoCategory();

  it('echoes a text message sent in two fragments as one message', async () => {
    const peer = await category.connect();
    peer.send(
      { opcode: OP.TEXT, payload: 'frag', fin: false },
      { opcode: OP.CONT, payload: 'ment' },
    );
    await peer.expectEcho(OP.TEXT, 'fragment');
  });

  it('echoes RFC 6455 §5.7 "a fragmented unmasked text message" (masked here) in literal bytes', async () => {
    const peer = await category.connect();
    // 0x01 0x03 "Hel", 0x80 0x02 "lo", each masked with 37 fa 21 3d.
    peer.write([0x01, 0x83, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d]);
    peer.write([0x80, 0x82, 0x37, 0xfa, 0x21, 0x3d, 0x5b, 0x95]);
    await peer.expectEcho(OP.TEXT, 'Hello');
  });

  it('echoes a binary message in three fragments, the middle one empty', async () => {
    const peer = await category.connect();
    peer.send(
      { opcode: OP.BINARY, payload: Buffer.from([1, 2]), fin: false },
      { opcode: OP.CONT, payload: Buffer.alloc(0), fin: false },
      { opcode: OP.CONT, payload: Buffer.from([3]) },
    );
    await peer.expectEcho(OP.BINARY, Buffer.from([1, 2, 3]));
  });

  it('echoes a text message made only of empty fragments as an empty message', async () => {
    const peer = await category.connect();
    peer.send(
      { opcode: OP.TEXT, fin: false },
      { opcode: OP.CONT, fin: false },
      { opcode: OP.CONT },
    );
    await peer.expectEcho(OP.TEXT, '');
  });

  it('echoes a message of 100 one-byte fragments, each written separately', async () => {
    const peer = await category.connect();
    const text = `${'x'.repeat(99)}y`;
    for (let i = 0; i < 100; i++) {
      peer.send({
        opcode: i === 0 ? OP.TEXT : OP.CONT,
        payload: text.slice(i, i + 1),
        fin: i === 99,
      });
    }
    await peer.expectEcho(OP.TEXT, text);
  });

  it('answers a ping between text fragments at once, then echoes the message', async () => {
    const peer = await category.connect();
    peer.send(
      { opcode: OP.TEXT, payload: 'frag', fin: false },
      { opcode: OP.PING, payload: 'between' },
      { opcode: OP.CONT, payload: 'ment' },
    );
    await peer.expectPong('between');
    await peer.expectEcho(OP.TEXT, 'fragment');
  });

  it('answers the ping between fragments before the message is even finished', async () => {
    const peer = await category.connect();
    peer.send({ opcode: OP.TEXT, payload: 'frag', fin: false }, { opcode: OP.PING, payload: 'p' });
    await peer.expectPong('p');
    peer.send({ opcode: OP.CONT, payload: 'ment' });
    await peer.expectEcho(OP.TEXT, 'fragment');
  });

  it('ignores a pong between fragments and answers a ping between every pair', async () => {
    const peer = await category.connect();
    peer.send(
      { opcode: OP.BINARY, payload: 'a', fin: false },
      { opcode: OP.PONG, payload: 'unsolicited' },
      { opcode: OP.CONT, payload: 'b', fin: false },
      { opcode: OP.PING, payload: '1' },
      { opcode: OP.CONT, payload: 'c', fin: false },
      { opcode: OP.PING, payload: '2' },
      { opcode: OP.CONT, payload: 'd' },
    );
    await peer.expectPong('1');
    await peer.expectPong('2');
    await peer.expectEcho(OP.BINARY, 'abcd');
  });

  it.each([
    { what: 'a final continuation with nothing to continue', fin: true },
    { what: 'a non-final continuation with nothing to continue', fin: false },
  ])('fails $what with 1002', async ({ fin }) => {
    const peer = await category.connect();
    peer.send({ opcode: OP.CONT, payload: 'orphan', fin });
    await peer.expectClose(1002);
  });

  it('fails a continuation right after a complete message with 1002, after echoing that message', async () => {
    const peer = await category.connect();
    peer.send({ opcode: OP.TEXT, payload: 'done' }, { opcode: OP.CONT, payload: 'more' });
    await peer.expectEcho(OP.TEXT, 'done');
    await peer.expectClose(1002);
  });

  it.each([
    { what: 'a new text message', opcode: OP.TEXT },
    { what: 'a new binary message', opcode: OP.BINARY },
    { what: 'a new non-final text fragment', opcode: OP.TEXT, fin: false },
  ])('fails $what while a text message is fragmented with 1002', async ({ opcode, fin }) => {
    const peer = await category.connect();
    peer.send(
      { opcode: OP.TEXT, payload: 'open', fin: false },
      { opcode, payload: 'new', fin: fin ?? true },
    );
    await peer.expectClose(1002);
  });

  category.itKeepsServingOthers();
});
