/**
 * A JetStream feed over Socket.IO that a client can resume on any instance: every instance relays
 * the stream live to rooms, each message with its stream sequence; a client that reconnects (to
 * this instance or another) sends the last sequence it saw and gets what it missed replayed from
 * the stream, then carries on with the live flow. Replay and live overlap on the wire (at least
 * once); the client side, `trackJetStreamFeed` (catch-up-client.ts), drops what it has already
 * seen and holds live messages back until the replay is done, so the application sees each
 * message once, in stream order.
 * @see https://docs.nats.io/nats-concepts/jetstream/consumers (ordered consumers, start sequence)
 */
import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { PayloadLimits } from '@socketlab/websockets/realtime';
import type { Namespace, Server, Socket } from 'socket.io';
import { DistributedError, type DistributedErrorCode } from '../errors.ts';
import { replayFrom } from './jetstream.ts';
import { decodeBrokerJson, subjectMatches } from './payload.ts';

/** The defaults of {@link JetStreamFeedOptions} and of `trackJetStreamFeed`'s options. */
export const JETSTREAM_FEED_DEFAULTS = Object.freeze({
  event: 'js:message',
  catchUpEvent: 'js:catch-up',
  maxCatchUp: 1_000,
  fetchTimeoutMs: 2_000,
  ackTimeoutMs: 10_000,
  maxHeld: 10_000,
});

/** One message of the feed, as a client receives it. */
export interface JetStreamFeedMessage {
  subject: string;
  /** Its sequence in the stream: increasing, with gaps for messages of other rooms. */
  seq: number;
  data: unknown;
  /** Present (true) on a message replayed by a catch-up, absent on the live flow. */
  replay?: true;
}

/** Which room a subject of the stream goes to. */
export interface JetStreamFeedRoute {
  /** A subject of the stream, wildcards allowed (`prices.>`). */
  subject: string;
  /** The room a message on `subject` goes to, or null/undefined for none. */
  room: (subject: string) => string | null | undefined;
}

/** Options of {@link serveJetStreamFeed}. */
export interface JetStreamFeedOptions {
  /** The Socket.IO server, or one of its namespaces. */
  io: Server | Namespace;
  js: JetStreamClient;
  /** @default `await js.jetstreamManager()` */
  jsm?: JetStreamManager;
  /** The stream that stores the feed (see `ensureStream`). */
  stream: string;
  /** The stream's subjects relayed, and their rooms. */
  routes: readonly JetStreamFeedRoute[];
  /** The event each message is emitted as. @default 'js:message' */
  event?: string;
  /** The event a client asks to catch up with: `({ lastSeq }, ack)`. @default 'js:catch-up' */
  catchUpEvent?: string;
  /** The most stream messages one catch-up reads; further behind, the answer is a reset. @default 1000 */
  maxCatchUp?: number;
  /** How long one replay fetch may wait, in milliseconds. @default 2000 */
  fetchTimeoutMs?: number;
  /** Bounds on every payload. @default { maxDepth: 16, maxBytes: 16384 } */
  limits?: PayloadLimits;
  /** Called for each message dropped (malformed payload, a room function that threw). */
  onDrop?: (error: DistributedError, subject: string) => void;
}

/** The answer to a catch-up request. */
export type JetStreamCatchUpAck =
  | {
      ok: true;
      /** Messages replayed to this socket (those of its rooms). */
      replayed: number;
      /** The stream's last sequence when the replay started: the client has everything up to it. */
      lastSeq: number;
    }
  | {
      ok: false;
      code: DistributedErrorCode;
      message: string;
      /**
       * Set when the client cannot catch up: too far behind (`DISTRIBUTED_ERR_LIMIT`: more than
       * `maxCatchUp`, or messages the stream no longer holds), or ahead of the stream
       * (`DISTRIBUTED_ERR_PAYLOAD`: a stream made anew, or a forged sequence). Resync from your
       * source of truth, then carry on from this sequence.
       */
      resetTo?: number;
    };

/** What a feed has done so far. */
export interface JetStreamFeedStats {
  /** Live messages emitted to a room. */
  relayed: number;
  /** Messages emitted to one socket by a catch-up. */
  replayed: number;
  /** Catch-up requests answered `ok`. */
  catchUps: number;
  /** Catch-up requests refused (hostile input, too far behind, a broker failure). */
  refused: number;
  /** Messages dropped as malformed. */
  dropped: number;
}

