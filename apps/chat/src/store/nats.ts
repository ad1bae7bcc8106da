/**
 * The chat's stores in NATS JetStream, shared by every instance on the same server and prefix:
 * - history: one stream (`<prefix>_history`, subjects `<prefix>.msg.<room>`, `max_msgs_per_subject`
 *   per room); each message carries its `seq`, published with the expected last subject sequence
 *   header, so when two instances append at once one of them is refused and retries with the next
 *   seq: no gaps, no duplicates;
 * - presence: a KV bucket (`<prefix>_presence`) with one key per room and user holding their
 *   connections (id → instance), changed by compare-and-set; and a KV bucket of live instances
 *   (`<prefix>_instances`) whose entries expire after `instanceTtlMs` unless refreshed.
 * @see https://docs.nats.io/using-nats/developer/develop_jetstream/model_deep_dive#message-deduplication
 * @see https://docs.nats.io/nats-concepts/jetstream/key-value-store
 */
import { randomUUID } from 'node:crypto';
import { JetStreamApiError, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ensureStream, replayFrom } from '@socketlab/distributed';
import type { ChatMessage, ChatUser } from '../contract.ts';
import { checkSharedStoreLimits } from './limits.ts';
import type { ChatStores, HistoryStore, PresenceOutcome, PresenceStore } from './types.ts';

/** The defaults of {@link connectNatsStores}. */
export const NATS_STORE_DEFAULTS = Object.freeze({
  /** The prefix of the stream, the buckets and the subjects. */
  prefix: 'chat',
  /** Messages kept per room (older ones are dropped). */
  maxMessagesPerRoom: 500,
  /** Rooms with history kept (the least recently written is purged past it). */
  maxRooms: 1000,
  /** How long an instance counts as alive after its last refresh; refreshed every third of it. */
  instanceTtlMs: 15_000,
  /** How many times an append retries when another instance took the seq first. */
  maxAppendAttempts: 100,
});

/** Options of {@link connectNatsStores}. */
export interface NatsStoresOptions {
  /** The NATS server, e.g. `nats://127.0.0.1:4222` (JetStream enabled). */
  url: string;
  /** Letters, digits, `_` and `-`. @default 'chat' */
  prefix?: string;
  /** @default a random one */
  instanceId?: string;
  /** @default 500 */
  maxMessagesPerRoom?: number;
  /** @default 1000 */
  maxRooms?: number;
  /** @default 15000 */
  instanceTtlMs?: number;
}

/** The NATS stores, with their connection. */
export interface NatsStores extends ChatStores {
  readonly nc: NatsConnection;
  readonly instanceId: string;
  readonly prefix: string;
  /** Removes this instance's connections from presence, then closes the connection. */
  close(): Promise<void>;
  /** For tests: stops refreshing liveness and closes the connection without removing anything. */
  abandon(): void;
}

const PREFIX_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const WRONG_LAST_SEQUENCE = 10071;

interface PresenceEntry {
  readonly user: ChatUser;
  /** Connection id → the instance holding it. */
  readonly conns: Record<string, string>;
}

const encode = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
const decode = <T>(data: Uint8Array): T => JSON.parse(new TextDecoder().decode(data)) as T;
/** A KV key token for a user id (`guest:x` has a `:`, which keys may not hold). */
const userToken = (id: string): string => Buffer.from(id).toString('base64url');

/**
 * Connects to NATS and opens (creating them when missing) the history stream and the presence
 * buckets. Instances that share rooms use the same `url` and `prefix`.
 * @throws {RangeError} for a limit that is not a positive integer.
 * @throws {TypeError} for a prefix NATS names cannot hold.
 * @example const stores = await connectNatsStores({ url: 'nats://127.0.0.1:4222' });
 */
