/**
 * Socket.IO's reconnection backoff as ranges, next to stage 3's full jitter, so the two can be
 * compared (the lesson's table comes from these functions). Socket.IO computes the wait itself;
 * this only says which waits it can choose.
 *
 * Socket.IO's Manager waits `reconnectionDelay × 2^n`, moved up or down by a random share of at
 * most `randomizationFactor` of itself, then capped at `reconnectionDelayMax`, before attempt
 * n + 1 (n = 0 for the first). The cap comes after the jitter: once
 * `reconnectionDelay × 2^n × (1 − randomizationFactor)` passes the cap, every client waits exactly
 * `reconnectionDelayMax`, in step. Stage 3's `fullJitterDelayMs` draws from
 * `[0, min(maxDelayMs, baseDelayMs × 2^n)]` instead: capped first, so the spread never vanishes.
 *
 * @see https://socket.io/docs/v4/client-options/#reconnectiondelay
 * @see https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
import { checkInteger, checkNumber, TIMER_MAX_MS } from '@socketlab/internal';

/** Socket.IO 4's client reconnection defaults (`io(url, { reconnectionDelay, … })`). */
export const SOCKET_IO_RECONNECT_DEFAULTS = Object.freeze({
  reconnectionDelay: 1000,
  reconnectionDelayMax: 5000,
  randomizationFactor: 0.5,
});

/** The client options that shape Socket.IO's reconnection waits. */
export interface SocketIoBackoffOptions {
  /** The first wait's centre, in ms. @default 1000 */
  readonly reconnectionDelay?: number;
  /** The cap on any wait, in ms. @default 5000 */
  readonly reconnectionDelayMax?: number;
  /** How far a wait may move from its centre, as a share of it, 0–1. @default 0.5 */
  readonly randomizationFactor?: number;
}

/** The range of one wait, in whole ms. */
export interface DelayRange {
  readonly minMs: number;
  readonly maxMs: number;
}

/**
 * The range Socket.IO's client draws its wait from before reconnection attempt `retry + 1`
 * (`retry` 0 is the wait before the first attempt, right after the connection was lost: Socket.IO
 * waits even then).
 *
 * @throws {TypeError}/{RangeError} when `retry` is not an integer ≥ 0, a delay is not an integer
 *   in 1…2^31 − 1 (`reconnectionDelayMax` at least `reconnectionDelay`), or `randomizationFactor`
 *   is not in 0…1.
 * @example
 * ```ts
 * socketIoBackoffRange(0); // { minMs: 501, maxMs: 1499 }
 * socketIoBackoffRange(3); // { minMs: 4001, maxMs: 5000 } — 8000 ± 3999, capped at 5000
 * ```
 */
export function socketIoBackoffRange(
  retry: number,
  options: SocketIoBackoffOptions = {},
): DelayRange {
  checkInteger('retry', retry, 0);
  const base = checkInteger(
    'reconnectionDelay',
    options.reconnectionDelay ?? SOCKET_IO_RECONNECT_DEFAULTS.reconnectionDelay,
    1,
    TIMER_MAX_MS,
  );
  const max = checkInteger(
    'reconnectionDelayMax',
    options.reconnectionDelayMax ??
      Math.max(SOCKET_IO_RECONNECT_DEFAULTS.reconnectionDelayMax, base),
    base,
    TIMER_MAX_MS,
  );
  const jitter = checkNumber(
    'randomizationFactor',
    options.randomizationFactor ?? SOCKET_IO_RECONNECT_DEFAULTS.randomizationFactor,
    0,
    1,
  );
  // 2^retry overflows to Infinity past 1023; min() then gives the cap, as it should.
  const centre = base * 2 ** retry;
  if (!Number.isFinite(centre)) return { minMs: max, maxMs: max };
  // Socket.IO moves the centre by floor(random × factor × centre), random in [0, 1).
  const spread = centre * jitter;
  const deviation = spread <= 0 ? 0 : Number.isInteger(spread) ? spread - 1 : Math.floor(spread);
  return {
    minMs: Math.floor(Math.min(max, centre - deviation)),
    maxMs: Math.floor(Math.min(max, centre + deviation)),
  };
}

/** One row of {@link compareBackoff}. */
export interface BackoffComparisonRow {
  /** 0 for the wait before the first reconnection attempt. */
  readonly retry: number;
  /** Socket.IO's range for this wait. */
  readonly socketIo: DelayRange;
  /** Stage 3's full jitter range for this wait: `[0, min(maxDelayMs, baseDelayMs × 2^retry)]`. */
  readonly fullJitter: DelayRange;
  /** The worst-case time since the loss when this attempt starts, Socket.IO (sum of `maxMs`). */
  readonly socketIoLatestMs: number;
  /** The same for full jitter. */
  readonly fullJitterLatestMs: number;
}

/**
 * The first `retries` waits of Socket.IO's backoff and of stage 3's full jitter side by side:
 * how early a client may come back and how far apart clients are spread. Stage 3 may retry at
 * once (0 ms) and spreads clients over the whole ceiling; Socket.IO never retries before
 * `reconnectionDelay × (1 − randomizationFactor)` and, at the cap, stops spreading them.
 *
 * @param retries - Rows, 1–64.
 * @param socketIo - Socket.IO's client options (defaults as in Socket.IO).
 * @param fullJitter - Stage 3's `baseDelayMs` and `maxDelayMs` (@default 100 and 30000, stage 3's defaults).
 * @throws {TypeError}/{RangeError} on an option out of range.
 * @example
 * ```ts
 * for (const row of compareBackoff(6)) console.log(row.retry, row.socketIo, row.fullJitter);
 * ```
 */
export function compareBackoff(
  retries: number,
  socketIo: SocketIoBackoffOptions = {},
  fullJitter: { readonly baseDelayMs?: number; readonly maxDelayMs?: number } = {},
): BackoffComparisonRow[] {
  checkInteger('retries', retries, 1, 64);
  const baseDelayMs = checkInteger('baseDelayMs', fullJitter.baseDelayMs ?? 100, 1, TIMER_MAX_MS);
  const maxDelayMs = checkInteger(
    'maxDelayMs',
    fullJitter.maxDelayMs ?? Math.max(30_000, baseDelayMs),
    baseDelayMs,
    TIMER_MAX_MS,
  );
  const rows: BackoffComparisonRow[] = [];
  let socketIoLatestMs = 0;
  let fullJitterLatestMs = 0;
  for (let retry = 0; retry < retries; retry++) {
    const range = socketIoBackoffRange(retry, socketIo);
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** retry);
    socketIoLatestMs += range.maxMs;
    fullJitterLatestMs += ceiling;
    rows.push({
      retry,
      socketIo: range,
      fullJitter: { minMs: 0, maxMs: ceiling },
      socketIoLatestMs,
      fullJitterLatestMs,
    });
  }
  return rows;
}
