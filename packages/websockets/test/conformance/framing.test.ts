/**
 * Conformance, framing (RFC 6455 §5.2, §5.3, §5.6; Autobahn category 1): data frames of every
 * length form are echoed exactly, the server's echo uses the minimal length form, and a client
 * frame that is not masked fails with 1002.
 */
import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/frame/index.ts';
import { echoCategory, OP, TEST_MASK } from './raw-peer.ts';

const MIB = 1024 * 1024;
/** Deterministic bytes (no randomness needed): i * 31 + 7 mod 256. */
const bytesOf = (n: number): Buffer =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff));
/** ASCII text of n bytes. */
const textOf = (n: number): string =>
  'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(Math.ceil(n / 36) + 1).slice(0, n);
/** The minimal length form RFC 6455 §5.2 requires for `n` bytes. */
const formOf = (n: number): number => (n < 126 ? 7 : n < 65536 ? 16 : 64);

describe('conformance: framing', () => {
  const category = echoCategory();

  it.each([0, 125, 126, 127, 65535, 65536, MIB])('echoes a %i-byte text message', async (n) => {
    const peer = await category.connect();
    peer.send({ opcode: OP.TEXT, payload: textOf(n) });
    const frame = await peer.nextFrame('the echo');
    expect(frame).toMatchObject({ fin: true, rsv: 0, opcode: OP.TEXT, lengthForm: formOf(n) });
    expect(frame.payload.length).toBe(n);
    expect(frame.payload.toString('latin1') === textOf(n)).toBe(true);
  });

  it.each([0, 125, 126, 127, 65535, 65536, MIB])('echoes a %i-byte binary message', async (n) => {
    const peer = await category.connect();
    peer.send({ opcode: OP.BINARY, payload: bytesOf(n) });
    const frame = await peer.nextFrame('the echo');
    expect(frame).toMatchObject({ fin: true, rsv: 0, opcode: OP.BINARY, lengthForm: formOf(n) });
    expect(frame.payload.equals(bytesOf(n))).toBe(true);
  });

  it('echoes RFC 6455 §5.7 "a single-frame masked text message" written as literal bytes', async () => {
    const peer = await category.connect();
    peer.write([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    await peer.expectEcho(OP.TEXT, 'Hello');
  });

  it('echoes a frame built by src/frame encodeFrame with a random mask', async () => {
    const peer = await category.connect();
    peer.write(
      Buffer.concat(encodeFrame({ opcode: OP.BINARY, payload: bytesOf(300), mask: true })),
    );
    await peer.expectEcho(OP.BINARY, bytesOf(300));
  });

  it('echoes a frame delivered one byte per write', async () => {
    const peer = await category.connect();
    const payload = textOf(200);
    const wire = Buffer.concat(
      encodeFrame({ opcode: OP.TEXT, payload: Buffer.from(payload), mask: TEST_MASK }),
    );
    for (const byte of wire) peer.write([byte]);
    await peer.expectEcho(OP.TEXT, payload);
  });

  it('echoes three messages written in one TCP write, in order', async () => {
    const peer = await category.connect();
    peer.send(
      { opcode: OP.TEXT, payload: 'one' },
      { opcode: OP.BINARY, payload: bytesOf(130) },
      { opcode: OP.TEXT, payload: '' },
    );
    await peer.expectEcho(OP.TEXT, 'one');
    await peer.expectEcho(OP.BINARY, bytesOf(130));
    await peer.expectEcho(OP.TEXT, '');
  });

  it.each([
    { n: 5, form: 16 as const },
    { n: 5, form: 64 as const },
    { n: 300, form: 64 as const },
  ])(
    'accepts a non-minimal $form-bit length for $n bytes (see README: the MUST binds the sender)',
    async ({ n, form }) => {
      const peer = await category.connect();
      peer.send({ opcode: OP.BINARY, payload: bytesOf(n), lengthForm: form });
      await peer.expectEcho(OP.BINARY, bytesOf(n));
    },
  );

  it('fails a 64-bit length with its most significant bit set with 1002', async () => {
    const peer = await category.connect();
    peer.write([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, ...TEST_MASK]);
    await peer.expectClose(1002);
  });

  it('fails an unmasked client frame with 1002', async () => {
    const peer = await category.connect();
    peer.send({ opcode: OP.TEXT, payload: 'bare', mask: false });
    await peer.expectClose(1002);
  });

  it('fails an unmasked client frame with 1002 after echoing a masked one before it', async () => {
    const peer = await category.connect();
    peer.send(
      { opcode: OP.TEXT, payload: 'masked' },
      { opcode: OP.BINARY, payload: bytesOf(3), mask: false },
    );
    await peer.expectEcho(OP.TEXT, 'masked');
    await peer.expectClose(1002);
  });

  category.itKeepsServingOthers();
});
