/**
 * The in-memory backend: one process's history and presence, and fan-out through the server's own
 * Socket.IO rooms. Bounded whatever clients do: at most `maxMessagesPerRoom` messages in each of at
 * most `maxRooms` rooms (the room written to least recently is forgotten first).
 */

import { checkInteger } from '@socketlab/internal';
import { HistoryRing } from '@socketlab/websockets/realtime';
import type { ChatMessage, ChatUser } from '../contract.ts';
import {
  type ChatBackend,
  type ChatFanout,
  type HistoryPage,
  type HistoryStore,
  type NewChatMessage,
  type PresenceOutcome,
  type PresenceStore,
  socketRoom,
} from './types.ts';

/** Options of {@link createMemoryBackend}. */
export interface MemoryBackendOptions {
  /** Messages kept per room (a `history` request still answers at most its `limit`). @default 1000 */
  maxMessagesPerRoom?: number;
  /** Rooms whose history is kept; past it, the room written to least recently is forgotten. @default 1000 */
  maxRooms?: number;
}

/** The defaults of {@link MemoryBackendOptions}. */
export const MEMORY_BACKEND_DEFAULTS = Object.freeze({ maxMessagesPerRoom: 1000, maxRooms: 1000 });

interface RoomHistory {
  readonly ring: HistoryRing<ChatMessage>;
  lastSeq: number;
}

/**
 * A {@link HistoryStore} in memory. A room's `seq` counts on from its last message while the room
 * is kept; a forgotten room written again starts at 1, and a client whose cursor is past the
 * room's last `seq` is answered the newest messages with `truncated: true`.
 */
export function createMemoryHistory(
  options: Pick<MemoryBackendOptions, 'maxMessagesPerRoom' | 'maxRooms'> = {},
): HistoryStore {
  const maxMessagesPerRoom = checkInteger(
    'maxMessagesPerRoom',
    options.maxMessagesPerRoom ?? MEMORY_BACKEND_DEFAULTS.maxMessagesPerRoom,
    1,
  );
  const maxRooms = checkInteger(
    'maxRooms',
    options.maxRooms ?? MEMORY_BACKEND_DEFAULTS.maxRooms,
    1,
  );
  // A Map iterates in insertion order: re-inserting a room on each write keeps the least
  // recently written first, the one to forget.
  const rooms = new Map<string, RoomHistory>();
  /** The room written to last (the Map's last key): writing to it again needs no re-insert. */
  let newest: string | undefined;

  return {
    async append(message: NewChatMessage): Promise<ChatMessage> {
      let room = rooms.get(message.room);
      if (room === undefined) {
        if (rooms.size >= maxRooms) {
          const oldest = rooms.keys().next().value as string;
          rooms.delete(oldest);
        }
        room = { ring: new HistoryRing<ChatMessage>(maxMessagesPerRoom), lastSeq: 0 };
        rooms.set(message.room, room);
      } else if (newest !== message.room) {
        rooms.delete(message.room);
        rooms.set(message.room, room);
      }
      newest = message.room;
      room.lastSeq++;
      // Spelt out rather than spread: one object of one shape per message, the hot path.
      const stored: ChatMessage = {
        id: message.id,
        room: message.room,
        seq: room.lastSeq,
        from: message.from,
        kind: message.kind,
        text: message.text,
        at: message.at,
      };
      room.ring.push(stored);
      return stored;
    },

    async read(name, { after, before, limit }): Promise<HistoryPage> {
      const room = rooms.get(name);
      const count = Math.max(0, Math.floor(limit));
      if (room === undefined || count === 0) return { messages: [], truncated: false };
      const last = room.lastSeq;
      // A cursor past the room's end is from an earlier life of the room: send the newest.
      const stale = after !== undefined && after > last;
      const low = after !== undefined && !stale ? after + 1 : 1;
      const high = before !== undefined ? Math.min(before - 1, last) : last;
      if (high < low) return { messages: [], truncated: stale };
      const from = Math.max(low, high - count + 1);
      const messages = room.ring.toArray().filter((m) => m.seq >= from && m.seq <= high);
      // Seqs have no gaps, so the range held high - low + 1 messages, kept or not.
      return { messages, truncated: stale || high - low + 1 > messages.length };
    },

    async lastSeq(name) {
      return rooms.get(name)?.lastSeq ?? 0;
    },

    async rooms() {
      return [...rooms.keys()];
    },

    async close() {
      rooms.clear();
      newest = undefined;
    },
  };
}

interface Member {
  readonly user: ChatUser;
  readonly connections: Set<string>;
}

/** A {@link PresenceStore} in memory: a user is in a room while one of their connections is. */
export function createMemoryPresence(): PresenceStore {
  const rooms = new Map<string, Map<string, Member>>();
  return {
    async join(room, user, connectionId): Promise<PresenceOutcome> {
      let members = rooms.get(room);
      if (members === undefined) {
        members = new Map();
        rooms.set(room, members);
      }
      const member = members.get(user.id);
      if (member !== undefined) {
        member.connections.add(connectionId);
        return { changed: false };
      }
      members.set(user.id, { user, connections: new Set([connectionId]) });
      return { changed: true };
    },
    async leave(room, user, connectionId): Promise<PresenceOutcome> {
      const members = rooms.get(room);
      const member = members?.get(user.id);
      if (members === undefined || member === undefined) return { changed: false };
      if (!member.connections.delete(connectionId) || member.connections.size > 0) {
        return { changed: false };
      }
      members.delete(user.id);
      if (members.size === 0) rooms.delete(room);
      return { changed: true };
    },
    async members(room) {
      return [...(rooms.get(room)?.values() ?? [])].map((member) => member.user);
    },
    async occupied() {
      return new Map([...rooms].map(([room, members]) => [room, members.size]));
    },
    async close() {
      rooms.clear();
    },
  };
}

/**
 * The default backend: everything in this process's memory, events through the server's own rooms.
 * @throws {TypeError|RangeError} for a limit that is not an integer ≥ 1.
 * @example
 * const app = await startChatApp({ backend: createMemoryBackend({ maxRooms: 100 }) });
 */
export function createMemoryBackend(options: MemoryBackendOptions = {}): ChatBackend {
  const history = createMemoryHistory(options);
  const presence = createMemoryPresence();
  return {
    kind: 'memory',
    stores: { history, presence },
    async attach(io): Promise<ChatFanout> {
      return {
        toRoom: (room, event, payload) => io.to(socketRoom(room)).emit(event, payload),
        toAll: (event, payload) => io.emit(event, payload),
      };
    },
    async close() {
      await Promise.all([history.close(), presence.close()]);
    },
  };
}
