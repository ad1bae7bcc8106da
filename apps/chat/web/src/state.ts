/**
 * The page's state, without the DOM: the rooms it knows (from the room list) and those it is in,
 * each one's messages (merged by `seq`, so a resume never shows one twice), who is present and
 * typing, and the read cursor an unread count is measured from. Everything here is plain data and
 * functions of it, unit-tested in test/browser/state.test.ts; main.ts renders it.
 */
import type {
  ChatMessage,
  ChatRoomSummary,
  ChatUser,
  Joined,
  JoinRequest,
} from '../../src/contract.ts';
import { LOBBY } from '../../src/contract.ts';

/** The most messages the page keeps per room; older ones are dropped as new ones come. */
export const MAX_KEPT_MESSAGES = 1000;

/** How long a "typing" shown without news lasts: the server expires it after 5 s, this is a backstop. */
export const TYPING_SHOWN_MS = 6000;

/** A room the page has joined. */
export interface JoinedRoom {
  readonly name: string;
  /** Oldest first, one per `seq`. */
  messages: ChatMessage[];
  /** Who is in it, by user id. */
  readonly members: Map<string, ChatUser>;
  /** Who is typing in it, by user id, with when that stops being shown (ms since the epoch). */
  readonly typing: Map<string, { readonly user: ChatUser; readonly until: number }>;
  /** The newest `seq` read (shown while the room was the active one). */
  readSeq: number;
  /** A resume's answer left out older messages (more were missed than it holds). */
  truncated: boolean;
  /** A history request came back empty: the server keeps nothing older. */
  olderGone: boolean;
}

/** Everything the page shows, apart from the connection's state. */
export interface ChatState {
  me: ChatUser | undefined;
  /** The room list, by name, as the server last sent it. */
  readonly rooms: Map<string, ChatRoomSummary>;
  /** The rooms this page is in, by name. */
  readonly joined: Map<string, JoinedRoom>;
  /** The room whose messages are shown. */
  active: string;
}

/** A fresh state: no rooms yet, the lobby active. */
export function createChatState(): ChatState {
  return { me: undefined, rooms: new Map(), joined: new Map(), active: LOBBY };
}

/**
 * Merges `incoming` into `existing` (both oldest first): one message per `seq`, in `seq` order,
 * the newest `max` kept. Returns the merged list and the messages that were new.
 */
export function mergeMessages(
  existing: readonly ChatMessage[],
  incoming: readonly ChatMessage[],
  max = MAX_KEPT_MESSAGES,
): { messages: ChatMessage[]; added: ChatMessage[] } {
  const seen = new Set(existing.map((m) => m.seq));
  const added: ChatMessage[] = [];
  for (const message of incoming) {
    if (seen.has(message.seq)) continue;
    seen.add(message.seq);
    added.push(message);
  }
  if (added.length === 0) return { messages: [...existing], added };
  const last = existing.at(-1)?.seq ?? 0;
  const sortedAdded = [...added].sort((a, b) => a.seq - b.seq);
  // The usual case, new messages after the newest: no full sort needed.
  const merged =
    (sortedAdded[0]?.seq ?? 0) > last
      ? [...existing, ...sortedAdded]
      : [...existing, ...sortedAdded].sort((a, b) => a.seq - b.seq);
  const messages = merged.length > max ? merged.slice(merged.length - max) : merged;
  return { messages, added: sortedAdded };
}

/** The newest `seq` this page has of a room (0 for none): the `after` of a resuming join. */
export function lastSeen(room: JoinedRoom): number {
  return room.messages.at(-1)?.seq ?? 0;
}

/** The newest `seq` a room is known to have: the room list's, or a newer message's. */
export function newestSeq(state: ChatState, name: string): number {
  const listed = state.rooms.get(name)?.lastSeq ?? 0;
  const room = state.joined.get(name);
  return Math.max(listed, room ? lastSeen(room) : 0);
}

/** Unread messages across every room the page is in (for the tab's title). */
export function totalUnread(state: ChatState): number {
  let total = 0;
  for (const name of state.joined.keys()) total += unreadCount(state, name);
  return total;
}

/** Messages not read yet in a room the page is in (0 for the active room and rooms not joined). */
export function unreadCount(state: ChatState, name: string): number {
  const room = state.joined.get(name);
  if (room === undefined || name === state.active) return 0;
  return Math.max(0, newestSeq(state, name) - room.readSeq);
}

/** Marks the active room read up to what it holds. */
function markActiveRead(state: ChatState): void {
  const room = state.joined.get(state.active);
  if (room !== undefined) room.readSeq = Math.max(room.readSeq, newestSeq(state, room.name));
}

/** Shows another room (one the page is in); it counts as read. */
export function setActive(state: ChatState, name: string): void {
  if (!state.joined.has(name)) return;
  state.active = name;
  markActiveRead(state);
}

/**
 * The join requests that resume every room after a reconnect: each after the last `seq` seen.
 * `listed` is the server's room list, asked for first: a room whose newest `seq` there is below
 * the page's (a restarted server with no shared store started its history over) is forgotten and
 * joined afresh, since its new messages reuse old numbers. Returns those rooms in `restarted`.
 */
export function resumeRequests(
  state: ChatState,
  listed?: readonly ChatRoomSummary[],
): { requests: JoinRequest[]; restarted: string[] } {
  const newest = new Map(listed?.map((room) => [room.name, room.lastSeq]));
  const requests: JoinRequest[] = [];
  const restarted: string[] = [];
  for (const room of [...state.joined.values()]) {
    const after = lastSeen(room);
    if (listed !== undefined && (newest.get(room.name) ?? 0) < after) {
      state.joined.delete(room.name);
      restarted.push(room.name);
      requests.push({ room: room.name });
    } else {
      requests.push(after > 0 ? { room: room.name, after } : { room: room.name });
    }
  }
  return { requests, restarted };
}

