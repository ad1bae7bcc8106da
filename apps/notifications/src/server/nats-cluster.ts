/**
 * The app's instances told of each other over core NATS, without a Socket.IO adapter. Why no
 * adapter: nothing here broadcasts to a room across instances. Stage 5's service sends each
 * notification it accepts to the other instances once (`serverSideEmit`), and each of them pushes
 * it to its own sockets (`io.local`), SSE streams and GraphQL subscriptions (receipts need no
 * event: the sender's history is in JetStream KV, see `../store/nats-sent-log.ts`). So what must
 * cross instances is server-side events only, and a {@link NotificationCluster} on one subject carries them (as
 * apps/chat fans out over core NATS), with no Socket.IO packets, rooms or heartbeats in NATS.
 *
 * Like Redis Pub/Sub under the Redis adapter it is fire and forget: an instance cut off from NATS
 * at that moment misses the live push, not the history (JetStream keeps it, and a client's
 * `resume` reads it). The connection is made with `noEcho`, so an instance does not hear itself.
 * @see https://docs.nats.io/nats-concepts/core-nats/pubsub
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { decodeBrokerJson, type NotificationCluster } from '@socketlab/distributed';

type Listener = (...args: unknown[]) => void;

/** The most arguments one event carries (the service's carry 2). */
const MAX_ARGS = 8;

/**
 * A cluster on `subject` of `nc` (which must be connected with `noEcho: true`). Each message is
 * `{ "event": …, "args": […] }` in JSON; a malformed one is dropped and the rest keep flowing.
 * Resolves once the server has the subscription; closing `nc` ends it.
 */
export async function natsCluster(
  nc: NatsConnection,
  subject: string,
): Promise<NotificationCluster> {
  const listeners = new Map<string, Set<Listener>>();
  nc.subscribe(subject, {
    callback: (error, msg) => {
      if (error !== null) return;
      let event: unknown;
      let args: unknown;
      try {
        ({ event, args } = decodeBrokerJson(msg.data) as { event?: unknown; args?: unknown });
      } catch {
        return;
      }
      if (typeof event !== 'string' || !Array.isArray(args) || args.length > MAX_ARGS) return;
      for (const listener of listeners.get(event) ?? []) {
        try {
          listener(...args);
        } catch {
          // one listener's failure does not stop the others, nor the subscription
        }
      }
    },
  });
  await nc.flush();
  return {
    serverSideEmit(event, ...args) {
      if (!nc.isClosed()) nc.publish(subject, JSON.stringify({ event, args }));
      return true;
    },
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      set.add(listener);
      listeners.set(event, set);
    },
    off(event, listener) {
      listeners.get(event)?.delete(listener);
    },
  };
}
