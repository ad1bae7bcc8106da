import { describe, expect, it } from 'vitest';
import {
  CONCURRENCY_LIMITS,
  formatConcurrencyRequest,
  formatConcurrencyResponse,
  hashRounds,
  parseConcurrencyRequest,
  parseConcurrencyResponse,
} from '../../src/concurrency/index.ts';

describe('the concurrency protocol', () => {
  it.each([
    ['1 io 0', { id: '1', kind: 'io', ms: 0 }],
    ['a_b-C io 60000', { id: 'a_b-C', kind: 'io', ms: 60_000 }],
    ['7 cpu 1000 abc', { id: '7', kind: 'cpu', rounds: 1_000, seed: 'abc' }],
    ['x cpu 10000000 ~!', { id: 'x', kind: 'cpu', rounds: 10_000_000, seed: '~!' }],
  ])('reads %j and writes it back the same', (line, request) => {
    expect(parseConcurrencyRequest(line)).toEqual(request);
    expect(formatConcurrencyRequest(parseConcurrencyRequest(line))).toBe(line);
  });

  it.each([
    ['', 'a request starts with an id'],
    ['12345678901234567 io 1', 'a request starts with an id'],
    ['1 io', 'expected "<id> io <ms>" or "<id> cpu <rounds> <seed>"'],
    ['1 io 60001', 'io ms must be an integer from 0 to 60000, got "60001"'],
    ['1 io -1', 'io ms must be an integer from 0 to 60000'],
    ['1 io 1e3', 'io ms must be an integer'],
    ['1 cpu 0 abc', 'cpu rounds must be an integer from 1 to 10000000'],
    ['1 cpu 10000001 abc', 'cpu rounds must be an integer from 1 to 10000000'],
    ['1 cpu 5', 'expected "<id> io <ms>"'],
    [`1 cpu 5 ${'s'.repeat(65)}`, 'cpu seed must be 1 to 64 printable ASCII characters'],
    ['1 cpu 5 é', 'cpu seed must be 1 to 64 printable ASCII characters'],
    ['1 sleep 5', 'expected "<id> io <ms>"'],
    ['1  io 5', 'expected "<id> io <ms>"'],
  ])('refuses %j with MULTIPLEXING_ERR_PROTOCOL', (line, message) => {
    expect(() => parseConcurrencyRequest(line)).toThrow(message);
    try {
      parseConcurrencyRequest(line);
    } catch (error) {
      expect(error).toMatchObject({ code: 'MULTIPLEXING_ERR_PROTOCOL' });
    }
  });

  it('reads and writes answers', () => {
    const ok = { id: '3', ok: true, pid: 42, result: 'abc' } as const;
    expect(formatConcurrencyResponse(ok)).toBe('3 ok 42 abc');
    expect(parseConcurrencyResponse('3 ok 42 abc')).toEqual(ok);
    const failed = {
      id: '-',
      ok: false,
      code: 'MULTIPLEXING_ERR_LIMIT_EXCEEDED',
      message: 'the worker pool is full',
    } as const;
    expect(formatConcurrencyResponse(failed)).toBe(
      '- error MULTIPLEXING_ERR_LIMIT_EXCEEDED the worker pool is full',
    );
    expect(parseConcurrencyResponse(formatConcurrencyResponse(failed))).toEqual(failed);
    expect(() => parseConcurrencyResponse('3 error NOPE x')).toThrow('unknown error code');
    expect(() => parseConcurrencyResponse('3 maybe')).toThrow('expected "<id> ok <pid> <result>"');
  });

  it('keeps its limits inside the line the server accepts', () => {
    const longest = `${'i'.repeat(CONCURRENCY_LIMITS.maxIdLength)} cpu ${CONCURRENCY_LIMITS.maxCpuRounds} ${'s'.repeat(CONCURRENCY_LIMITS.maxSeedLength)}`;
    expect(Buffer.byteLength(longest)).toBeLessThanOrEqual(CONCURRENCY_LIMITS.maxLineBytes);
  });

  it('hashes in a chain: SHA-256 of the seed, then of each digest', () => {
    expect(hashRounds('abc', 1)).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(hashRounds('abc', 2)).toBe(
      '4f8b42c22dd3729b519ba6f68d2da7cc5b2d606d05daed5ad5128cc03e6c6358',
    );
    expect(() => hashRounds('abc', 0)).toThrow(RangeError);
  });
});