/** Replaces the room list. */
export function applyRooms(state: ChatState, rooms: readonly ChatRoomSummary[]): void {
  state.rooms.clear();
  for (const room of rooms) state.rooms.set(room.name, room);
}

/**
 * Applies a join's answer (a first join or a resume): members replaced, messages merged. A first
 * join counts its history as read, so only what arrives afterwards is unread. Returns the new
 * messages.
 */
export function applyJoined(state: ChatState, joined: Joined): ChatMessage[] {
  let room = state.joined.get(joined.room);
  const first = room === undefined;
  if (room === undefined) {
    room = {
      name: joined.room,
      messages: [],
      members: new Map(),
      typing: new Map(),
      readSeq: 0,
      truncated: false,
      olderGone: false,
    };
    state.joined.set(joined.room, room);
  }
  room.members.clear();
  for (const user of joined.members) room.members.set(user.id, user);
  // A resume that missed too much starts the list again from its newest messages, so the list
  // has no hole; "show older" then fills in backwards.
  if (!first && joined.truncated) {
    room.messages = [];
    room.truncated = true;
    room.olderGone = false;
  }
  const { messages, added } = mergeMessages(room.messages, joined.messages);
  room.messages = messages;
  if (first) room.readSeq = lastSeen(room);
  if (joined.room === state.active) markActiveRead(state);
  return added;
}

/** Whether a room may have messages older than those the page holds. */
export function hasOlder(room: JoinedRoom): boolean {
  return !room.olderGone && (room.messages[0]?.seq ?? 1) > 1;
}

/** The `history` request for the messages before the oldest the page holds of a room. */
export function olderRequest(
  room: JoinedRoom,
  limit: number,
): { room: string; before: number; limit: number } {
  return { room: room.name, before: room.messages[0]?.seq ?? 1, limit };
}

/** Adds the older messages a `history` request answered; none means there are no more. */
export function applyHistory(
  state: ChatState,
  name: string,
  older: readonly ChatMessage[],
): ChatMessage[] {
  const room = state.joined.get(name);
  if (room === undefined) return [];
  const { messages, added } = mergeMessages(room.messages, older, Number.POSITIVE_INFINITY);
  room.messages = messages;
  if (added.length === 0) room.olderGone = true;
  if (room.messages[0]?.seq === 1) room.truncated = false;
  return added;
}

/** Forgets a room the page left; the lobby becomes active if it was the one shown. */
export function applyLeft(state: ChatState, name: string): void {
  state.joined.delete(name);
  if (state.active === name) state.active = LOBBY;
}

/** Adds a live message; false when the page already had it (or is not in its room). */
export function applyMessage(state: ChatState, message: ChatMessage): boolean {
  const room = state.joined.get(message.room);
  if (room === undefined) return false;
  const { messages, added } = mergeMessages(room.messages, [message]);
  if (added.length === 0) return false;
  room.messages = messages;
  room.typing.delete(message.from.id);
  const listed = state.rooms.get(message.room);
  if (listed !== undefined && listed.lastSeq < message.seq) {
    state.rooms.set(message.room, { ...listed, lastSeq: message.seq });
  }
  if (message.room === state.active) markActiveRead(state);
  return true;
}

/** Someone joined or left a room the page is in. */
export function applyPresence(
  state: ChatState,
  change: { readonly room: string; readonly user: ChatUser; readonly present: boolean },
): void {
  const room = state.joined.get(change.room);
  if (room === undefined) return;
  if (change.present) {
    room.members.set(change.user.id, change.user);
  } else {
    room.members.delete(change.user.id);
    room.typing.delete(change.user.id);
  }
}

/** Someone started or stopped typing; `now` is the clock (ms since the epoch). */
export function applyTyping(
  state: ChatState,
  change: { readonly room: string; readonly user: ChatUser; readonly typing: boolean },
  now: number,
): void {
  const room = state.joined.get(change.room);
  if (room === undefined || change.user.id === state.me?.id) return;
  if (change.typing)
    room.typing.set(change.user.id, { user: change.user, until: now + TYPING_SHOWN_MS });
  else room.typing.delete(change.user.id);
}

/** Who is typing in a room at `now`, by nick, in a stable order. */
export function typingNicks(state: ChatState, name: string, now: number): string[] {
  const room = state.joined.get(name);
  if (room === undefined) return [];
  return [...room.typing.values()]
    .filter((entry) => entry.until > now)
    .map((entry) => entry.user.nick)
    .sort();
}

/** "ann is typing…", "ann and bob are typing…", "3 people are typing…", or "". */
export function typingLine(nicks: readonly string[]): string {
  if (nicks.length === 0) return '';
  if (nicks.length === 1) return `${nicks[0]} is typing…`;
  if (nicks.length === 2) return `${nicks[0]} and ${nicks[1]} are typing…`;
  return `${nicks.length} people are typing…`;
}

/** The room list to show: every listed room and every joined one, by name, the lobby first. */
export function roomListEntries(
  state: ChatState,
): { name: string; members: number; unread: number; joined: boolean; active: boolean }[] {
  const names = new Set([...state.rooms.keys(), ...state.joined.keys()]);
  return [...names]
    .sort((a, b) => (a === LOBBY ? -1 : b === LOBBY ? 1 : a.localeCompare(b)))
    .map((name) => ({
      name,
      // A joined room's presence list is live; the room list's count is as of its last change.
      members: state.joined.get(name)?.members.size ?? state.rooms.get(name)?.members ?? 0,
      unread: unreadCount(state, name),
      joined: state.joined.has(name),
      active: name === state.active,
    }));
}
