/**
 * Client-to-server masking (RFC 6455 §5.3): byte `i` of the payload is XORed with byte `i mod 4`
 * of the 4-byte masking key. Masking and unmasking are the same operation.
 */

/** The length of a masking key: 4 bytes (RFC 6455 §5.2). */
export const MASK_KEY_BYTES = 4;

/** Scratch space to build a 32-bit mask word in the machine's byte order. */
const wordBytes = new Uint8Array(4);
const wordView = new Uint32Array(wordBytes.buffer);

/**
 * From this many bytes on, a payload is masked 32 bits at a time through a `Uint32Array` view;
 * below, byte by byte (four per turn of the loop), as the view would cost more than it saves.
 */
export const WORDS_FROM_BYTES = 64;

/**
 * XORs `data` in place with `maskKey` and returns `data`: from 64 bytes on, four bytes at a
 * time where they are 4-aligned in memory; shorter payloads byte by byte, with no allocation. `offset` is the position of `data[0]` in the masked payload, so a
 * payload that arrives in pieces can be unmasked piece by piece.
 *
 * The 32-bit mask word is built by writing the key's bytes into memory and reading them back
 * through a `Uint32Array`, so it is in the machine's byte order whatever that is: no endianness
 * is assumed.
 *
 * @param data - the bytes to mask or unmask; changed in place.
 * @param maskKey - the 4-byte masking key (only its first 4 bytes are read).
 * @param offset - how many payload bytes came before `data`. @default 0
 * @returns `data`.
 * @throws {RangeError} when `maskKey` is shorter than 4 bytes.
 * @see RFC 6455 §5.3
 * @example
 * ```ts
 * const key = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);
 * maskPayload(Buffer.from('Hello'), key); // <7f 9f 4d 51 58> (RFC 6455 §5.7)
 * ```
 */
export function maskPayload<T extends Uint8Array>(data: T, maskKey: Uint8Array, offset = 0): T {
  if (maskKey.length < MASK_KEY_BYTES) {
    throw new RangeError(`maskKey must be ${MASK_KEY_BYTES} bytes, got ${maskKey.length}`);
  }
  maskWithKey(
    data,
    maskKey[0] as number,
    maskKey[1] as number,
    maskKey[2] as number,
    maskKey[3] as number,
    offset,
  );
  return data;
}

/**
 * {@link maskPayload} with the key as its four bytes, for callers that keep the key in numbers
 * (the parser): no array and, under WORDS_FROM_BYTES, no typed-array view is created.
 * @internal
 */
export function maskWithKey(
  data: Uint8Array,
  k0: number,
  k1: number,
  k2: number,
  k3: number,
  offset: number,
): void {
  // The key rotated so that data[0] is XORed with m0, data[1] with m1, and so on.
  const shift = offset & 3;
  const m0 = shift === 0 ? k0 : shift === 1 ? k1 : shift === 2 ? k2 : k3;
  const m1 = shift === 0 ? k1 : shift === 1 ? k2 : shift === 2 ? k3 : k0;
  const m2 = shift === 0 ? k2 : shift === 1 ? k3 : shift === 2 ? k0 : k1;
  const m3 = shift === 0 ? k3 : shift === 1 ? k0 : shift === 2 ? k1 : k2;
  const length = data.length;
  let i = 0;
  if (length >= WORDS_FROM_BYTES) {
    // Bytes before the first 4-aligned address, one at a time.
    const head = (4 - (data.byteOffset & 3)) & 3;
    for (; i < head; i++) data[i] = (data[i] as number) ^ pick(i, m0, m1, m2, m3);
    wordBytes[0] = pick(i, m0, m1, m2, m3);
    wordBytes[1] = pick(i + 1, m0, m1, m2, m3);
    wordBytes[2] = pick(i + 2, m0, m1, m2, m3);
    wordBytes[3] = pick(i + 3, m0, m1, m2, m3);
    const mask = wordView[0] as number;
    const words = (length - i) >>> 2;
    const view = new Uint32Array(data.buffer, data.byteOffset + i, words);
    for (let w = 0; w < words; w++) view[w] = (view[w] as number) ^ mask;
    i += words * 4;
  } else {
    // Four bytes at a time, without a view.
    for (const end = length - 3; i < end; i += 4) {
      data[i] = (data[i] as number) ^ m0;
      data[i + 1] = (data[i + 1] as number) ^ m1;
      data[i + 2] = (data[i + 2] as number) ^ m2;
      data[i + 3] = (data[i + 3] as number) ^ m3;
    }
  }
  // The tail, one byte at a time.
  for (; i < length; i++) data[i] = (data[i] as number) ^ pick(i, m0, m1, m2, m3);
}

/** The rotated key's byte for payload position `i`. */
function pick(i: number, m0: number, m1: number, m2: number, m3: number): number {
  const r = i & 3;
  return r === 0 ? m0 : r === 1 ? m1 : r === 2 ? m2 : m3;
}
