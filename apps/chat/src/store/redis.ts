/**
 * The chat's stores in Redis, shared by every instance on the same Redis and key prefix:
 * - history: one Redis stream per room (`<prefix>:history:<room>`, capped with `MAXLEN`), whose
 *   entry ids are the messages' `seq` (`<seq>-0`), taken from a per-room counter in the same Lua
 *   script as the `XADD`, so concurrent appends from several instances get consecutive seqs;
 * - presence: a hash per room (`<prefix>:presence:<room>`) of connection id → `{ i: instance, u:
 *   user }`, and a liveness key per instance (`<prefix>:instance:<id>`) with a TTL its timer
 *   refreshes: entries of an instance whose key expired are ignored and deleted.
 * Each change is one Lua script, so a user's first and last connection are counted atomically.
 * @see https://redis.io/docs/latest/develop/data-types/streams/
 * @see https://redis.io/docs/latest/develop/interact/programmability/eval-intro/
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { ChatMessage, ChatUser } from '../contract.ts';
import { checkSharedStoreLimits } from './limits.ts';
import type {
  ChatStores,
  HistoryPage,
  HistoryStore,
  NewChatMessage,
  PresenceOutcome,
  PresenceStore,
} from './types.ts';

/** The defaults of {@link createRedisStores}. */
export const REDIS_STORE_DEFAULTS = Object.freeze({
  /** The prefix of every key. */
  keyPrefix: 'chat',
  /** Messages kept per room (older ones are trimmed). */
  maxMessagesPerRoom: 1000,
  /** Rooms with history kept (the least recently written is dropped past it). */
  maxRooms: 1000,
  /** How long an instance counts as alive after its last refresh; refreshed every third of it. */
  instanceTtlMs: 15_000,
});

/** Options of {@link createRedisStores}. */
export interface RedisStoresOptions {
  /** The Redis server, e.g. `redis://127.0.0.1:6379`. */
  url: string;
  /** @default 'chat' */
  keyPrefix?: string;
  /** This instance's id, in its presence entries. @default a random one */
  instanceId?: string;
  /** @default 1000 */
  maxMessagesPerRoom?: number;
  /** @default 1000 */
  maxRooms?: number;
  /** @default 15000 */
  instanceTtlMs?: number;
}

/** The Redis stores, with the client they share. */
export interface RedisStores extends ChatStores {
  readonly redis: Redis;
  readonly instanceId: string;
  /** Closes both stores: this instance's presence entries are removed, then the client quits. */
  close(): Promise<void>;
  /**
   * For tests: stops refreshing this instance's liveness and drops the connection without
   * removing anything, as a process that was killed would.
   */
  abandon(): void;
}

const APPEND = `
local seq = redis.call('INCR', KEYS[1])
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[2], seq .. '-0', 'm', ARGV[1])
redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[4]), ARGV[4])
local extra = redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[3])
if extra > 0 then
  local gone = redis.call('ZPOPMIN', KEYS[3], extra)
  for i = 1, #gone, 2 do
    redis.call('DEL', ARGV[5] .. ':seq:' .. gone[i], ARGV[5] .. ':history:' .. gone[i])
  end
end
return seq`;

// Every presence script first refreshes this instance's own liveness key (KEYS[2]).
const JOIN = `
redis.call('SET', KEYS[2], '1', 'PX', ARGV[5])
local all = redis.call('HGETALL', KEYS[1])
local others = 0
for i = 1, #all, 2 do
  local e = cjson.decode(all[i + 1])
  if redis.call('EXISTS', ARGV[4] .. e.i) == 0 then
    redis.call('HDEL', KEYS[1], all[i])
  elseif all[i] ~= ARGV[1] and e.u.id == ARGV[3] then
    others = others + 1
  end
end
local added = redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[6])
if others == 0 and added == 1 then return 1 end
return 0`;

