import { randomInt } from 'node:crypto';
import { checkInteger, checkNumber } from '@socketlab/internal';

/**
 * A small seeded pseudo-random number generator: the same seed always gives the same sequence,
 * so a test that fails with seed 1234 fails again with seed 1234. Not for cryptography.
 *
 * The generator is xoshiro128** (Blackman and Vigna, "Scrambled linear pseudorandom number
 * generators", 2018): 128 bits of state, period 2^128 − 1, four 32-bit words, written here from
 * the published algorithm. The 32-bit seed is spread over the state with SplitMix32-style mixing,
 * so seeds 1 and 2 give unrelated sequences.
 */
export interface SeededRandom {
  /** The seed this generator started from: print it when a test fails. */
  readonly seed: number;
  /** The next unsigned 32-bit integer, 0 … 2^32 − 1. */
  next(): number;
  /** A float uniformly in [0, 1), with 32 bits of randomness. */
  float(): number;
  /**
   * An integer uniformly in [lo, hi], both ends included.
   * @throws {RangeError} when hi < lo or the span exceeds 2^32; {TypeError} when lo or hi is not
   *   an integer.
   */
  int(lo: number, hi: number): number;
  /**
   * True with probability `p` (0 never, 1 always).
   * @throws {RangeError} when p is not in [0, 1]; {TypeError} when it is NaN or not a number.
   */
  chance(p: number): boolean;
  /** Fills `target` with random bytes and returns it. */
  fill(target: Uint8Array): Uint8Array;
  /** A new independent generator whose seed is drawn from this one (for per-direction streams). */
  fork(): SeededRandom;
}

const U32 = 0x1_0000_0000;

/** Mixes a 32-bit value (a SplitMix32-style finaliser: xor-shift and multiply rounds). */
function mix32(value: number): number {
  let z = value >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85eb_ca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2_ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/**
 * Creates a {@link SeededRandom} from a 32-bit seed.
 * @param seed - any integer; it is taken modulo 2^32. @default a random seed from {@link randomSeed}
 * @throws {TypeError} when `seed` is not an integer; {RangeError} when it is not a safe one.
 * @example
 * const random = createSeededRandom(42);
 * random.int(1, 6); // the same die roll every run with seed 42
 */
export function createSeededRandom(seed: number = randomSeed()): SeededRandom {
  checkInteger('seed', seed, Number.MIN_SAFE_INTEGER);
  const start = ((seed % U32) + U32) % U32;
  let step = start;
  const nextSeedWord = (): number => {
    step = (step + 0x9e37_79b9) >>> 0;
    return mix32(step);
  };
  let s0 = nextSeedWord();
  let s1 = nextSeedWord();
  let s2 = nextSeedWord();
  let s3 = nextSeedWord();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1; // the all-zero state is the one state xoshiro never leaves

  const next = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s2 = (s2 ^ s0) >>> 0;
    s3 = (s3 ^ s1) >>> 0;
    s1 = (s1 ^ s2) >>> 0;
    s0 = (s0 ^ s3) >>> 0;
    s2 = (s2 ^ t) >>> 0;
    s3 = rotl(s3, 11);
    return result;
  };
  const float = (): number => next() / U32;

  return {
    seed: start,
    next,
    float,
    int(lo: number, hi: number): number {
      checkInteger('lo', lo, Number.MIN_SAFE_INTEGER);
      checkInteger('hi', hi, lo, Math.min(lo + U32 - 1, Number.MAX_SAFE_INTEGER - 1));
      return lo + Math.floor(float() * (hi - lo + 1));
    },
    chance(p: number): boolean {
      checkNumber('p', p, 0, 1);
      if (p === 0) return false;
      if (p === 1) return true;
      return float() < p;
    },
    fill(target: Uint8Array): Uint8Array {
      for (let i = 0; i < target.length; i += 4) {
        let word = next();
        for (let j = i; j < i + 4 && j < target.length; j++) {
          target[j] = word & 0xff;
          word >>>= 8;
        }
      }
      return target;
    },
    fork(): SeededRandom {
      return createSeededRandom(next());
    },
  };
}

/**
 * A fresh random 32-bit seed from the operating system, for when the caller gave none.
 * Tests read it from `random.seed` and print it, so a failure can be replayed.
 * @example const seed = Number(process.env.SEED ?? randomSeed());
 */
export function randomSeed(): number {
  return randomInt(0, 2 ** 32);
}
