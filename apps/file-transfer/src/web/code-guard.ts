/**
 * The code phrase, guarded: compared in constant time, and an address that gets it wrong too
 * often (5 at once, then one every 2 s, stage 4's KeyedLimiter) is refused without comparing
 * until its wait is over, so the phrase cannot be guessed by trying fast.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { addressKey, KeyedLimiter } from '@socketlab/websockets/realtime';
import { normalizeCodePhrase } from '../handshake/code-phrase.ts';
import { WebTransferError } from './protocol.ts';

/** How many addresses' waits are remembered; past it the oldest are forgotten. */
const MAX_BLOCKED = 10_000;

/** A phrase as the command line compares it (`Otter Granite` is `otter-granite`), or as typed. */
const comparable = (phrase: string): string => {
  try {
    return normalizeCodePhrase(phrase);
  } catch {
    return phrase; // empty or too long: compared as it is, and wrong
  }
};

/**
 * Constant-time comparison of the code phrase, spelled as the command line takes it (case,
 * spaces and dashes do not matter); both sides are hashed first, so the lengths are equal.
 */
export function codeMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(comparable(expected), 'utf8').digest();
  const b = createHash('sha256').update(comparable(given), 'utf8').digest();
  return timingSafeEqual(a, b);
}

export class CodeGuard {
  readonly #wrong = new KeyedLimiter({ capacity: 5, refillPerSecond: 0.5 });
  /** Addresses refused until a time (ms since the epoch), oldest first. */
  readonly #blocked = new Map<string, number>();

  constructor(
    readonly code: string,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Checks the code `given` from `address`.
   * @throws {WebTransferError} `FT_WEB_ERR_CODE` when it is missing or wrong, or the address
   *   has to wait.
   */
  check(address: string | undefined, given: string | undefined): void {
    const key = addressKey(address);
    const until = this.#blocked.get(key);
    if (until !== undefined && until > this.now()) {
      throw new WebTransferError(
        'FT_WEB_ERR_CODE',
        `too many wrong code phrases: try again in ${Math.ceil((until - this.now()) / 1000)} s`,
      );
    }
    if (until !== undefined) this.#blocked.delete(key);
    if (codeMatches(this.code, given)) return;
    if (given === undefined) {
      throw new WebTransferError(
        'FT_WEB_ERR_CODE',
        'this receiver needs its code phrase: type the one it printed',
      );
    }
    // Only a guess counts against the address, not a request made before the code was typed.
    const taken = this.#wrong.take(key);
    if (!taken.allowed) {
      if (this.#blocked.size >= MAX_BLOCKED) {
        this.#blocked.delete(this.#blocked.keys().next().value as string);
      }
      this.#blocked.set(key, this.now() + taken.waitMs);
    }
    throw new WebTransferError(
      'FT_WEB_ERR_CODE',
      'wrong code phrase: check the one the receiver printed',
    );
  }
}