const LEAVE = `
redis.call('SET', KEYS[2], '1', 'PX', ARGV[4])
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local e = cjson.decode(all[i + 1])
  if e.u.id == ARGV[2] and redis.call('EXISTS', ARGV[3] .. e.i) == 1 then return 0 end
end
return 1`;

const MEMBERS = `
local all = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #all, 2 do
  local e = cjson.decode(all[i + 1])
  if redis.call('EXISTS', ARGV[1] .. e.i) == 1 then
    out[#out + 1] = all[i + 1]
  else
    redis.call('HDEL', KEYS[1], all[i])
  end
end
return out`;

// Every occupied room with its count of distinct live users; empty rooms leave the set.
const OCCUPIED = `
local rooms = redis.call('SMEMBERS', KEYS[1])
local out = {}
for _, room in ipairs(rooms) do
  local key = ARGV[1] .. room
  local all = redis.call('HGETALL', key)
  local users, count = {}, 0
  for i = 1, #all, 2 do
    local e = cjson.decode(all[i + 1])
    if redis.call('EXISTS', ARGV[2] .. e.i) == 1 then
      if not users[e.u.id] then users[e.u.id] = true; count = count + 1 end
    else
      redis.call('HDEL', key, all[i])
    end
  end
  if count == 0 then redis.call('SREM', KEYS[1], room) else
    out[#out + 1] = room; out[#out + 1] = count
  end
end
return out`;

// Removes this instance's entries from every room (a graceful close).
const FORGET_INSTANCE = `
for _, room in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[1] .. room
  local all = redis.call('HGETALL', key)
  for i = 1, #all, 2 do
    if cjson.decode(all[i + 1]).i == ARGV[2] then redis.call('HDEL', key, all[i]) end
  end
end
redis.call('DEL', KEYS[2])
return 1`;

/** The message stored in a stream entry's `m` field, with its seq from the entry id. */
function fromEntry([id, fields]: [string, string[]]): ChatMessage {
  const index = fields.indexOf('m');
  const stored = JSON.parse(fields[index + 1] as string) as NewChatMessage;
  return { ...stored, seq: Number(id.split('-')[0]) };
}

/**
 * Opens the Redis stores on one client (ioredis connects in the background; commands wait for
 * it). Instances that share rooms use the same `url` and `keyPrefix`.
 * @throws {RangeError} for a limit that is not a positive integer.
 * @example
 * const stores = createRedisStores({ url: 'redis://127.0.0.1:6379', keyPrefix: 'chat' });
 * const m = await stores.history.append({ id: 'x', room: 'lobby', from, kind: 'text', text: 'hi', at: Date.now() });
 */
