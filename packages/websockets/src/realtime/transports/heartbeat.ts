/**
 * Socket.IO's heartbeat as numbers: which `pingInterval`/`pingTimeout` detect a dead link within a
 * target time, the window a dead link is detected in, and the round trip each heartbeat measures.
 *
 * How Engine.IO v4 beats (engine.io-protocol v4, "Heartbeat"): the *server* sends a ping packet
 * (`2`) every `pingInterval` ms, counted from the last pong, and closes the session with
 * `'ping timeout'` when no pong (`3`) arrives within `pingTimeout` ms. The client answers each
 * ping and, after each one, arms a timer of `pingInterval + pingTimeout` ms: if no next ping
 * arrives by then, it closes with `'ping timeout'` too. So a link that dies silently (no FIN, no
 * RST: a cable pulled, a NAT mapping dropped, a laptop asleep) is noticed by both ends at most
 * `pingInterval + pingTimeout` ms after it died, and at least `pingTimeout` ms after.
 *
 * @see https://github.com/socketio/engine.io-protocol#heartbeat
 * @see https://socket.io/docs/v4/server-options/#pinginterval
 */
import { checkInteger, checkNumber, TIMER_MAX_MS } from '@socketlab/internal';

/** Socket.IO 4's own heartbeat defaults: a dead link is noticed within 45 s. */
export const SOCKET_IO_HEARTBEAT_DEFAULTS = Object.freeze({
  pingInterval: 25_000,
  pingTimeout: 20_000,
});

/** The two server options that make Socket.IO's heartbeat (`new Server({ pingInterval, pingTimeout })`). */
export interface HeartbeatSettings {
  /** Milliseconds between a pong and the next ping. */
  readonly pingInterval: number;
  /** Milliseconds the server waits for a pong before it closes the session. */
  readonly pingTimeout: number;
}

/** Options of {@link heartbeatOptions}. */
export interface HeartbeatTarget {
  /** The longest a silently dead link may go unnoticed, in ms (`pingInterval + pingTimeout`). */
  readonly detectWithinMs: number;
  /**
   * The share of `detectWithinMs` given to `pingTimeout`, in (0, 1). A larger share tolerates
   * slower round trips (and a busier event loop) but pings more often for the same target.
   * @default 4/9, Socket.IO's own ratio (20 s of 45 s)
   */
  readonly timeoutShare?: number;
  /**
   * The smallest `pingTimeout` allowed: the slowest round trip (plus event-loop lag) a healthy
   * client may have. A target too small for it throws, since a live client would be cut off.
   * @default 1
   */
  readonly minTimeoutMs?: number;
}

/**
 * Computes the `pingInterval` and `pingTimeout` that notice a silently dead link within
 * `detectWithinMs`: their sum is `detectWithinMs`, split by `timeoutShare`. Pass the result to
 * `new Server(httpServer, { ...heartbeatOptions({ detectWithinMs: 10_000 }) })`; the client
 * learns both values from the handshake, nothing is set on its side.
 *
 * The cost is one ping and one pong (a byte each, plus framing) per client every `pingInterval`:
 * 10 000 clients at a 5 s interval are 4 000 packets a second.
 *
 * @throws {TypeError} when `detectWithinMs` or `minTimeoutMs` is not an integer, or a number is NaN.
 * @throws {RangeError} when `detectWithinMs` is under 2 or over 2^31 − 1 ms, `timeoutShare` is not in
 *   (0, 1), or the resulting `pingTimeout` would be under `minTimeoutMs`.
 * @see https://github.com/socketio/engine.io-protocol#heartbeat
 * @example
 * ```ts
 * heartbeatOptions({ detectWithinMs: 45_000 }); // { pingInterval: 25000, pingTimeout: 20000 }
 * heartbeatOptions({ detectWithinMs: 300, timeoutShare: 2 / 3 }); // { pingInterval: 100, pingTimeout: 200 }
 * ```
 */
export function heartbeatOptions(target: HeartbeatTarget): HeartbeatSettings {
  if (typeof target !== 'object' || target === null) {
    throw new TypeError('heartbeatOptions needs { detectWithinMs }');
  }
  const detectWithinMs = checkInteger('detectWithinMs', target.detectWithinMs, 2, TIMER_MAX_MS);
  const share = checkNumber('timeoutShare', target.timeoutShare ?? 4 / 9, 0, 1);
  if (share === 0 || share === 1) {
    throw new RangeError(`timeoutShare must be strictly between 0 and 1, got ${share}`);
  }
  const minTimeoutMs = checkInteger('minTimeoutMs', target.minTimeoutMs ?? 1, 1, TIMER_MAX_MS);
  const pingTimeout = Math.min(detectWithinMs - 1, Math.max(1, Math.round(detectWithinMs * share)));
  if (pingTimeout < minTimeoutMs) {
    throw new RangeError(
      `detectWithinMs ${detectWithinMs} with timeoutShare ${share} gives pingTimeout ${pingTimeout} ms, under minTimeoutMs ${minTimeoutMs}: a healthy client that slow would be disconnected; raise detectWithinMs or timeoutShare`,
    );
  }
  return { pingInterval: detectWithinMs - pingTimeout, pingTimeout };
}

/** What {@link heartbeatDetectionWindow} returns. */
export interface HeartbeatDetectionWindow {
  /** The soonest a dead link is noticed after it died (it died just before a ping): `pingTimeout`. */
  readonly minMs: number;
  /** The latest (it died just after a pong): `pingInterval + pingTimeout`. */
  readonly maxMs: number;
  /** Pings each client is sent per minute, each answered by a pong. */
  readonly pingsPerMinute: number;
}

/**
 * The window in which Socket.IO notices a silently dead link, for given settings: between
 * `pingTimeout` and `pingInterval + pingTimeout` after it died, on both ends (plus the link's
 * one-way latency and timer lateness). A link that is *closed* (FIN or RST) is noticed at once,
 * whatever these are: the heartbeat only matters when nothing arrives at all.
 *
 * @throws {TypeError}/{RangeError} when either value is not an integer in 1…2^31 − 1.
 * @example
 * ```ts
 * heartbeatDetectionWindow({ pingInterval: 25_000, pingTimeout: 20_000 }); // { minMs: 20000, maxMs: 45000, pingsPerMinute: 2.4 }
 * ```
 */
export function heartbeatDetectionWindow(settings: HeartbeatSettings): HeartbeatDetectionWindow {
  if (typeof settings !== 'object' || settings === null) {
    throw new TypeError('heartbeatDetectionWindow needs { pingInterval, pingTimeout }');
  }
  const pingInterval = checkInteger('pingInterval', settings.pingInterval, 1, TIMER_MAX_MS);
  const pingTimeout = checkInteger('pingTimeout', settings.pingTimeout, 1, TIMER_MAX_MS);
  return {
    minMs: pingTimeout,
    maxMs: pingInterval + pingTimeout,
    pingsPerMinute: 60_000 / pingInterval,
  };
}
