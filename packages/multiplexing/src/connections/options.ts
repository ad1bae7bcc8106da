/** The options of the connection manager, their defaults and their checks. */
import { checkInteger, TIMER_MAX_MS } from '@socketlab/internal';
import { resolveOutboundQueueOptions, type SlowConsumerPolicy } from '../broadcast/index.ts';
import { type ConnectionClock, checkClock, systemClock } from './clock.ts';
import type { ConnectionTransport } from './transport.ts';

/** Options of {@link createConnectionManager}. */
export interface ConnectionManagerOptions<Meta> {
  /**
   * Connections held at once. The one past it is sent a refusal notice
   * (`MULTIPLEXING_ERR_LIMIT_EXCEEDED …`) and closed, and `'refused'` is emitted. @default 10000
   */
  readonly maxConnections?: number;
  /**
   * Connections held at once from one peer address (the port aside); past it, the same refusal.
   * @default 256
   */
  readonly maxConnectionsPerAddress?: number;
  /**
   * A connection that sends no message for this long is told why and closed
   * (`'idle-timeout'`); heartbeat answers do not count as messages. 0 turns it off. @default 0
   */
  readonly idleTimeoutMs?: number;
  /**
   * How often a heartbeat ping goes to each connection whose transport can ping (framed ones);
   * 0 turns heartbeats off. @default 30000
   */
  readonly heartbeatIntervalMs?: number;
  /**
   * Heartbeat intervals in a row without a pong or a message after which the peer is taken
   * for gone (it vanished without FIN) and the connection is cut (`'heartbeat-missed'`).
   * @default 2
   */
  readonly maxMissedHeartbeats?: number;
  /**
   * How long a graceful close (idle, slow consumer, refusal, shutdown) may take — flushing, the
   * notice, the peer's FIN — before the connection is cut. @default 5000
   */
  readonly closeTimeoutMs?: number;
  /**
   * Per-connection high-water mark of what the server holds for it (its outbound queue plus the
   * transport's buffer). @default 1048576 (1 MiB)
   */
  readonly maxBufferedBytes?: number;
  /**
   * What happens past `maxBufferedBytes`: `'drop-oldest'` (counted in `droppedMessages`) or
   * `'disconnect'` (`'slow-consumer'`, `MULTIPLEXING_ERR_SLOW_CONSUMER`). @default 'drop-oldest'
   */
  readonly slowConsumerPolicy?: SlowConsumerPolicy;
  /** The metadata a new connection starts with. @default () => ({}) */
  readonly createMetadata?: (transport: ConnectionTransport) => Meta;
  /** Time and timers (inject one in tests). @default systemClock */
  readonly clock?: ConnectionClock;
}

/** The defaults of {@link ConnectionManagerOptions}. */
export const CONNECTION_MANAGER_DEFAULTS = Object.freeze({
  maxConnections: 10_000,
  maxConnectionsPerAddress: 256,
  idleTimeoutMs: 0,
  heartbeatIntervalMs: 30_000,
  maxMissedHeartbeats: 2,
  closeTimeoutMs: 5_000,
});

/** The options once checked, shared by the manager and its connections. */
export interface ResolvedManagerOptions<Meta> {
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
  readonly idleTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly maxMissedHeartbeats: number;
  readonly closeTimeoutMs: number;
  readonly maxBufferedBytes: number;
  readonly slowConsumerPolicy: SlowConsumerPolicy;
  readonly createMetadata: (transport: ConnectionTransport) => Meta;
  readonly clock: ConnectionClock;
}

const MAX_CONNECTIONS = 1_000_000;

/** The range of each integer option, inclusive. */
const INTEGER_RANGES = {
  maxConnections: [1, MAX_CONNECTIONS],
  maxConnectionsPerAddress: [1, MAX_CONNECTIONS],
  idleTimeoutMs: [0, TIMER_MAX_MS],
  heartbeatIntervalMs: [0, TIMER_MAX_MS],
  maxMissedHeartbeats: [1, 1_000],
} as const;

/** @throws {TypeError}/{RangeError} for a bad option, as `checkInteger`. */
export function resolveManagerOptions<Meta>(
  options: ConnectionManagerOptions<Meta>,
): ResolvedManagerOptions<Meta> {
  const createMetadata = options.createMetadata ?? (() => ({}) as Meta);
  if (typeof createMetadata !== 'function')
    throw new TypeError('createMetadata must be a function');
  const d = CONNECTION_MANAGER_DEFAULTS;
  /** One integer option: its value or its default, checked against its range. */
  const integer = (name: keyof typeof INTEGER_RANGES): number => {
    const [min, max] = INTEGER_RANGES[name];
    return checkInteger(name, options[name] ?? d[name], min, max);
  };
  return {
    maxConnections: integer('maxConnections'),
    maxConnectionsPerAddress: integer('maxConnectionsPerAddress'),
    idleTimeoutMs: integer('idleTimeoutMs'),
    heartbeatIntervalMs: integer('heartbeatIntervalMs'),
    maxMissedHeartbeats: integer('maxMissedHeartbeats'),
    closeTimeoutMs: checkCloseTimeout(options.closeTimeoutMs ?? d.closeTimeoutMs),
    ...resolveOutboundQueueOptions(options),
    createMetadata,
    clock: checkClock(options.clock ?? systemClock),
  };
}

/** `closeTimeoutMs`: 1 ms to the longest timer. */
export function checkCloseTimeout(value: unknown): number {
  return checkInteger('closeTimeoutMs', value, 1, TIMER_MAX_MS);
}
