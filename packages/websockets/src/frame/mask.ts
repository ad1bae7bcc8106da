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
 * XORs `data` in place with `maskKey`, four bytes at a time where the bytes are 4-aligned in
 * memory, and returns `data`. `offset` is the position of `data[0]` in the masked payload, so a
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
  const k0 = maskKey[0] as number;
  const k1 = maskKey[1] as number;
  const k2 = maskKey[2] as number;
  const k3 = maskKey[3] as number;
  const key = [k0, k1, k2, k3];
  const length = data.length;
  const shift = offset & 3;
  let i = 0;
  // Bytes before the first 4-aligned address, one at a time.
  const head = Math.min(length, (4 - (data.byteOffset & 3)) & 3);
  for (; i < head; i++) data[i] = (data[i] as number) ^ (key[(i + shift) & 3] as number);
  const words = (length - i) >>> 2;
  if (words > 0) {
    const start = (i + shift) & 3;
    wordBytes[0] = key[start] as number;
    wordBytes[1] = key[(start + 1) & 3] as number;
    wordBytes[2] = key[(start + 2) & 3] as number;
    wordBytes[3] = key[(start + 3) & 3] as number;
    const mask = wordView[0] as number;
    const view = new Uint32Array(data.buffer, data.byteOffset + i, words);
    for (let w = 0; w < words; w++) view[w] = (view[w] as number) ^ mask;
    i += words * 4;
  }
  // The tail, one byte at a time.
  for (; i < length; i++) data[i] = (data[i] as number) ^ (key[(i + shift) & 3] as number);
  return data;
}