/** A running {@link serveJetStreamFeed}. */
export interface JetStreamFeed {
  readonly stats: Readonly<JetStreamFeedStats>;
  /** The first sequence this instance relays live (everything before it is served by catch-up). */
  readonly liveFrom: number;
  /** Stops the live flow and stops answering catch-ups. */
  close(): Promise<void>;
}

const refuse = (
  code: DistributedErrorCode,
  message: string,
  resetTo?: number,
): JetStreamCatchUpAck =>
  resetTo === undefined ? { ok: false, code, message } : { ok: false, code, message, resetTo };

/**
 * Serves a JetStream stream to Socket.IO rooms, resumable on any instance. Live: an ordered
 * consumer starting after the stream's last message relays each message of `routes` to its room
 * on this instance's sockets (`io.local`), as `event` `{ subject, seq, data }`. Catch-up: a
 * client emits `catchUpEvent` `({ lastSeq }, ack)` after joining its rooms; the messages after
 * `lastSeq` up to the stream's last sequence that belong to a room the socket is in are emitted
 * to it with `replay: true`, then `ack` answers {@link JetStreamCatchUpAck}. `lastSeq: null`
 * asks for nothing but the current last sequence (a fresh client). Refused with
 * `DISTRIBUTED_ERR_PAYLOAD`: a request that is not `{ lastSeq }` with a safe integer ≥ 0, a
 * second catch-up while one runs on the socket, and (with `resetTo`) a sequence beyond the
 * stream's last; with `DISTRIBUTED_ERR_LIMIT` and `resetTo`: more than `maxCatchUp` behind, or
 * behind the stream's first message. Run one per instance, each with its own NATS connection.
 * @throws {RangeError} for a `maxCatchUp` that is not a positive integer, or no route.
 * @example
 * const feed = await serveJetStreamFeed({ io, js, stream: 'PRICES',
 *   routes: [{ subject: 'prices.*', room: (s) => `prices:${s.split('.')[1]}` }] });
 */
