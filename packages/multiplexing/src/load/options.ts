/**
 * The options of {@link runLoad}, their defaults and their checks.
 */

import { formatEndpoint } from '@socketlab/basics';
import { checkInteger, checkNumber, TIMER_MAX_MS } from '@socketlab/internal';
import {
  codecForFraming,
  FRAMING_NAMES,
  type FrameCodec,
  type FramedTarget,
  type FramingName,
  isFramingName,
} from '@socketlab/tcp-udp';
import { boundedLoadConnector, framedLoadConnector, type LoadConnector } from './connection.ts';
import { LOAD_MIN_MESSAGE_BYTES } from './message.ts';
import type { LoadProgress } from './report.ts';

/** Options of {@link runLoad}. */
export interface LoadOptions {
  /**
   * Where the framed TCP echo (or chat) target listens: `{ host, port }`, or `{ path }` for a Unix
   * socket. Required unless `connect` is given (then it must be absent).
   */
  target?: FramedTarget;
  /**
   * Opens each connection over another transport (WebSocket, Socket.IO, in memory) instead of
   * framed TCP to `target`; `framing` then does not apply. @default a framed TCP connector to `target`
   */
  connect?: LoadConnector;
  /**
   * How the report names the target. @default `host:port` or the socket path of `target`;
   * `'custom connector'` with `connect`
   */
  targetName?: string;
  /**
   * Messages per second over all connections: the constant rate of the schedule every latency
   * is counted from. From 0.01 to 10,000,000.
   */
  messagesPerSecond: number;
  /** How long messages are scheduled, in milliseconds (replies are then awaited `drainTimeoutMs`). */
  durationMs: number;
  /** Connections opened to the target; messages go round-robin over them. @default 1 */
  connections?: number;
  /** Size of each message, in bytes (at least `LOAD_MIN_MESSAGE_BYTES`, 16). @default 64 */
  messageBytes?: number;
  /**
   * How messages are framed over TCP: `line`, `length` (u32 prefix) or `varint`; not with
   * `connect`. @default 'line'
   */
  framing?: FramingName;
  /**
   * Unanswered messages allowed per connection. 1 is a closed loop per connection, as wrk2 runs:
   * a message due while its connection waits for a reply is sent late, and its latency still
   * counts from when it was due. @default 1
   */
  maxInFlight?: number;
  /** How long opening each connection may take. @default 10000 */
  connectTimeoutMs?: number;
  /**
   * Once the last message is due, how long to wait for the replies still missing; those that do
   * not come by then count as unanswered. @default 2000
   */
  drainTimeoutMs?: number;
  /** How often `onProgress` is called, in milliseconds. @default 1000 */
  progressIntervalMs?: number;
  /** Called every `progressIntervalMs` while the load runs (a progress line). @default none */
  onProgress?: (progress: LoadProgress) => void;
  /** Aborting it stops the run early; the report then holds what was measured. @default none */
  signal?: AbortSignal;
}

/** The defaults of {@link LoadOptions}. */
export const LOAD_DEFAULTS = Object.freeze({
  connections: 1,
  messageBytes: 64,
  framing: 'line' as FramingName,
  maxInFlight: 1,
  connectTimeoutMs: 10_000,
  drainTimeoutMs: 2_000,
  progressIntervalMs: 1_000,
});

/** The most connections one run opens. */
const MAX_CONNECTIONS = 100_000;
/** The highest rate accepted: with `durationMs` ≤ 2^31 − 1 ids stay under 10^14 (the token's room). */
const MAX_MESSAGES_PER_SECOND = 10_000_000;

/** The largest message sent through a custom connector (16 MiB). */
const MAX_CONNECTOR_MESSAGE_BYTES = 2 ** 24;
/** How the report names a custom connector's target and framing when `targetName` is absent. */
const CUSTOM_TARGET_NAME = 'custom connector';
const CUSTOM_FRAMING = 'custom';

/** {@link LoadOptions} checked, with every default filled in. */
export interface ResolvedLoadOptions
  extends Required<
    Omit<LoadOptions, 'onProgress' | 'signal' | 'target' | 'framing' | 'connect' | 'targetName'>
  > {
  /** Opens each connection: `connect`, or the framed TCP connector to `target`. */
  readonly connect: LoadConnector;
  /** The target as the report names it. */
  readonly targetName: string;
  /** The framing as the report names it (`custom` with a connector). */
  readonly framing: string;
  readonly onProgress: LoadOptions['onProgress'] | undefined;
  readonly signal: AbortSignal | undefined;
}

