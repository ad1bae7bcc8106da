/**
 * Flood protection for a Socket.IO server: a token bucket of events per socket (a `socket.use`
 * packet middleware), a token bucket of connections per client address (an `io.use`
 * middleware), a cap on the rooms a socket joins, a depth limit on payloads, and a policy for a
 * client that keeps on: throttle first, then disconnect with a reason it can see.
 */
import type { Namespace, Server, ServerOptions, Socket } from 'socket.io';
import { RealtimeError, type RealtimeErrorCode } from '../errors.ts';
import { addressKey } from './address-key.ts';
import { measurePayload } from './depth.ts';
import { KeyedLimiter, type KeyedLimiterStats } from './keyed-limiter.ts';
import { monotonicClock, type RateClock, TokenBucket } from './token-bucket.ts';

/** Options of {@link createFloodGuard}; every limit has a default sized for a chat-like app. */
export interface FloodGuardOptions {
  /** Events a socket may send per second, sustained. @default 20 */
  readonly eventsPerSecond?: number;
  /** Events a socket may send at once (its bucket's capacity). @default 40 */
  readonly eventBurst?: number;
  /**
   * Events dropped before the socket is disconnected. Strikes are themselves a token bucket:
   * forgiven at `strikesForgivenPerSecond`, so a client that brushes the limit now and then is
   * never cut off, and one that keeps on is. @default 20
   */
  readonly strikeLimit?: number;
  /** @default 1 */
  readonly strikesForgivenPerSecond?: number;
  /** New connections per second from one address (see `addressKey`), sustained. @default 2 */
  readonly connectionsPerSecond?: number;
  /** New connections at once from one address. @default 10 */
  readonly connectionBurst?: number;
  /** Addresses tracked at once (the cap of the per-address `KeyedLimiter`). @default 10_000 */
  readonly maxTrackedAddresses?: number;
  /** Rooms a socket may be in through {@link FloodGuard.join} (its own id's room not counted). @default 50 */
  readonly maxRoomsPerSocket?: number;
  /** A payload nested deeper than this is refused and its sender disconnected. @default 32 */
  readonly maxPayloadDepth?: number;
  /** A payload with more values than this is refused and its sender disconnected. @default 10_000 */
  readonly maxPayloadNodes?: number;
  /** The event a client is sent, `{ code, reason }`, just before it is disconnected. @default 'realtime:error' */
  readonly errorEvent?: string;
  /** The key a connection counts under. @default addressKey(socket.handshake.address) */
  readonly addressOf?: (socket: Socket) => string;
  /** Told of every refusal, for logs and metrics. */
  readonly onViolation?: (violation: FloodViolation) => void;
  /** @default monotonicClock */
  readonly clock?: RateClock;
}

/** Defaults of {@link FloodGuardOptions}. */
export const FLOOD_GUARD_DEFAULTS = Object.freeze({
  eventsPerSecond: 20,
  eventBurst: 40,
  strikeLimit: 20,
  strikesForgivenPerSecond: 1,
  connectionsPerSecond: 2,
  connectionBurst: 10,
  maxTrackedAddresses: 10_000,
  maxRoomsPerSocket: 50,
  maxPayloadDepth: 32,
  maxPayloadNodes: 10_000,
  errorEvent: 'realtime:error',
});

/** What the guard did, as told to `onViolation`. */
export interface FloodViolation {
  /**
   * `throttled`: an event dropped (its ack, if any, answered with the error); `disconnected`:
   * the socket was cut off (strikes used up, or a hostile payload); `refused`: a connection
   * refused; `room-limit`: a join refused.
   */
  readonly kind: 'throttled' | 'disconnected' | 'refused' | 'room-limit';
  readonly code: RealtimeErrorCode;
  readonly address: string;
  readonly socketId?: string;
  /** The event's name, for `throttled` and a payload's `disconnected`. */
  readonly event?: string;
}

/** What {@link FloodGuard.stats} reports. */
export interface FloodGuardStats {
  /** Sockets under {@link FloodGuard.protect} now. */
  readonly sockets: number;
  readonly eventsDropped: number;
  readonly socketsDisconnected: number;
  readonly connectionsRefused: number;
  readonly addresses: KeyedLimiterStats;
}

/** The guard {@link createFloodGuard} returns. */
export interface FloodGuard {
  /** `io.use(guard.admit)` and `io.on('connection', guard.protect)` in one call. */
  install(target: Server | Namespace): void;
  /** An `io.use` middleware: refuses a connection past its address's rate (`connect_error`, `err.data.code` `REALTIME_ERR_RATE_LIMITED`). */
  readonly admit: (socket: Socket, next: (err?: Error) => void) => void;
  /** Puts a socket under the event limits (a `socket.use` middleware); call it in `'connection'`. */
  readonly protect: (socket: Socket) => void;
  /**
   * `socket.join(room)` unless the socket is in `maxRoomsPerSocket` rooms already.
   * @throws {RealtimeError} `REALTIME_ERR_LIMIT` past the limit (the socket joins nothing).
   */
  join(socket: Socket, room: string): void | Promise<void>;
  stats(): FloodGuardStats;
}

