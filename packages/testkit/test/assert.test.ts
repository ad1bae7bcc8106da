import { describe, expect, it } from 'vitest';
import { rejectionOf, thrownBy } from '../src/assert.ts';
import { WaitTimeoutError } from '../src/wait.ts';

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

describe('rejectionOf', () => {
  it('returns the error the promise rejected with', async () => {
    const error = await rejectionOf(Promise.reject(new RangeError('too big')));
    expect(error).toBeInstanceOf(RangeError);
  });

  it('fails when the promise resolves instead, showing the value', async () => {
    await expect(rejectionOf(Promise.resolve(Buffer.from('hi')), 'read("x")')).rejects.toThrow(
      'read("x") should reject, but resolved with "hi"',
    );
  });

  it("refuses a starter's stub as the rejection", async () => {
    const stub = async (): Promise<never> => {
      throw new Error('not implemented yet: read exercises/02/README.md');
    };
    await expect(rejectionOf(stub())).rejects.toThrow(/still the starter's stub/);
  });

  it('fails when the rejection is not an Error', async () => {
    await expect(rejectionOf(Promise.reject('a string'))).rejects.toThrow(
      /should reject with an Error object, but rejected with "a string"/,
    );
  });

  it('never takes its own timeout for the rejection under test', async () => {
    const never = new Promise<never>(() => {});
    await expect(rejectionOf(never, 'the request', undefined, 20)).rejects.toThrow(
      'the request to settle',
    );
    await expect(rejectionOf(never, 'the request', undefined, 20)).rejects.toBeInstanceOf(
      WaitTimeoutError,
    );
  });

  it('ends its failure with the hint, when one is given', async () => {
    await expect(rejectionOf(Promise.resolve(1), 'get()', 'Read "Retries".')).rejects.toThrow(
      /should reject, but resolved with "1"\nRead "Retries".$/,
    );
  });
});
