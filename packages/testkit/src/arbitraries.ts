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

/** A class of error a decoder is allowed to throw. */
export type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Checks the property every decoder of untrusted bytes must hold: fed anything `input` draws,
 * `decode` returns or throws an instance of one of `allowed`, never another exception (a
 * TypeError or RangeError from a bad offset, say). Fails as `fc.assert` does, with the shrunk
 * input and which error strayed.
 * @example assertThrowsOnly(fc.uint8Array({ maxLength: 64 }), decodeMessage, [ProtocolError]);
 */
export function assertThrowsOnly<T>(
  input: fc.Arbitrary<T>,
  decode: (value: T) => unknown,
  allowed: readonly ErrorClass[],
  parameters: fc.Parameters<[T]> = {},
): void {
  fc.assert(
    fc.property(input, (value) => {
      try {
        decode(value);
      } catch (error) {
        if (!allowed.some((type) => error instanceof type)) {
          const names = allowed.map((type) => type.name).join(' or ');
          const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          throw new Error(`threw ${what}, not ${names}`, { cause: error });
        }
      }
    }),
    parameters,
  );
}
