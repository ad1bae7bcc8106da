/**
 * The round trip each Socket.IO heartbeat measures, read on the server from the Engine.IO
 * connection's own events: no extra packet on the wire.
 */
import { checkInteger } from '@socketlab/internal';

/** The part of an Engine.IO server connection (`socket.conn`) the monitor listens to. */
export interface HeartbeatConnection {
  on(
    event: 'packetCreate' | 'packet' | 'close',
    listener: (packet: { type: string }) => void,
  ): unknown;
  off(
    event: 'packetCreate' | 'packet' | 'close',
    listener: (packet: { type: string }) => void,
  ): unknown;
}

/** Options of {@link measureHeartbeat}. */
export interface HeartbeatMonitorOptions {
  /** Round trips kept (the oldest is dropped first), 1–10000. @default 32 */
  readonly maxSamples?: number;
  /** Called with each round trip, in ms, as its pong arrives. @default none */
  readonly onRoundTrip?: (ms: number) => void;
  /** A monotonic clock in ms (a test injects one). @default performance.now */
  readonly now?: () => number;
}

/** What {@link measureHeartbeat} returns. */
export interface HeartbeatMonitor {
  /** The last round trip (ping written → pong read), in ms; undefined before the first pong. */
  readonly lastRoundTripMs: number | undefined;
  /** The last `maxSamples` round trips, oldest first. */
  readonly roundTrips: readonly number[];
  /** Pings sent whose pong has not arrived (0 or 1 on a healthy link). */
  readonly pending: number;
  /** Milliseconds since the last pong (or since the monitor started): how stale the link is. */
  sinceLastPongMs(): number;
  /** Stops listening. Also done when the connection closes. */
  stop(): void;
}

/**
 * Measures the round trip of Socket.IO's own heartbeat on one server-side socket: the time from
 * the server queuing a ping (`packetCreate`) to reading its pong (`packet`). It adds no traffic,
 * so it costs nothing, and it updates every `pingInterval`: a round trip close to `pingTimeout`
 * is a link about to be cut off. Pass `socket.conn` (the Engine.IO connection) of a connected
 * socket.
 *
 * @throws {TypeError} when `conn` has no `on`/`off`, or an option is of the wrong kind.
 * @throws {RangeError} when `maxSamples` is out of range.
 * @see https://github.com/socketio/engine.io-protocol#heartbeat
 * @example
 * ```ts
 * io.on('connection', (socket) => {
 *   const heartbeat = measureHeartbeat(socket.conn, { onRoundTrip: (ms) => metrics.observe(ms) });
 *   socket.on('disconnect', () => heartbeat.stop());
 * });
 * ```
 */
export function measureHeartbeat(
  conn: HeartbeatConnection,
  options: HeartbeatMonitorOptions = {},
): HeartbeatMonitor {
  if (typeof conn?.on !== 'function' || typeof conn.off !== 'function') {
    throw new TypeError('measureHeartbeat needs an Engine.IO connection (socket.conn)');
  }
  const maxSamples = checkInteger('maxSamples', options.maxSamples ?? 32, 1, 10_000);
  const { onRoundTrip } = options;
  if (onRoundTrip !== undefined && typeof onRoundTrip !== 'function') {
    throw new TypeError('onRoundTrip must be a function');
  }
  const now = options.now ?? (() => performance.now());
  if (typeof now !== 'function') throw new TypeError('now must be a function');
  const samples: number[] = [];
  /** When each unanswered ping was queued: the server sends one at a time. */
  const sentAt: number[] = [];
  let lastPongAt = now();
  const onCreate = (packet: { type: string }): void => {
    if (packet?.type !== 'ping') return;
    sentAt.push(now());
    if (sentAt.length > maxSamples) sentAt.shift();
  };
  const onPacket = (packet: { type: string }): void => {
    if (packet?.type !== 'pong') return;
    const at = sentAt.shift();
    lastPongAt = now();
    if (at === undefined) return;
    const ms = lastPongAt - at;
    samples.push(ms);
    if (samples.length > maxSamples) samples.shift();
    onRoundTrip?.(ms);
  };
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    conn.off('packetCreate', onCreate);
    conn.off('packet', onPacket);
    conn.off('close', stop);
  };
  conn.on('packetCreate', onCreate);
  conn.on('packet', onPacket);
  conn.on('close', stop);
  return {
    get lastRoundTripMs() {
      return samples.at(-1);
    },
    get roundTrips() {
      return samples.slice();
    },
    get pending() {
      return sentAt.length;
    },
    sinceLastPongMs: () => now() - lastPongAt,
    stop,
  };
}
