/**
 * Conformance, UTF-8 (RFC 6455 §5.6, §8.1; RFC 3629; Autobahn category 6): valid text echoes
 * however its code points are split across fragments, and text that is not UTF-8 (overlong
 * forms, surrogates, code points past U+10FFFF, a sequence cut off at the end of the message)
 * fails with 1007, as soon as a fragment proves it, without waiting for the message to end.
 */
import { describe, it } from 'vitest';
import { buildFrame, echoCategory, OP } from './raw-peer.ts';

/** Text with 1-, 2-, 3- and 4-byte code points, U+10FFFF (the last one) included. */
const MIXED = 'a κόσμε € 𝄞 \u{10ffff} z';

describe('conformance: UTF-8', () => {
  const category = echoCategory();

  it.each([
    { what: 'Greek (2-byte)', text: 'κόσμε' },
    { what: 'U+FFFD and U+FEFF (3-byte)', text: '\ufffd\ufeff' },
    { what: 'U+10000 and U+10FFFF (4-byte, the ends of the range)', text: '\u{10000}\u{10ffff}' },
    { what: 'U+0000 (an ASCII NUL is valid UTF-8)', text: '\u0000' },
    { what: 'U+D7FF and U+E000 (either side of the surrogates)', text: '\ud7ff\ue000' },
  ])('echoes valid $what in one frame', async ({ text }) => {
    const peer = await category.connect();
    peer.send({ opcode: OP.TEXT, payload: text });
    await peer.expectEcho(OP.TEXT, text);
  });

  it('echoes valid multi-byte text split into two fragments at every byte offset', async () => {
    const bytes = Buffer.from(MIXED, 'utf8');
    const peer = await category.connect();
    for (let cut = 0; cut <= bytes.length; cut++) {
      peer.send(
        { opcode: OP.TEXT, payload: bytes.subarray(0, cut), fin: false },
        { opcode: OP.CONT, payload: bytes.subarray(cut) },
      );
      await peer.expectEcho(OP.TEXT, bytes);
    }
  });

  it('echoes valid multi-byte text sent one byte per fragment', async () => {
    const bytes = Buffer.from(MIXED, 'utf8');
    const peer = await category.connect();
    peer.send(
      ...Array.from(bytes, (byte, i) => ({
        opcode: i === 0 ? OP.TEXT : OP.CONT,
        payload: Buffer.from([byte]),
        fin: i === bytes.length - 1,
      })),
    );
    await peer.expectEcho(OP.TEXT, bytes);
  });

  it('echoes binary that is not UTF-8 (only text is checked)', async () => {
    const peer = await category.connect();
    peer.send({ opcode: OP.BINARY, payload: Buffer.from([0xc0, 0x80, 0xed, 0xa0, 0x80, 0xff]) });
    await peer.expectEcho(OP.BINARY, Buffer.from([0xc0, 0x80, 0xed, 0xa0, 0x80, 0xff]));
  });

  it.each([
    { what: 'an overlong 2-byte NUL (C0 80)', bytes: [0x61, 0xc0, 0x80] },
    { what: 'an overlong 2-byte "/" (C1 BF)', bytes: [0xc1, 0xbf] },
    { what: 'an overlong 3-byte form (E0 80 AF)', bytes: [0xe0, 0x80, 0xaf] },
    { what: 'an overlong 4-byte form (F0 8F BF BF)', bytes: [0xf0, 0x8f, 0xbf, 0xbf] },
    { what: 'a high surrogate U+D800 (ED A0 80)', bytes: [0xed, 0xa0, 0x80] },
    { what: 'a low surrogate U+DFFF (ED BF BF)', bytes: [0xed, 0xbf, 0xbf] },
    { what: 'a surrogate pair encoded as CESU-8', bytes: [0xed, 0xa0, 0xbd, 0xed, 0xb2, 0xa9] },
    { what: 'U+110000 (F4 90 80 80)', bytes: [0xf4, 0x90, 0x80, 0x80] },
    { what: 'a 5-byte form (F8 88 80 80 80)', bytes: [0xf8, 0x88, 0x80, 0x80, 0x80] },
    { what: 'the bytes FE and FF', bytes: [0xfe, 0xff] },
    { what: 'a lone continuation byte (80)', bytes: [0x61, 0x80, 0x62] },
    { what: 'a lead byte followed by ASCII (C3 28)', bytes: [0x68, 0xc3, 0x28] },
    { what: 'a 3-byte sequence truncated at the message end (E2 82)', bytes: [0x61, 0xe2, 0x82] },
    {
      what: 'a 4-byte sequence truncated at the message end (F0 9D 84)',
      bytes: [0xf0, 0x9d, 0x84],
    },
  ])('fails text with $what with 1007', async ({ bytes }) => {
    const peer = await category.connect();
    peer.send({ opcode: OP.TEXT, payload: Buffer.from(bytes) });
    await peer.expectClose(1007);
  });

  it('fails a fragmented text message whose last fragment ends mid-sequence with 1007', async () => {
    const peer = await category.connect();
    peer.send(
      { opcode: OP.TEXT, payload: 'ok ', fin: false },
      { opcode: OP.CONT, payload: Buffer.from([0xe2, 0x82]), fin: false },
      { opcode: OP.CONT, payload: Buffer.alloc(0) },
    );
    await peer.expectClose(1007);
  });

  it('fails fast: invalid bytes in the first fragment of an open message close with 1007 before it ends', async () => {
    const peer = await category.connect();
    // The message is never finished: the verdict must come from the first fragment alone.
    peer.send({
      opcode: OP.TEXT,
      payload: Buffer.from([0x61, 0xed, 0xa0, 0x80, 0x62]),
      fin: false,
    });
    await peer.expectClose(1007);
  });

  it('fails fast: a sequence already impossible after its second byte (F4 90) closes with 1007 mid-message', async () => {
    const peer = await category.connect();
    peer.send({ opcode: OP.TEXT, payload: Buffer.from([0x61, 0xf4, 0x90]), fin: false });
    await peer.expectClose(1007);
  });

  it('fails fast: invalid bytes in a later fragment close with 1007 before the final fragment', async () => {
    const peer = await category.connect();
    peer.send(
      { opcode: OP.TEXT, payload: 'valid ', fin: false },
      { opcode: OP.CONT, payload: Buffer.from([0xc0, 0xaf]), fin: false },
    );
    await peer.expectClose(1007);
  });

  it('fails fast: invalid bytes at the start of a long frame close with 1007 before the frame is complete', async () => {
    const peer = await category.connect();
    const frame = Buffer.from([0x81, 0xfe, 0x10, 0x00, 0, 0, 0, 0]); // 4096 bytes, zero mask
    peer.write(Buffer.concat([frame, Buffer.from([0xff, 0x61, 0x61])]));
    await peer.expectClose(1007);
  });

  it('echoes 1 MiB of multi-byte text in one frame written in odd-sized pieces', async () => {
    const unit = Buffer.from('aκ€𝄞', 'utf8'); // 1 + 2 + 3 + 4 bytes
    const text = Buffer.alloc(1024 * 1024);
    for (let at = 0; at < text.length; at += unit.length) unit.copy(text, at);
    const whole = text.subarray(0, text.length - (text.length % unit.length)); // whole units only
    const peer = await category.connect();
    const wire = buildFrame({ opcode: OP.TEXT, payload: whole }, true);
    for (let at = 0; at < wire.length; at += 7919) {
      peer.write(wire.subarray(at, at + 7919));
      await new Promise((resolve) => setImmediate(resolve)); // separate reads, most often
    }
    await peer.expectEcho(OP.TEXT, whole);
  });

  it('fails fast: invalid bytes at the start of a long continuation frame close with 1007 before it is complete', async () => {
    const peer = await category.connect();
    peer.send({ opcode: OP.TEXT, payload: 'valid', fin: false });
    const header = Buffer.from([0x80, 0xfe, 0x10, 0x00, 0, 0, 0, 0]); // 4096 bytes, zero mask
    peer.write(Buffer.concat([header, Buffer.from([0x61, 0xc1, 0x81])]));
    await peer.expectClose(1007);
  });

  category.itKeepsServingOthers();
});
