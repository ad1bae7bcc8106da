/**
 * A bridge between NATS subjects and Socket.IO rooms: each instance of a Socket.IO server
 * subscribes to the subjects it serves and emits every message, once checked, to the room the
 * subject names, on its own sockets (`io.local`); a client's event can be published back.
 * @see https://docs.nats.io/nats-concepts/core-nats/pubsub
 * @see https://socket.io/docs/v4/rooms/
 */
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { headers } from '@nats-io/transport-node';
import { checkPayload, type PayloadLimits } from '@socketlab/websockets/realtime';
import type { Namespace, Server, Socket } from 'socket.io';
import { DistributedError, type DistributedErrorCode } from '../errors.ts';
import { decodeBrokerJson, isPublishSubject, subjectMatches } from './payload.ts';

/** One subscription the bridge fans out. */
export interface NatsRoute {
  /** A NATS subject, wildcards allowed (`prices.>`, `chat.*`). */
  subject: string;
  /** The room a message on `subject` goes to, or null/undefined to relay it nowhere. */
  room: (subject: string) => string | null | undefined;
  /** The Socket.IO event emitted. @default 'nats:message' */
  event?: string;
}

/** Client events published back to NATS. */
export interface NatsInbound {
  /** The event a client emits as `(subject, data, ack?)`. @default 'nats:publish' */
  event?: string;
  /** The subjects a client may publish on, as NATS patterns (`chat.*`); anything else is refused. */
  allow: readonly string[];
}

/** Options of {@link bridgeNatsToSocketIo}. */
export interface NatsBridgeOptions {
  nc: NatsConnection;
  /** The Socket.IO server, or one of its namespaces. */
  io: Server | Namespace;
  subjects: readonly NatsRoute[];
  inbound?: NatsInbound;
  /** Bounds on every payload, both ways. @default { maxDepth: 16, maxBytes: 16384 } */
  limits?: PayloadLimits;
  /** Called for each message dropped (a malformed payload, a room function that threw). */
  onDrop?: (error: DistributedError, subject: string) => void;
}

/** What the bridge has done so far. */
export interface NatsBridgeStats {
  /** NATS messages emitted to a room. */
  relayed: number;
  /** NATS messages dropped as malformed (`DISTRIBUTED_ERR_PAYLOAD`). */
  dropped: number;
  /** NATS messages whose room function answered no room. */
  unrouted: number;
  /** Client events published to NATS. */
  published: number;
  /** Client events refused (a subject not allowed, a malformed payload). */
  refused: number;
}

/** A running bridge. */
export interface NatsBridge {
  readonly stats: Readonly<NatsBridgeStats>;
  /** Unsubscribes, stops listening to clients, and resolves once NATS has seen the unsubscribes. */
  close(): Promise<void>;
}

/** The acknowledgement of an inbound publish. */
export type NatsPublishAck =
  | { ok: true }
  | { ok: false; code: DistributedErrorCode; message: string };

/** The header that carries the publishing socket's id on an inbound message. */
export const SOCKET_ID_HEADER = 'Socket-Id';

/**
 * Fans NATS subjects out to Socket.IO rooms (and, with `inbound`, client events back to NATS).
 * Every NATS payload is decoded as bounded JSON before it is emitted; a malformed one is counted
 * in `stats.dropped` and passed to `onDrop`, and the others keep flowing. The emitted value is a
 * new object `{ subject, data }`. Resolves once the subscriptions are registered on the server.
 * Emits through `io.local`: run one bridge per Socket.IO instance, each subscribed itself.
 * @throws {TypeError} for a route whose subject is empty.
 * @example
 * const bridge = await bridgeNatsToSocketIo({
 *   nc, io, subjects: [{ subject: 'prices.*', room: (s) => `prices:${s.split('.')[1]}` }],
 * });
 */
