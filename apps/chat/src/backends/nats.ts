/**
 * The NATS backend: history and presence in JetStream (see `../store/nats.ts`), and fan-out over
 * core NATS: every instance publishes the room events it sends on one subject
 * (`<prefix>.events`), emits them to its own sockets at once, and emits what the other instances
 * publish to its own sockets too (`io.local`), so no Socket.IO adapter is needed.
 * @see https://docs.nats.io/nats-concepts/core-nats/pubsub
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { decodeBrokerJson } from '@socketlab/distributed';
import {
  connectNatsStores,
  NATS_STORE_DEFAULTS,
  type NatsStores,
  type NatsStoresOptions,
} from '../store/nats.ts';
import {
  type ChatBackend,
  type ChatFanout,
  type ChatStores,
  type FanoutEvent,
  type HistoryStore,
  type PresenceStore,
  socketRoom,
} from '../store/types.ts';

/** Options of {@link createNatsBackend}: the stores'. */
export type NatsBackendOptions = NatsStoresOptions;

/** One event as it crosses instances. */
interface FanoutEnvelope {
  readonly room: string | null;
  readonly event: FanoutEvent;
  readonly payload: unknown;
}

const FANOUT_EVENTS: ReadonlySet<string> = new Set([
  'message',
  'presence',
  'typing',
  'rooms',
  'notice',
]);

/** Stores whose every call first waits for `ready` (the connection made in the background). */
function deferredStores(ready: Promise<NatsStores>): ChatStores {
  const history: HistoryStore = {
    append: async (m) => (await ready).history.append(m),
    read: async (room, range) => (await ready).history.read(room, range),
    lastSeq: async (room) => (await ready).history.lastSeq(room),
    rooms: async () => (await ready).history.rooms(),
    close: async () => (await ready).close(),
  };
  const presence: PresenceStore = {
    join: async (room, user, conn) => (await ready).presence.join(room, user, conn),
    leave: async (room, user, conn) => (await ready).presence.leave(room, user, conn),
    members: async (room) => (await ready).presence.members(room),
    occupied: async () => (await ready).presence.occupied(),
    close: async () => (await ready).close(),
  };
  return { history, presence };
}

/**
 * N instances of the chat sharing rooms, history and presence through one NATS server with
 * JetStream. Returns at once; the connections are made in the background and `attach` (called by
 * the server with its Socket.IO server) rejects when NATS does not answer.
 * @throws {RangeError} for a limit that is not a positive integer.
 * @example
 * const app = await startChatApp({ backend: createNatsBackend({ url: 'nats://127.0.0.1:4222' }) });
 */
export function createNatsBackend(options: NatsBackendOptions): ChatBackend {
  const prefix = options.prefix ?? NATS_STORE_DEFAULTS.prefix;
  const subject = `${prefix}.events`;
  const ready = connectNatsStores(options);
  ready.catch(() => {}); // attach() reports it; until then nobody waits on it
  // A connection of its own for fan-out, without echo: this instance emits its own events locally.
  let fanoutConnection: Promise<NatsConnection> | undefined;
  let closing: Promise<void> | undefined;
  return {
    kind: 'nats',
    stores: deferredStores(ready),
    async attach(io): Promise<ChatFanout> {
      try {
        await ready;
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        throw new Error(
          `NATS at ${options.url} could not be used (${why}): start it with JetStream (nats-server -js) or check --nats`,
          { cause: error },
        );
      }
      fanoutConnection = connect({
        servers: options.url,
        noEcho: true,
        name: `chat-fanout-${prefix}`,
      });
      const nc = await fanoutConnection;
      const emitLocally = ({ room, event, payload }: FanoutEnvelope): void => {
        if (room === null) io.local.emit(event, payload);
        else io.local.to(socketRoom(room)).emit(event, payload);
      };
      nc.subscribe(subject, {
        callback: (error, msg) => {
          if (error) return;
          try {
            const envelope = decodeBrokerJson(msg.data, {
              maxBytes: 1024 * 1024,
            }) as FanoutEnvelope;
            if (FANOUT_EVENTS.has(envelope.event)) emitLocally(envelope);
          } catch {
            // a malformed event from the subject is dropped; the others keep flowing
          }
        },
      });
      await nc.flush();
      const send = (envelope: FanoutEnvelope): void => {
        emitLocally(envelope);
        if (!nc.isClosed()) nc.publish(subject, JSON.stringify(envelope));
      };
      return {
        toRoom: (room, event, payload) => send({ room, event, payload }),
        toAll: (event, payload) => send({ room: null, event, payload }),
      };
    },
    close() {
      closing ??= (async () => {
        const nc = await fanoutConnection?.catch(() => undefined);
        await nc?.drain().catch(() => undefined);
        const stores = await ready.catch(() => undefined);
        await stores?.close();
      })();
      return closing;
    },
  };
}