export async function serveJetStreamFeed(options: JetStreamFeedOptions): Promise<JetStreamFeed> {
  const { io, js, stream, routes, limits = {}, onDrop } = options;
  const d = JETSTREAM_FEED_DEFAULTS;
  const { event = d.event, catchUpEvent = d.catchUpEvent, maxCatchUp = d.maxCatchUp } = options;
  const { fetchTimeoutMs = d.fetchTimeoutMs } = options;
  if (!Number.isSafeInteger(maxCatchUp) || maxCatchUp < 1) {
    throw new RangeError(`maxCatchUp must be a positive integer, got ${maxCatchUp}`);
  }
  if (routes.length === 0) throw new RangeError('serveJetStreamFeed needs at least one route');
  const nsp: Namespace = io.sockets instanceof Map ? (io as Namespace) : (io as Server).sockets;
  const jsm = options.jsm ?? (await js.jetstreamManager());
  const stats: JetStreamFeedStats = {
    relayed: 0,
    replayed: 0,
    catchUps: 0,
    refused: 0,
    dropped: 0,
  };
  const filters = routes.map((r) => r.subject);

  /** The message and its room, or undefined when it goes nowhere (dropped or unrouted). */
  const route = (subject: string, seq: number, bytes: Uint8Array) => {
    try {
      const data = decodeBrokerJson(bytes, limits);
      const target = routes.find((r) => subjectMatches(r.subject, subject));
      const room = target?.room(subject);
      if (typeof room !== 'string' || room === '') return undefined;
      return { room, message: { subject, seq, data } as JetStreamFeedMessage };
    } catch (cause) {
      stats.dropped++;
      const error =
        cause instanceof DistributedError
          ? cause
          : new DistributedError('DISTRIBUTED_ERR_PAYLOAD', 'a message could not be routed', {
              cause,
            });
      try {
        onDrop?.(error, subject);
      } catch {
        // a throwing observer must not stop the feed
      }
      return undefined;
    }
  };

  const start = await jsm.streams.info(stream);
  const liveFrom = start.state.last_seq + 1;
  const consumer = await js.consumers.get(stream, {
    // one route: filtered by the server; several: filtered here (filter_subjects needs 2.10)
    ...(filters.length === 1 ? { filter_subjects: filters[0] } : {}),
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: liveFrom,
  });
  const live = await consumer.consume();
  const relaying = (async () => {
    for await (const m of live) {
      const routed = route(m.subject, m.seq, m.data);
      if (routed === undefined) continue;
      nsp.local.to(routed.room).emit(event, routed.message);
      stats.relayed++;
    }
  })().catch(() => undefined);

  const busy = new WeakSet<Socket>();
  const catchUp = async (socket: Socket, request: unknown): Promise<JetStreamCatchUpAck> => {
    const lastSeq = (request as { lastSeq?: unknown } | null)?.lastSeq;
    if (
      typeof request !== 'object' ||
      request === null ||
      (lastSeq !== null && !(Number.isSafeInteger(lastSeq) && (lastSeq as number) >= 0))
    ) {
      return refuse(
        'DISTRIBUTED_ERR_PAYLOAD',
        'a catch-up is { lastSeq } with lastSeq a safe integer >= 0, or null',
      );
    }
    if (busy.has(socket)) {
      return refuse('DISTRIBUTED_ERR_PAYLOAD', 'a catch-up is already running on this socket');
    }
    busy.add(socket);
    try {
      const { state } = await jsm.streams.info(stream);
      const last = state.last_seq;
      if (lastSeq === null) return { ok: true, replayed: 0, lastSeq: last };
      const from = (lastSeq as number) + 1;
      if (from - 1 > last) {
        return refuse(
          'DISTRIBUTED_ERR_PAYLOAD',
          `lastSeq ${lastSeq} is beyond the stream's last sequence ${last} (a stream made anew, or a forged sequence): resync`,
          last,
        );
      }
      if (last - (from - 1) > maxCatchUp) {
        return refuse(
          'DISTRIBUTED_ERR_LIMIT',
          `${last - (from - 1)} messages behind, more than the ${maxCatchUp} a catch-up replays: resync`,
          last,
        );
      }
      if (from <= last && from < state.first_seq) {
        return refuse(
          'DISTRIBUTED_ERR_LIMIT',
          `the stream no longer holds ${from}..${state.first_seq - 1}: resync`,
          last,
        );
      }
      let replayed = 0;
      if (from <= last) {
        const filterSubject = filters.length === 1 ? filters[0] : undefined;
        const replay = replayFrom({
          js,
          jsm,
          stream,
          fromSeq: from,
          max: last - from + 1,
          fetchTimeoutMs,
          ...(filterSubject === undefined ? {} : { filterSubject }),
        });
        for await (const m of replay) {
          if (m.seq > last || !socket.connected) break;
          const routed = route(m.subject, m.seq, m.data);
          if (routed === undefined || !socket.rooms.has(routed.room)) continue;
          socket.emit(event, { ...routed.message, replay: true });
          replayed++;
        }
      }
      stats.replayed += replayed;
      return { ok: true, replayed, lastSeq: last };
    } catch (cause) {
      return cause instanceof DistributedError
        ? refuse(cause.code, cause.message)
        : refuse('DISTRIBUTED_ERR_UNAVAILABLE', `the catch-up failed: ${(cause as Error).message}`);
    } finally {
      busy.delete(socket);
    }
  };

  const onCatchUp = (socket: Socket) => (request: unknown, ack: unknown) => {
    if (typeof ack !== 'function') return; // nobody to answer: no work
    void catchUp(socket, request).then((answer) => {
      if (answer.ok) stats.catchUps++;
      else stats.refused++;
      (ack as (a: JetStreamCatchUpAck) => void)(answer);
    });
  };
  const listeners = new Map<Socket, (...args: unknown[]) => void>();
  const attach = (socket: Socket): void => {
    const listener = onCatchUp(socket) as (...args: unknown[]) => void;
    listeners.set(socket, listener);
    socket.on(catchUpEvent, listener);
    socket.once('disconnect', () => listeners.delete(socket));
  };
  for (const socket of nsp.sockets.values()) attach(socket);
  nsp.on('connection', attach);

  return {
    stats,
    liveFrom,
    async close() {
      nsp.off('connection', attach);
      for (const [socket, listener] of listeners) socket.off(catchUpEvent, listener);
      listeners.clear();
      await live.close();
      await relaying;
    },
  };
}
