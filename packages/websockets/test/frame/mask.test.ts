import { fromHex, toHex } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { maskPayload } from '../../src/frame/mask.ts';
import { seededRandom } from './feed.ts';

/** The definition (RFC 6455 §5.3), one byte at a time. */
function maskByByte(data: Uint8Array, key: Uint8Array, offset: number): Uint8Array {
  return data.map((byte, i) => byte ^ (key[(i + offset) % 4] as number));
}

describe('maskPayload', () => {
  it('masks "Hello" as RFC 6455 §5.7 shows, and unmasks it back', () => {
    const key = fromHex('37fa213d');
    const data = Buffer.from('Hello');
    expect(maskPayload(data, key)).toBe(data);
    expect(toHex(data)).toBe('7f9f4d5158');
    expect(maskPayload(data, key).toString()).toBe('Hello');
  });

  it('matches the byte-at-a-time definition for every length 0..67, mask offset and alignment', () => {
    const seed = 6455;
    const random = seededRandom(seed);
    const key = Uint8Array.from({ length: 4 }, () => Math.floor(random() * 256));
    const arena = new Uint8Array(80);
    for (let length = 0; length <= 67; length++) {
      for (let offset = 0; offset < 8; offset++) {
        for (let align = 0; align < 4; align++) {
          for (let i = 0; i < arena.length; i++) arena[i] = Math.floor(random() * 256);
          const before = arena.slice();
          const data = arena.subarray(align, align + length);
          const expected = maskByByte(data, key, offset);
          maskPayload(data, key, offset);
          const where = `seed ${seed}, length ${length}, offset ${offset}, alignment ${align}`;
          expect(toHex(data), where).toBe(toHex(expected));
          // Nothing outside `data` changed.
          expect(toHex(arena.subarray(0, align)), where).toBe(toHex(before.subarray(0, align)));
          expect(toHex(arena.subarray(align + length)), where).toBe(
            toHex(before.subarray(align + length)),
          );
        }
      }
    }
  });

  it('unmasks a payload piece by piece when each piece gives its offset', () => {
    const key = fromHex('01020304');
    const whole = Buffer.from('a payload that arrives in three uneven pieces');
    const masked = maskPayload(Buffer.from(whole), key);
    const pieces = [masked.subarray(0, 5), masked.subarray(5, 18), masked.subarray(18)];
    let offset = 0;
    for (const piece of pieces) {
      maskPayload(piece, key, offset);
      offset += piece.length;
    }
    expect(masked.toString()).toBe(whole.toString());
  });

  it('refuses a key shorter than 4 bytes', () => {
    expect(() => maskPayload(Buffer.from('x'), Uint8Array.of(1, 2, 3))).toThrow(RangeError);
  });
});
