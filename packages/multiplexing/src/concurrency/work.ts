/**
 * The work behind each request kind, the same in every model so every model gives the same
 * answers: `io` waits on a timer (what a call to a database or another service looks like from
 * the event loop: nothing to compute, only a callback later), `cpu` hashes in a chain (pure
 * computation that holds whichever thread runs it).
 */
import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * SHA-256 applied `rounds` times in a chain, starting from the UTF-8 bytes of `seed`; each next
 * round hashes the previous digest's 32 bytes. Returns the last digest in hex. Synchronous and
 * deterministic: the CPU-bound request kind, and what a test checks the answers against.
 * @throws {RangeError} when `rounds` is not an integer ≥ 1.
 * @example hashRounds('abc', 1); // 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
 */
export function hashRounds(seed: string, rounds: number): string {
  if (!Number.isSafeInteger(rounds) || rounds < 1) {
    throw new RangeError(`rounds must be an integer ≥ 1, got ${rounds}`);
  }
  let digest = createHash('sha256').update(seed, 'utf8').digest();
  for (let i = 1; i < rounds; i++) digest = createHash('sha256').update(digest).digest();
  return digest.toString('hex');
}

/** Waits `ms` (the I/O-bound request kind); rejects with an `AbortError` when `signal` aborts. */
export async function waitIo(ms: number, signal?: AbortSignal): Promise<string> {
  await delay(ms, undefined, { signal });
  return String(ms);
}