export function createRedisStores(options: RedisStoresOptions): RedisStores {
  const keyPrefix = options.keyPrefix ?? REDIS_STORE_DEFAULTS.keyPrefix;
  const instanceId = options.instanceId ?? randomUUID();
  const { maxMessages, maxRooms, ttlMs } = checkSharedStoreLimits(options, REDIS_STORE_DEFAULTS);
  if (typeof keyPrefix !== 'string' || keyPrefix === '') {
    throw new TypeError('keyPrefix must be a non-empty string');
  }
  const redis = new Redis(options.url, { maxRetriesPerRequest: 3 });
  redis.on('error', () => {}); // ioredis reconnects; each failed command rejects on its own
  const key = {
    seq: (room: string) => `${keyPrefix}:seq:${room}`,
    history: (room: string) => `${keyPrefix}:history:${room}`,
    historyRooms: `${keyPrefix}:history-rooms`,
    clock: `${keyPrefix}:clock`,
    presence: (room: string) => `${keyPrefix}:presence:${room}`,
    presencePrefix: `${keyPrefix}:presence:`,
    presenceRooms: `${keyPrefix}:presence-rooms`,
    instancePrefix: `${keyPrefix}:instance:`,
    instance: `${keyPrefix}:instance:${instanceId}`,
  };

  const refresh = (): Promise<unknown> =>
    redis.set(key.instance, '1', 'PX', ttlMs).catch(() => undefined);
  void refresh();
  const timer = setInterval(refresh, Math.max(1, Math.floor(ttlMs / 3)));
  timer.unref();

  const history: HistoryStore = {
    async append(message) {
      const seq = (await redis.eval(
        APPEND,
        4,
        key.seq(message.room),
        key.history(message.room),
        key.historyRooms,
        key.clock,
        JSON.stringify(message),
        maxMessages,
        maxRooms,
        message.room,
        keyPrefix,
      )) as number;
      return { ...message, seq };
    },
    async read(room, { after, before, limit }): Promise<HistoryPage> {
      if (limit < 1) return { messages: [], truncated: false };
      const max = before === undefined ? '+' : `(${before}-0`;
      const min = after === undefined ? '-' : `(${after}-0`;
      const entries = (await redis.xrevrange(key.history(room), max, min, 'COUNT', limit + 1)) as [
        string,
        string[],
      ][];
      const messages = entries.map(fromEntry).reverse();
      let truncated = messages.length > limit;
      if (truncated) messages.shift();
      // Trimmed by MAXLEN: the oldest asked for are gone.
      const first = messages[0];
      if (after !== undefined && first !== undefined && first.seq > after + 1) truncated = true;
      return { messages, truncated };
    },
    async lastSeq(room) {
      return Number((await redis.get(key.seq(room))) ?? 0);
    },
    async rooms() {
      return redis.zrange(key.historyRooms, '0', '-1');
    },
    async close() {
      await closeAll();
    },
  };

  const presence: PresenceStore = {
    async join(room, user, connectionId): Promise<PresenceOutcome> {
      const changed = await redis.eval(
        JOIN,
        3,
        key.presence(room),
        key.instance,
        key.presenceRooms,
        connectionId,
        JSON.stringify({ i: instanceId, u: user }),
        user.id,
        key.instancePrefix,
        ttlMs,
        room,
      );
      return { changed: changed === 1 };
    },
    async leave(room, user, connectionId): Promise<PresenceOutcome> {
      const changed = await redis.eval(
        LEAVE,
        2,
        key.presence(room),
        key.instance,
        connectionId,
        user.id,
        key.instancePrefix,
        ttlMs,
      );
      return { changed: changed === 1 };
    },
    async members(room) {
      const values = (await redis.eval(
        MEMBERS,
        1,
        key.presence(room),
        key.instancePrefix,
      )) as string[];
      const users = new Map<string, ChatUser>();
      for (const value of values) {
        const { u } = JSON.parse(value) as { u: ChatUser };
        if (!users.has(u.id)) users.set(u.id, u);
      }
      return [...users.values()];
    },
    async occupied() {
      const flat = (await redis.eval(
        OCCUPIED,
        1,
        key.presenceRooms,
        key.presencePrefix,
        key.instancePrefix,
      )) as (string | number)[];
      const rooms = new Map<string, number>();
      for (let i = 0; i + 1 < flat.length; i += 2) rooms.set(String(flat[i]), Number(flat[i + 1]));
      return rooms;
    },
    async close() {
      await closeAll();
    },
  };

  let closing: Promise<void> | undefined;
  const closeAll = (): Promise<void> => {
    closing ??= (async () => {
      clearInterval(timer);
      if (redis.status === 'ready') {
        await redis
          .eval(FORGET_INSTANCE, 2, key.presenceRooms, key.instance, key.presencePrefix, instanceId)
          .catch(() => undefined);
        await redis.quit().catch(() => undefined);
      }
      redis.disconnect();
    })();
    return closing;
  };

  return {
    history,
    presence,
    redis,
    instanceId,
    close: closeAll,
    abandon() {
      clearInterval(timer);
      closing ??= Promise.resolve();
      redis.disconnect();
    },
  };
}
