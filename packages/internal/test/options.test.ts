import { describe, expect, it } from 'vitest';
import { checkInteger, checkNumber } from '../src/options.ts';

describe('checkInteger', () => {
  it('returns an integer inside the range, bounds included', () => {
    expect(checkInteger('n', 1, 1, 10)).toBe(1);
    expect(checkInteger('n', 10, 1, 10)).toBe(10);
    expect(checkInteger('n', 2 ** 40, 0)).toBe(2 ** 40);
  });

  it.each([
    ['a string', '5', 'n must be an integer from 1 to 10, got "5"'],
    ['NaN', Number.NaN, 'n must be an integer from 1 to 10, got NaN'],
    ['a fraction', 1.5, 'n must be an integer from 1 to 10, got 1.5'],
    ['undefined', undefined, 'n must be an integer from 1 to 10, got undefined'],
    ['an object', {}, 'n must be an integer from 1 to 10, got an object'],
  ])('throws a TypeError for %s', (_, value, message) => {
    expect(() => checkInteger('n', value, 1, 10)).toThrow(new TypeError(message));
  });

  it.each([
    [0, 'n must be an integer from 1 to 10, got 0'],
    [11, 'n must be an integer from 1 to 10, got 11'],
    [Number.POSITIVE_INFINITY, 'n must be an integer from 1 to 10, got Infinity'],
  ])('throws a RangeError for %s', (value, message) => {
    expect(() => checkInteger('n', value, 1, 10)).toThrow(new RangeError(message));
  });

  it('says ≥ min when there is no upper bound', () => {
    expect(() => checkInteger('n', -1, 0)).toThrow(
      new RangeError('n must be an integer ≥ 0, got -1'),
    );
  });
});

describe('checkNumber', () => {
  it('returns a number inside the range, fractions included', () => {
    expect(checkNumber('p', 0.25, 0, 1)).toBe(0.25);
    expect(checkNumber('ms', 0, 0)).toBe(0);
  });

  it('throws a TypeError for a non-number or NaN', () => {
    expect(() => checkNumber('p', '1', 0, 1)).toThrow(
      new TypeError('p must be a number from 0 to 1, got "1"'),
    );
    expect(() => checkNumber('p', Number.NaN, 0, 1)).toThrow(TypeError);
  });

  it('throws a RangeError out of range, and for Infinity', () => {
    expect(() => checkNumber('p', 1.5, 0, 1)).toThrow(
      new RangeError('p must be a number from 0 to 1, got 1.5'),
    );
    expect(() => checkNumber('ms', Number.POSITIVE_INFINITY, 0)).toThrow(
      new RangeError('ms must be a finite number ≥ 0, got Infinity'),
    );
  });
});