type Ack = (...args: unknown[]) => void;

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a finite number > 0, got ${String(value)}`);
  }
  return value;
}

/**
 * Makes a flood guard. Policy, per socket:
 *
 * 1. Each event spends a token from the socket's bucket (`eventBurst`, `eventsPerSecond`).
 * 2. An event with no token is **dropped** before any handler runs; if it asked for an ack,
 *    the ack is answered `{ error: { code: 'REALTIME_ERR_RATE_LIMITED', reason } }`, so
 *    `emitWithAck` resolves at once instead of timing out.
 * 3. Each drop is a strike; past `strikeLimit` strikes (forgiven slowly), the socket is sent
 *    `errorEvent` with `{ code, reason }` and **disconnected** (`disconnect(true)`: its whole
 *    Engine.IO connection closes, so no other namespace keeps it alive). The event is written
 *    before the close, so the client reads why; its `disconnect` reason is `io server disconnect`.
 * 4. A payload nested past `maxPayloadDepth`, with more than `maxPayloadNodes` values or with a
 *    number JSON cannot carry (`1e999` decodes to `Infinity`), or an event name that is not a
 *    string, is never handed on: the sender is disconnected at once with `REALTIME_ERR_PAYLOAD`.
 *    socket.io 4.8.4 walks a payload recursively when it is emitted or acknowledged again, so a
 *    deep one echoed by a handler overflows the stack outside any handler (and stops the
 *    process): this check runs before every handler, iteratively.
 *
 * Note: `socket.onAny` listeners run before `socket.use` middlewares in socket.io 4.8.4, so they
 * see dropped events too; put logic in handlers, not in `onAny`.
 *
 * @throws {RangeError} for a limit that is not a finite number > 0.
 * @example
 * ```ts
 * const io = new Server(floodGuardServerOptions());
 * const guard = createFloodGuard({ eventsPerSecond: 10 });
 * guard.install(io);
 * io.on('connection', (socket) => {
 *   socket.on('join', (room: string) => guard.join(socket, room));
 * });
 * ```
 */
export function createFloodGuard(options: FloodGuardOptions = {}): FloodGuard {
  const o = { ...FLOOD_GUARD_DEFAULTS, ...options };
  for (const name of [
    'eventsPerSecond',
    'eventBurst',
    'strikeLimit',
    'strikesForgivenPerSecond',
    'maxRoomsPerSocket',
    'maxPayloadDepth',
    'maxPayloadNodes',
  ] as const) {
    positive(name, o[name]);
  }
  const clock = options.clock ?? monotonicClock;
  const addressOf = options.addressOf ?? ((socket: Socket) => addressKey(socket.handshake.address));
  const perAddress = new KeyedLimiter({
    capacity: o.connectionBurst,
    refillPerSecond: o.connectionsPerSecond,
    maxKeys: o.maxTrackedAddresses,
    clock,
  });
  const report = options.onViolation ?? (() => {});
  let sockets = 0;
  let eventsDropped = 0;
  let socketsDisconnected = 0;
  let connectionsRefused = 0;

  const admit = (socket: Socket, next: (err?: Error) => void): void => {
    const address = addressOf(socket);
    const result = perAddress.take(address);
    if (result.allowed) {
      next();
      return;
    }
    connectionsRefused++;
    report({ kind: 'refused', code: 'REALTIME_ERR_RATE_LIMITED', address });
    next(
      new RealtimeError(
        'REALTIME_ERR_RATE_LIMITED',
        `too many connections from ${address}: retry in ${Math.ceil(result.waitMs)} ms`,
        { reason: `too many connections: retry in ${Math.ceil(result.waitMs)} ms` },
      ),
    );
  };

  const protect = (socket: Socket): void => {
    const address = addressOf(socket);
    const events = new TokenBucket({
      capacity: o.eventBurst,
      refillPerSecond: o.eventsPerSecond,
      clock,
    });
    const strikes = new TokenBucket({
      capacity: o.strikeLimit,
      refillPerSecond: o.strikesForgivenPerSecond,
      clock,
    });
    let cutOff = false;
    sockets++;
    socket.once('disconnect', () => {
      sockets--;
    });

    const cutOffWith = (code: RealtimeErrorCode, reason: string, event: string): void => {
      cutOff = true;
      socketsDisconnected++;
      report({ kind: 'disconnected', code, address, socketId: socket.id, event });
      socket.emit(o.errorEvent, { code, reason });
      socket.disconnect(true);
    };

    socket.use((packet, next) => {
      if (cutOff) return; // packets already read when we decided: dropped
      const event = String(packet[0]);
      const last = packet[packet.length - 1];
      const ack = typeof last === 'function' ? (last as Ack) : undefined;
      const args = ack ? packet.slice(1, -1) : packet.slice(1);
      const measured = measurePayload(args, {
        maxDepth: o.maxPayloadDepth + 1, // the argument list itself is one level
        maxNodes: o.maxPayloadNodes,
      });
      const refusal =
        typeof packet[0] !== 'string'
          ? 'an event name that is not a string'
          : measured.verdict === 'too-deep'
            ? `a payload nested deeper than ${o.maxPayloadDepth} levels`
            : measured.verdict === 'too-many-nodes'
              ? `a payload with more than ${o.maxPayloadNodes} values`
              : measured.verdict === 'not-finite'
                ? 'a number too large to represent'
                : undefined;
      if (refusal !== undefined) {
        cutOffWith('REALTIME_ERR_PAYLOAD', `refused: ${refusal}`, event);
        return;
      }
      const taken = events.take();
      if (taken.allowed) {
        next();
        return;
      }
      eventsDropped++;
      if (!strikes.take().allowed) {
        cutOffWith(
          'REALTIME_ERR_RATE_LIMITED',
          `more than ${o.eventsPerSecond} events a second, and kept on after being throttled`,
          event,
        );
        return;
      }
      report({
        kind: 'throttled',
        code: 'REALTIME_ERR_RATE_LIMITED',
        address,
        socketId: socket.id,
        event,
      });
      ack?.({
        error: {
          code: 'REALTIME_ERR_RATE_LIMITED',
          reason: `slow down: retry in ${Math.ceil(taken.waitMs)} ms`,
        },
      });
      // next() is not called: the event is dropped, no handler runs.
    });
  };

  const join = (socket: Socket, room: string): void | Promise<void> => {
    const joined = socket.rooms.has(socket.id) ? socket.rooms.size - 1 : socket.rooms.size;
    if (!socket.rooms.has(room) && joined >= o.maxRoomsPerSocket) {
      report({
        kind: 'room-limit',
        code: 'REALTIME_ERR_LIMIT',
        address: addressOf(socket),
        socketId: socket.id,
      });
      throw new RealtimeError(
        'REALTIME_ERR_LIMIT',
        `socket ${socket.id} is in ${joined} rooms already, the most allowed (maxRoomsPerSocket)`,
        { reason: `you are in ${joined} rooms, the most allowed: leave one first` },
      );
    }
    return socket.join(room);
  };

  return {
    install(target) {
      target.use(admit);
      target.on('connection', protect);
    },
    admit,
    protect,
    join,
    stats: () => ({
      sockets,
      eventsDropped,
      socketsDisconnected,
      connectionsRefused,
      addresses: perAddress.stats(),
    }),
  };
}

/** Options of {@link floodGuardServerOptions}. */
export interface FloodGuardServerLimits {
  /**
   * The largest message (Engine.IO packet: a Socket.IO event with its arguments) a client may
   * send. Becomes `maxHttpBufferSize`, which Engine.IO enforces before any parsing: over
   * WebSocket as `ws`'s `maxPayload` (the connection is closed with 1009), over long-polling as
   * the POST body limit (the request is answered 413 and the session closed). Socket.IO's own
   * default is 1 MB; a chat needs far less. @default 64 * 1024
   */
  readonly maxPayloadBytes?: number;
  /**
   * How long a connection may stay without joining a namespace (Engine.IO `connectTimeout`;
   * Socket.IO's default is 45 s): a connection refused by `admit` is closed after it.
   * @default 10_000
   */
  readonly connectTimeoutMs?: number;
}

/**
 * The Socket.IO `ServerOptions` that bound what one client can make the server hold: the size
 * of one message (`maxHttpBufferSize`) and how long a connection may idle before joining a
 * namespace (`connectTimeout`). Spread them into `new Server(…)`.
 * @throws {RangeError} for a limit that is not a finite number > 0.
 * @example const io = new Server(httpServer, { ...floodGuardServerOptions({ maxPayloadBytes: 16_384 }), cors: { origin: false } });
 */
export function floodGuardServerOptions(
  limits: FloodGuardServerLimits = {},
): Pick<ServerOptions, 'maxHttpBufferSize' | 'connectTimeout'> {
  return {
    maxHttpBufferSize: positive('maxPayloadBytes', limits.maxPayloadBytes ?? 64 * 1024),
    connectTimeout: positive('connectTimeoutMs', limits.connectTimeoutMs ?? 10_000),
  };
}
