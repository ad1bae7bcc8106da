import { describe, expect, it } from 'vitest';
import { DistributedError } from '../../src/errors.ts';
import { decodeBrokerJson, isPublishSubject, subjectMatches } from '../../src/nats/index.ts';

const bytes = (text: string) => new TextEncoder().encode(text);
const refusal = (input: Uint8Array, limits = {}) => {
  try {
    decodeBrokerJson(input, limits);
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('decodeBrokerJson', () => {
  it('decodes bounded JSON', () => {
    expect(decodeBrokerJson(bytes('{"price":42,"tags":["a"]}'))).toEqual({
      price: 42,
      tags: ['a'],
    });
  });

  it.each([
    ['not JSON', bytes('{price:')],
    ['not UTF-8', new Uint8Array([0x22, 0xff, 0x22])],
    ['nested 2,000 levels', bytes(`${'['.repeat(2000)}${']'.repeat(2000)}`)],
    ['over the byte bound', bytes(`"${'x'.repeat(20_000)}"`)],
    ['empty', new Uint8Array(0)],
  ])('refuses a payload that is %s with DISTRIBUTED_ERR_PAYLOAD', (_, input) => {
    const error = refusal(input);
    expect(error).toBeInstanceOf(DistributedError);
    expect((error as DistributedError).code).toBe('DISTRIBUTED_ERR_PAYLOAD');
  });

  it('takes its bounds from the options', () => {
    expect(refusal(bytes('[[1]]'), { maxDepth: 1 })).toBeInstanceOf(DistributedError);
    expect(refusal(bytes('"abcdef"'), { maxBytes: 4 })).toBeInstanceOf(DistributedError);
  });
});

describe('subjects', () => {
  it.each([
    ['prices.>', 'prices.eu.acme', true],
    ['prices.>', 'prices', false],
    ['prices.*', 'prices.eu', true],
    ['prices.*', 'prices.eu.acme', false],
    ['*.eu.*', 'prices.eu.acme', true],
    ['prices.eu', 'prices.eu', true],
    ['prices.eu', 'prices.us', false],
    ['>', 'anything.at.all', true],
  ])('%s matches %s: %s', (pattern, subject, expected) => {
    expect(subjectMatches(pattern, subject)).toBe(expected);
  });

  it.each([
    ['prices.eu', true],
    ['prices.*', false],
    ['prices.>', false],
    ['a..b', false],
    ['.a', false],
    ['a b', false],
    ['', false],
    [42, false],
    ['x'.repeat(257), false],
  ])('isPublishSubject(%j) is %s', (subject, expected) => {
    expect(isPublishSubject(subject)).toBe(expected);
  });
});
