import fc from 'fast-check';

/**
 * Any string of at most `maxLength` code points, lone surrogates included: the hostile text a
 * parser must survive. Use it instead of `fc.string({ unit: 'binary' })`, whose first use costs
 * fast-check 5–30 s on a 2-core machine (measured on the CI machine), enough to time a test out
 * under load; this draws the same range in well under a second. ASCII, the rest of the BMP and
 * the astral planes are drawn about equally often.
 */
export function anyText(maxLength: number): fc.Arbitrary<string> {
  return fc
    .array(
      fc.oneof(
        fc.integer({ min: 0, max: 0x7f }),
        fc.integer({ min: 0x80, max: 0xffff }),
        fc.integer({ min: 0x1_0000, max: 0x10_ffff }),
      ),
      { maxLength },
    )
    .map((codePoints) => String.fromCodePoint(...codePoints));
}
