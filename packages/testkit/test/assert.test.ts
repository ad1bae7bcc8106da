import { describe, expect, it } from 'vitest';
import { thrownBy } from '../src/assert.ts';

describe('thrownBy', () => {
  it('returns the error the call threw', () => {
    const error = thrownBy(() => {
      throw new RangeError('too big');
    });
    expect(error).toBeInstanceOf(RangeError);
  });

  it('fails when the call returns instead of throwing', () => {
    expect(() => thrownBy(() => 42, 'parse("x")')).toThrow(
      'parse("x") should throw, but returned "42"',
    );
  });

  it("refuses a starter's stub as a rejection", () => {
    expect(() =>
      thrownBy(() => {
        throw new Error('not implemented yet: read exercises/01/README.md');
      }),
    ).toThrow(/still the starter's stub/);
  });

  it('fails when something other than an Error is thrown', () => {
    expect(() =>
      thrownBy(() => {
        throw 'a string';
      }),
    ).toThrow(/should throw an Error object/);
  });

  it('ends its failure with the hint, when one is given', () => {
    expect(() => thrownBy(() => 1, 'end()', 'Read "Limits" in README.md.')).toThrow(
      /should throw, but returned "1"\nRead "Limits" in README.md.$/,
    );
  });
});