export async function connectNatsStores(options: NatsStoresOptions): Promise<NatsStores> {
  const prefix = options.prefix ?? NATS_STORE_DEFAULTS.prefix;
  if (typeof prefix !== 'string' || !PREFIX_PATTERN.test(prefix)) {
    throw new TypeError(`prefix must be 1–64 letters, digits, _ or -, got ${String(prefix)}`);
  }
  const instanceId = options.instanceId ?? randomUUID();
  const { maxMessages, maxRooms, ttlMs } = checkSharedStoreLimits(options, NATS_STORE_DEFAULTS);

  const nc = await connect({ servers: options.url, name: `chat-${instanceId}` });
  try {
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    const stream = `${prefix}_history`;
    const subject = (room: string): string => `${prefix}.msg.${room}`;
    await ensureStream(jsm, {
      name: stream,
      subjects: [`${prefix}.msg.*`],
      max_msgs_per_subject: maxMessages,
    });
    const kvm = new Kvm(js);
    const presenceKv: KV = await kvm.create(`${prefix}_presence`, { history: 1 });
    const instancesKv: KV = await kvm.create(`${prefix}_instances`, { history: 1, ttl: ttlMs });
    const refresh = (): Promise<unknown> =>
      instancesKv.put(instanceId, encode(Date.now())).catch(() => undefined);
    await refresh();
    const timer = setInterval(refresh, Math.max(1, Math.floor(ttlMs / 3)));
    timer.unref();

    const lastOf = async (room: string): Promise<{ streamSeq: number; seq: number } | null> => {
      const last = await jsm.streams.getMessage(stream, { last_by_subj: subject(room) });
      return last === null
        ? null
        : { streamSeq: last.seq, seq: decode<ChatMessage>(last.data).seq };
    };

    /** Purges the rooms written least recently while more than maxRooms have history. */
    const evictRooms = async (): Promise<string[]> => {
      const info = await jsm.streams.info(stream, { subjects_filter: `${prefix}.msg.*` });
      const subjects = Object.keys(info.state.subjects ?? {});
      if (subjects.length <= maxRooms) return subjects;
      const lasts = await Promise.all(
        subjects.map(async (s) => ({
          s,
          seq: (await jsm.streams.getMessage(stream, { last_by_subj: s }))?.seq ?? 0,
        })),
      );
      lasts.sort((a, b) => b.seq - a.seq);
      for (const { s } of lasts.slice(maxRooms)) await jsm.streams.purge(stream, { filter: s });
      return lasts.slice(0, maxRooms).map(({ s }) => s);
    };

    const history: HistoryStore = {
      async append(message) {
        for (let attempt = 0; attempt < NATS_STORE_DEFAULTS.maxAppendAttempts; attempt++) {
          const last = await lastOf(message.room);
          const stored: ChatMessage = { ...message, seq: (last?.seq ?? 0) + 1 };
          try {
            await js.publish(subject(message.room), encode(stored), {
              expect: { lastSubjectSequence: last?.streamSeq ?? 0 },
            });
          } catch (error) {
            if (error instanceof JetStreamApiError && error.code === WRONG_LAST_SEQUENCE) {
              // another instance appended first: wait a little (spread the racers) and retry
              await new Promise((resolve) =>
                setTimeout(resolve, Math.random() * 5 * (attempt + 1)),
              );
              continue;
            }
            throw error;
          }
          if (stored.seq === 1) await evictRooms();
          return stored;
        }
        throw new Error(
          `could not append to ${message.room}: ${NATS_STORE_DEFAULTS.maxAppendAttempts} attempts raced with other instances`,
        );
      },
      async read(room, { after, before, limit }) {
        if (limit < 1) return { messages: [], truncated: false };
        // The room's retained messages are replayed (at most maxMessagesPerRoom) and the range
        // is kept: room seqs do not map to stream seqs.
        const kept: ChatMessage[] = [];
        let truncated = false;
        if ((await lastOf(room)) === null) return { messages: [], truncated: false };
        for await (const replayed of replayFrom({
          js,
          jsm,
          stream,
          fromSeq: 1,
          filterSubject: subject(room),
          max: maxMessages,
        })) {
          const m = decode<ChatMessage>(replayed.data);
          if (after !== undefined && m.seq <= after) continue;
          if (before !== undefined && m.seq >= before) break;
          kept.push(m);
          if (kept.length > limit) {
            kept.shift();
            truncated = true;
          }
        }
        const first = kept[0];
        if (after !== undefined && first !== undefined && first.seq > after + 1) truncated = true;
        return { messages: kept, truncated };
      },
      async lastSeq(room) {
        return (await lastOf(room))?.seq ?? 0;
      },
      async rooms() {
        const subjects = await evictRooms();
        return subjects.map((s) => s.slice(`${prefix}.msg.`.length));
      },
      close: () => closeAll(),
    };

    /** The ids of the instances alive now, asked at most once per id per operation. */
    const liveness = () => {
      const known = new Map<string, Promise<boolean>>([[instanceId, Promise.resolve(true)]]);
      return (id: string): Promise<boolean> => {
        let alive = known.get(id);
        if (alive === undefined) {
          alive = instancesKv.get(id).then((e) => e !== null && e.operation === 'PUT');
          known.set(id, alive);
        }
        return alive;
      };
    };
    const liveConns = async (
      entry: PresenceEntry,
      isAlive: (id: string) => Promise<boolean>,
    ): Promise<Record<string, string>> => {
      const conns: Record<string, string> = {};
      for (const [conn, instance] of Object.entries(entry.conns)) {
        if (await isAlive(instance)) conns[conn] = instance;
      }
      return conns;
    };

    /** Changes one room+user entry by compare-and-set, retrying when another instance raced. */
    const change = async (
      room: string,
      user: ChatUser,
      edit: (conns: Record<string, string>) => boolean,
    ): Promise<PresenceOutcome> => {
      const key = `${room}.${userToken(user.id)}`;
      for (let attempt = 0; attempt < NATS_STORE_DEFAULTS.maxAppendAttempts; attempt++) {
        const entry = await presenceKv.get(key);
        const live = entry?.operation === 'PUT';
        const conns = live
          ? await liveConns(entry.json<PresenceEntry>(), liveness())
          : ({} as Record<string, string>);
        const before = Object.keys(conns).length;
        if (!edit(conns)) return { changed: false };
        const after = Object.keys(conns).length;
        try {
          if (after === 0) {
            if (live) await presenceKv.delete(key, { previousSeq: entry.revision });
          } else if (live) {
            await presenceKv.update(key, encode({ user, conns }), entry.revision);
          } else {
            await presenceKv.create(key, encode({ user, conns }));
          }
        } catch (error) {
          if (error instanceof Error && /wrong last sequence|key exists/i.test(error.message)) {
            await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * (attempt + 1)));
            continue;
          }
          throw error;
        }
        return { changed: (before === 0) !== (after === 0) };
      }
      throw new Error(`presence of ${user.nick} in ${room}: too many concurrent changes`);
    };
    const mine = new Map<string, ChatUser>(); // room\0conn → user, removed on close

    /** Every live entry whose key matches `filter`, by room. */
    const liveEntries = async (filter: string): Promise<Map<string, PresenceEntry[]>> => {
      const rooms = new Map<string, PresenceEntry[]>();
      const isAlive = liveness();
      for await (const key of await presenceKv.keys(filter)) {
        const entry = await presenceKv.get(key);
        if (entry === null || entry.operation !== 'PUT') continue;
        const value = entry.json<PresenceEntry>();
        const conns = await liveConns(value, isAlive);
        if (Object.keys(conns).length === 0) {
          // every connection belonged to dead instances: clean it (unless it changed meanwhile)
          await presenceKv.delete(key, { previousSeq: entry.revision }).catch(() => undefined);
          continue;
        }
        const room = key.slice(0, key.indexOf('.'));
        rooms.set(room, [...(rooms.get(room) ?? []), { user: value.user, conns }]);
      }
      return rooms;
    };

    const presence: PresenceStore = {
      async join(room, user, connectionId) {
        mine.set(`${room}\0${connectionId}`, user);
        return change(room, user, (conns) => {
          if (conns[connectionId] !== undefined) return false;
          conns[connectionId] = instanceId;
          return true;
        });
      },
      async leave(room, user, connectionId) {
        mine.delete(`${room}\0${connectionId}`);
        return change(room, user, (conns) => {
          if (conns[connectionId] === undefined) return false;
          delete conns[connectionId];
          return true;
        });
      },
      async members(room) {
        return ((await liveEntries(`${room}.*`)).get(room) ?? []).map((e) => e.user);
      },
      async occupied() {
        const counts = new Map<string, number>();
        for (const [room, entries] of await liveEntries('>')) counts.set(room, entries.length);
        return counts;
      },
      close: () => closeAll(),
    };

    let closing: Promise<void> | undefined;
    const closeAll = (): Promise<void> => {
      closing ??= (async () => {
        clearInterval(timer);
        if (nc.isClosed()) return;
        for (const [key, user] of mine) {
          const [room, conn] = key.split('\0') as [string, string];
          await presence.leave(room, user, conn).catch(() => undefined);
        }
        await instancesKv.delete(instanceId).catch(() => undefined);
        await nc.drain().catch(() => undefined);
      })();
      return closing;
    };

    return {
      history,
      presence,
      nc,
      instanceId,
      prefix,
      close: closeAll,
      abandon() {
        clearInterval(timer);
        closing ??= nc.close().catch(() => undefined);
      },
    };
  } catch (error) {
    await nc.close().catch(() => undefined);
    throw error;
  }
}