export async function bridgeNatsToSocketIo(options: NatsBridgeOptions): Promise<NatsBridge> {
  const { nc, io, subjects, inbound, limits = {}, onDrop } = options;
  const stats: NatsBridgeStats = { relayed: 0, dropped: 0, unrouted: 0, published: 0, refused: 0 };
  const nsp: Namespace = io.sockets instanceof Map ? (io as Namespace) : (io as Server).sockets;
  const drop = (error: DistributedError, subject: string): void => {
    stats.dropped++;
    try {
      onDrop?.(error, subject);
    } catch {
      // a throwing observer must not stop the bridge
    }
  };

  const subs: Subscription[] = subjects.map((route) => {
    if (typeof route.subject !== 'string' || route.subject === '') {
      throw new TypeError('every route needs a NATS subject');
    }
    const event = route.event ?? 'nats:message';
    return nc.subscribe(route.subject, {
      callback: (err, msg) => {
        if (err) return; // the subscription ends (permissions, close): nothing to relay
        try {
          const data = decodeBrokerJson(msg.data, limits);
          const room = route.room(msg.subject);
          if (typeof room !== 'string' || room === '') {
            stats.unrouted++;
            return;
          }
          nsp.local.to(room).emit(event, { subject: msg.subject, data });
          stats.relayed++;
        } catch (cause) {
          drop(
            cause instanceof DistributedError
              ? cause
              : new DistributedError('DISTRIBUTED_ERR_PAYLOAD', 'a message could not be routed', {
                  cause,
                }),
            msg.subject,
          );
        }
      },
    });
  });

  const event = inbound?.event ?? 'nats:publish';
  const onPublish =
    (socket: Socket) =>
    (subject: unknown, data: unknown, ...rest: unknown[]) => {
      const last = [data, ...rest].at(-1);
      const ack = typeof last === 'function' ? (last as (a: NatsPublishAck) => void) : undefined;
      const payload = data === ack ? undefined : data;
      const answer = publish(socket, subject, payload);
      ack?.(answer);
    };
  const publish = (socket: Socket, subject: unknown, data: unknown): NatsPublishAck => {
    const refuse = (message: string): NatsPublishAck => {
      stats.refused++;
      return { ok: false, code: 'DISTRIBUTED_ERR_PAYLOAD', message };
    };
    if (!isPublishSubject(subject)) return refuse('not a subject one can publish on');
    if (!inbound?.allow.some((pattern) => subjectMatches(pattern, subject))) {
      return refuse(`publishing on ${subject} is not allowed`);
    }
    let bytes: Uint8Array;
    try {
      checkPayload(data ?? null, limits);
      bytes = new TextEncoder().encode(JSON.stringify(data ?? null));
    } catch (cause) {
      return refuse(`the payload was refused: ${(cause as Error).message}`);
    }
    const h = headers();
    h.set(SOCKET_ID_HEADER, socket.id);
    try {
      nc.publish(subject, bytes, { headers: h });
    } catch (cause) {
      return { ok: false, code: 'DISTRIBUTED_ERR_UNAVAILABLE', message: (cause as Error).message };
    }
    stats.published++;
    return { ok: true };
  };
  const listeners = new Map<Socket, (...args: unknown[]) => void>();
  const attach = (socket: Socket): void => {
    const listener = onPublish(socket) as (...args: unknown[]) => void;
    listeners.set(socket, listener);
    socket.on(event, listener);
    socket.once('disconnect', () => listeners.delete(socket));
  };
  if (inbound) {
    for (const socket of nsp.sockets.values()) attach(socket);
    nsp.on('connection', attach);
  }

  await nc.flush();
  return {
    stats,
    async close() {
      if (inbound) {
        nsp.off('connection', attach);
        for (const [socket, listener] of listeners) socket.off(event, listener);
        listeners.clear();
      }
      for (const sub of subs) sub.unsubscribe();
      if (!nc.isClosed()) await nc.flush();
    },
  };
}
