/** The `nc` gateway's options, their defaults and their checks. */
import { checkInteger, checkNumber, TIMER_MAX_MS } from '@socketlab/internal';
import {
  ROOM_CHAT_DEFAULTS,
  SLOW_CONSUMER_POLICIES,
  type SlowConsumerPolicy,
} from '@socketlab/multiplexing';
import { CHAT_APP_LIMITS } from '../contract.ts';

/** The limits one `nc` user and the gateway as a whole are held to. */
export interface TcpGatewayLimits {
  /** `nc` users at once; the next one is told `MULTIPLEXING_ERR_LIMIT_EXCEEDED …` and closed. */
  readonly maxConnections: number;
  /** `nc` users at once from one address. */
  readonly maxConnectionsPerAddress: number;
  /** Close a user that sent nothing for this long (told why); 0 = never. */
  readonly idleTimeoutMs: number;
  /** How long a graceful close (shutdown included) may take before the connection is cut. */
  readonly closeTimeoutMs: number;
  /** What the gateway may hold for one user that reads slowly, in bytes. */
  readonly maxBufferedBytes: number;
  /** Past `maxBufferedBytes`: drop that user's oldest lines, or disconnect it. */
  readonly slowConsumerPolicy: SlowConsumerPolicy;
  /**
   * The longest line, in bytes, without its `\n`: a longer one (or one that never ends) gets an
   * error line and a close as soon as it passes the limit. Big enough for the longest text the
   * server accepts (`maxTextLength` UTF-16 units, up to 3 bytes each, after `/me `).
   */
  readonly maxLineBytes: number;
  /** Lines per second one user may send, on average (its token bucket's refill). */
  readonly maxMessagesPerSecond: number;
  /** Lines one user may send back to back (its token bucket's size). */
  readonly maxMessageBurst: number;
  /** Lines over the rate (each dropped; told at the first) before the user is disconnected. */
  readonly maxFloodLines: number;
  /** Lines of one user waiting for the chat server (while it reconnects); more are refused. */
  readonly maxPendingLines: number;
  /** How long an acknowledgement of the chat server may take. */
  readonly ackTimeoutMs: number;
  /** How long one Socket.IO connection attempt may take. */
  readonly connectTimeoutMs: number;
  /** The first delay before reconnecting to the chat server; it doubles up to the next. */
  readonly reconnectDelayMs: number;
  readonly reconnectDelayMaxMs: number;
  /** Failed attempts in a row before the user is told the server is unreachable and closed. */
  readonly maxReconnectAttempts: number;
}

/** The defaults of {@link TcpGatewayLimits}: stage 3's room chat's, with the app's message rate. */
export const TCP_GATEWAY_LIMITS: Readonly<TcpGatewayLimits> = Object.freeze({
  maxConnections: ROOM_CHAT_DEFAULTS.maxConnections,
  maxConnectionsPerAddress: ROOM_CHAT_DEFAULTS.maxConnectionsPerAddress,
  idleTimeoutMs: ROOM_CHAT_DEFAULTS.idleTimeoutMs,
  closeTimeoutMs: ROOM_CHAT_DEFAULTS.closeTimeoutMs,
  maxBufferedBytes: ROOM_CHAT_DEFAULTS.maxBufferedBytes,
  slowConsumerPolicy: ROOM_CHAT_DEFAULTS.slowConsumerPolicy,
  maxFloodLines: ROOM_CHAT_DEFAULTS.maxFloodLines,
  maxLineBytes: 8192,
  maxMessagesPerSecond: CHAT_APP_LIMITS.messagesPerSecond,
  maxMessageBurst: CHAT_APP_LIMITS.messageBurst,
  maxPendingLines: 32,
  ackTimeoutMs: 5000,
  connectTimeoutMs: 5000,
  reconnectDelayMs: 100,
  reconnectDelayMaxMs: 2000,
  maxReconnectAttempts: 30,
});

/**
 * The limits in force: the defaults, overridden by `limits`, each checked.
 * @throws {TypeError}/{RangeError} for a limit of the wrong type or out of range.
 */
export function resolveGatewayLimits(limits: Partial<TcpGatewayLimits> = {}): TcpGatewayLimits {
  const d = TCP_GATEWAY_LIMITS;
  const int = (name: keyof TcpGatewayLimits, min: number, max: number): number =>
    checkInteger(name, limits[name] ?? d[name], min, max);
  const policy = limits.slowConsumerPolicy ?? d.slowConsumerPolicy;
  if (!SLOW_CONSUMER_POLICIES.includes(policy)) {
    throw new TypeError(
      `slowConsumerPolicy must be one of ${SLOW_CONSUMER_POLICIES.join(', ')}, got ${String(policy)}`,
    );
  }
  return {
    maxConnections: int('maxConnections', 1, 1_000_000),
    maxConnectionsPerAddress: int('maxConnectionsPerAddress', 1, 1_000_000),
    idleTimeoutMs: int('idleTimeoutMs', 0, TIMER_MAX_MS),
    closeTimeoutMs: int('closeTimeoutMs', 1, TIMER_MAX_MS),
    maxBufferedBytes: int('maxBufferedBytes', 1, 2 ** 31),
    slowConsumerPolicy: policy,
    maxLineBytes: int('maxLineBytes', 1, 1 << 20),
    maxMessagesPerSecond: checkNumber(
      'maxMessagesPerSecond',
      limits.maxMessagesPerSecond ?? d.maxMessagesPerSecond,
      0.001,
      1_000_000,
    ),
    maxMessageBurst: int('maxMessageBurst', 1, 1_000_000),
    maxFloodLines: int('maxFloodLines', 0, 1_000_000),
    maxPendingLines: int('maxPendingLines', 1, 100_000),
    ackTimeoutMs: int('ackTimeoutMs', 1, TIMER_MAX_MS),
    connectTimeoutMs: int('connectTimeoutMs', 1, TIMER_MAX_MS),
    reconnectDelayMs: int('reconnectDelayMs', 1, TIMER_MAX_MS),
    reconnectDelayMaxMs: int('reconnectDelayMaxMs', 1, TIMER_MAX_MS),
    maxReconnectAttempts: int('maxReconnectAttempts', 0, 1_000_000),
  };
}
