import { isUtf8 } from 'node:buffer';
import { describePieces, everySplit, fromHex, toHex } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { isValidUtf8, Utf8Validator } from '../../src/frame/utf8.ts';
import { seededRandom } from './feed.ts';

const hexOf = (text: string) => Buffer.from(text).toString('hex');

/**
 * `failsAt`: the index of the byte after which no continuation can make the text valid (fail
 * fast), or 'end' when only the end of the text makes it invalid; absent when valid. Categories
 * follow Markus Kuhn's UTF-8 decoder capability and stress test.
 */
const cases: { name: string; hex: string; failsAt?: number | 'end' }[] = [
  { name: 'empty', hex: '' },
  { name: 'ASCII', hex: hexOf('hello, world') },
  { name: 'Greek "kosme" (Kuhn 1)', hex: 'cebae1bdb9cf83cebcceb5' },
  { name: 'U+0000', hex: '00' },
  { name: 'U+0080, the first 2-byte', hex: 'c280' },
  { name: 'U+07FF, the last 2-byte', hex: 'dfbf' },
  { name: 'U+0800, the first 3-byte', hex: 'e0a080' },
  { name: 'U+D7FF, just below the surrogates', hex: 'ed9fbf' },
  { name: 'U+E000, just above the surrogates', hex: 'ee8080' },
  { name: 'U+FFFE, a noncharacter (valid)', hex: 'efbfbe' },
  { name: 'U+FFFF, a noncharacter (valid)', hex: 'efbfbf' },
  { name: 'U+10000, the first 4-byte', hex: 'f0908080' },
  { name: 'U+10FFFF, the last code point', hex: 'f48fbfbf' },
  { name: 'an emoji among ASCII', hex: `61${hexOf('😀')}62` },
  // Kuhn 2.1.5, 2.1.6, 3.5: 5- and 6-byte forms, FE, FF.
  { name: 'a 5-byte sequence', hex: 'f888808080', failsAt: 0 },
  { name: 'a 6-byte sequence', hex: 'fc8480808080', failsAt: 0 },
  { name: 'byte FE', hex: 'fe', failsAt: 0 },
  { name: 'byte FF', hex: '61ff', failsAt: 1 },
  // Kuhn 4.1, 4.2: overlong forms.
  { name: 'overlong "/" in 2 bytes', hex: 'c0af', failsAt: 0 },
  { name: 'overlong "/" in 3 bytes', hex: 'e080af', failsAt: 1 },
  { name: 'overlong "/" in 4 bytes', hex: 'f08080af', failsAt: 1 },
  { name: 'overlong "/" in 5 bytes', hex: 'f8808080af', failsAt: 0 },
  { name: 'overlong U+007F (C1 BF)', hex: 'c1bf', failsAt: 0 },
  { name: 'overlong U+07FF (E0 9F BF)', hex: 'e09fbf', failsAt: 1 },
  { name: 'overlong U+FFFF (F0 8F BF BF)', hex: 'f08fbfbf', failsAt: 1 },
  { name: 'overlong NUL (C0 80)', hex: 'c080', failsAt: 0 },
  // Kuhn 5.1, 5.2: surrogates, single and paired.
  { name: 'U+D800', hex: 'eda080', failsAt: 1 },
  { name: 'U+DBFF', hex: 'edafbf', failsAt: 1 },
  { name: 'U+DC00', hex: 'edb080', failsAt: 1 },
  { name: 'U+DFFF', hex: 'edbfbf', failsAt: 1 },
  { name: 'a surrogate pair U+D800 U+DC00', hex: 'eda080edb080', failsAt: 1 },
  { name: 'a surrogate after valid text', hex: `${hexOf('abc')}eda080`, failsAt: 4 },
  // Past U+10FFFF.
  { name: 'U+110000', hex: 'f4908080', failsAt: 1 },
  { name: 'a lead byte F5', hex: 'f5808080', failsAt: 0 },
  // Kuhn 3.1: stray continuation bytes.
  { name: 'a lone continuation byte', hex: '80', failsAt: 0 },
  { name: 'a continuation byte between ASCII', hex: '61bf62', failsAt: 1 },
  { name: 'a continuation byte too many', hex: 'c280 80', failsAt: 2 },
  // Bad continuations.
  { name: 'ASCII where a continuation is due', hex: 'c241', failsAt: 1 },
  { name: 'a bad third byte', hex: 'e282 28', failsAt: 2 },
  { name: 'a bad fourth byte', hex: 'f09f98 41', failsAt: 3 },
  { name: 'a new lead byte inside a sequence', hex: 'e2 c280', failsAt: 1 },
  { name: 'invalid after a long ASCII run', hex: `${'61'.repeat(100)}c0`, failsAt: 100 },
  // Kuhn 3.3, 3.4: sequences cut short at the end.
  { name: 'a 2-byte sequence cut short', hex: 'c2', failsAt: 'end' },
  { name: 'a 3-byte sequence cut short', hex: 'e282', failsAt: 'end' },
  { name: 'a 4-byte sequence cut short', hex: 'f09f98', failsAt: 'end' },
  { name: 'ASCII then a cut sequence', hex: '616263e2', failsAt: 'end' },
];

describe('Utf8Validator', () => {
  it.each(cases)('judges $name the same at every split and byte by byte', ({ hex, failsAt }) => {
    const bytes = fromHex(hex);
    for (const pieces of everySplit(bytes)) {
      const validator = new Utf8Validator();
      let ok = true;
      for (const piece of pieces) ok = validator.push(piece) && ok;
      expect(ok && validator.end(), describePieces(pieces)).toBe(failsAt === undefined);
      expect(isValidUtf8(bytes)).toBe(failsAt === undefined);
    }
  });

  it.each(cases.filter((c) => c.failsAt !== undefined))(
    'fails fast on $name',
    ({ hex, failsAt }) => {
      const bytes = fromHex(hex);
      const validator = new Utf8Validator();
      let failedAt: number | 'end' = 'end';
      for (let i = 0; i < bytes.length; i++) {
        if (!validator.push(bytes.subarray(i, i + 1))) {
          failedAt = i;
          break;
        }
      }
      expect(failedAt).toBe(failsAt);
      expect(validator.valid).toBe(failsAt === 'end');
      expect(validator.incomplete).toBe(failsAt === 'end');
    },
  );

  it('stays invalid once invalid, and starts over after reset()', () => {
    const validator = new Utf8Validator();
    expect(validator.push(fromHex('c0'))).toBe(false);
    expect(validator.push(fromHex('61'))).toBe(false);
    expect(validator.end()).toBe(false);
    validator.reset();
    expect(validator.push(fromHex('61'))).toBe(true);
    expect(validator.end()).toBe(true);
  });

  it("agrees with Node's isUtf8 on seeded random byte strings made of UTF-8's building blocks", () => {
    const seed = 3629;
    const random = seededRandom(seed);
    // Bytes that matter to UTF-8: ASCII, the edges of the continuation range, every lead class.
    const alphabet = [
      0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0,
      0xf4, 0xf5, 0xff,
    ];
    for (let n = 0; n < 3000; n++) {
      const length = Math.floor(random() * 9);
      const bytes = Uint8Array.from(
        { length },
        () => alphabet[Math.floor(random() * alphabet.length)] as number,
      );
      expect(isValidUtf8(bytes), `seed ${seed}, case ${n}: ${toHex(bytes)}`).toBe(isUtf8(bytes));
    }
  });
});