/** `target` and `framing` checked, with the codec of that framing (it also bounds `messageBytes`). */
function resolveTcpTarget(options: LoadOptions): {
  target: FramedTarget;
  framing: FramingName;
  codec: FrameCodec;
} {
  const target = options.target as unknown;
  if (
    typeof target !== 'object' ||
    target === null ||
    !(('path' in target && typeof target.path === 'string') || 'port' in target)
  ) {
    throw new TypeError('target must be { host, port } or { path } (or give connect instead)');
  }
  if ('port' in target) checkInteger('target.port', target.port, 1, 65_535);
  const framing = options.framing ?? LOAD_DEFAULTS.framing;
  if (typeof framing !== 'string' || !isFramingName(framing)) {
    throw new TypeError(
      `framing must be one of ${FRAMING_NAMES.join(', ')}, got ${JSON.stringify(framing)}`,
    );
  }
  return { target: target as FramedTarget, framing, codec: codecForFraming(framing) };
}

function describeTarget(target: FramedTarget): string {
  return 'path' in target ? target.path : formatEndpoint({ host: target.host, port: target.port });
}

/**
 * Checks every option and fills in the defaults.
 * @throws {TypeError} for an option of the wrong kind; {RangeError} for one out of range.
 */
export function resolveLoadOptions(options: LoadOptions): ResolvedLoadOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('runLoad needs an options object');
  }
  if (options.targetName !== undefined && typeof options.targetName !== 'string') {
    throw new TypeError('targetName must be a string');
  }
  let tcp: ReturnType<typeof resolveTcpTarget> | undefined;
  if (options.connect === undefined) {
    tcp = resolveTcpTarget(options);
  } else {
    if (typeof options.connect !== 'function') {
      throw new TypeError('connect must be a function returning a promise of a LoadConnection');
    }
    if (options.target !== undefined) {
      throw new TypeError('give either target or connect, not both');
    }
    if (options.framing !== undefined) {
      throw new TypeError(
        'framing applies to the TCP target only: a connector frames its own messages',
      );
    }
  }
  const messageBytes = checkInteger(
    'messageBytes',
    options.messageBytes ?? LOAD_DEFAULTS.messageBytes,
    LOAD_MIN_MESSAGE_BYTES,
    tcp?.codec.maxFrameBytes ?? MAX_CONNECTOR_MESSAGE_BYTES,
  );
  const connectTimeoutMs = checkInteger(
    'connectTimeoutMs',
    options.connectTimeoutMs ?? LOAD_DEFAULTS.connectTimeoutMs,
    1,
    TIMER_MAX_MS,
  );
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new TypeError('onProgress must be a function');
  }
  return {
    connect:
      tcp === undefined
        ? boundedLoadConnector(options.connect as LoadConnector, connectTimeoutMs)
        : framedLoadConnector(tcp.target, tcp.codec, connectTimeoutMs),
    targetName:
      options.targetName ?? (tcp === undefined ? CUSTOM_TARGET_NAME : describeTarget(tcp.target)),
    framing: tcp?.framing ?? CUSTOM_FRAMING,
    messagesPerSecond: checkNumber(
      'messagesPerSecond',
      options.messagesPerSecond,
      0.01,
      MAX_MESSAGES_PER_SECOND,
    ),
    durationMs: checkInteger('durationMs', options.durationMs, 1, TIMER_MAX_MS),
    connections: checkInteger(
      'connections',
      options.connections ?? LOAD_DEFAULTS.connections,
      1,
      MAX_CONNECTIONS,
    ),
    messageBytes,
    maxInFlight: checkInteger(
      'maxInFlight',
      options.maxInFlight ?? LOAD_DEFAULTS.maxInFlight,
      1,
      1_000_000,
    ),
    connectTimeoutMs,
    drainTimeoutMs: checkInteger(
      'drainTimeoutMs',
      options.drainTimeoutMs ?? LOAD_DEFAULTS.drainTimeoutMs,
      0,
      TIMER_MAX_MS,
    ),
    progressIntervalMs: checkInteger(
      'progressIntervalMs',
      options.progressIntervalMs ?? LOAD_DEFAULTS.progressIntervalMs,
      10,
      TIMER_MAX_MS,
    ),
    onProgress: options.onProgress,
    signal: options.signal,
  };
}
