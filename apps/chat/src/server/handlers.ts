/**
 * The contract's events on one connection: every payload checked and copied before anything is
 * stored or sent on, every request answered exactly once through its acknowledgement, presence
 * changed only on a user's first and last connection in a room, typing that expires by itself.
 */

import { randomUUID } from 'node:crypto';
import { RealtimeError, TypingTracker, validateRoomName } from '@socketlab/websockets/realtime';
import type { Server, Socket } from 'socket.io';
import type {
  ChatClientEvents,
  ChatErrorCode,
  ChatMessage,
  ChatRefusal,
  ChatRoomSummary,
  ChatServerEvents,
  ChatUser,
} from '../contract.ts';
import type { ChatBackend, ChatFanout } from '../store/types.ts';
import { socketRoom } from '../store/types.ts';
import type { ChatSocketData } from './auth.ts';
import type { ChatAppLimits, ChatLimiter } from './limits.ts';
import { describeValue, optionalCount, payloadObject } from './validate.ts';

/** The events a client may send (the contract's `ChatClientEvents`). */
const CONTRACT_EVENTS: ReadonlySet<string> = new Set<keyof ChatClientEvents>([
  'rooms',
  'join',
  'leave',
  'send',
  'history',
  'typing',
]);

/** A character `String.prototype.trim` keeps: `\s` is exactly what it strips. */
const NOT_SPACE = /\S/;

/** The least time between two `rooms` broadcasts, in ms. */
export const ROOMS_BROADCAST_INTERVAL_MS = 250;

/** How long a typing indicator lasts without a refresh, in ms (the contract's 5 s). */
export const TYPING_EXPIRE_MS = 5000;
/**
 * How long a connection that dropped (a page reload, a network change) still counts as present in
 * its rooms, so a user who comes back within it is never shown leaving and returning. A client
 * that disconnects on purpose, and one the server cuts off, leaves at once.
 */
export const PRESENCE_GRACE_MS = 5000;

/** A refusal the chat answers with: a stable code and words for a person. */
export class ChatRefusalError extends Error {
  override name = 'ChatRefusalError';
  constructor(
    readonly code: ChatErrorCode,
    message: string,
  ) {
    super(message);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the server's socket data is ours, typed on read
export type ChatServer = Server<ChatClientEvents, ChatServerEvents, Record<string, never>, any>;
type ChatSocket = Socket<ChatClientEvents, ChatServerEvents, Record<string, never>, ChatSocketData>;
type Ack = (answer: unknown) => void;

/** What the handlers need from the app around them. */
export interface HandlerContext {
  readonly io: ChatServer;
  readonly backend: ChatBackend;
  readonly fanout: ChatFanout;
  readonly limits: ChatAppLimits;
  readonly limiter: ChatLimiter;
  /** True once the app is closing: requests are refused with `CHAT_ERR_SHUTDOWN`. */
  readonly closing: () => boolean;
  /** Told of an unexpected failure (a store that threw); the client got `CHAT_ERR_UNAVAILABLE`. */
  readonly onError: (error: unknown, context: string) => void;
  /** @default TYPING_EXPIRE_MS */
  readonly typingExpireMs?: number;
  /** @default PRESENCE_GRACE_MS */
  readonly presenceGraceMs?: number;
}

/** The chat on a server: `attach(socket)` on each connection; `settled()` waits for clean-ups. */
export interface ChatHandlers {
  attach(socket: Socket): void;
  /**
   * Ends every presence grace period at once, then resolves once every disconnected socket's
   * presence has been cleared from the store (for closing: call after the sockets are disconnected).
   */
  settled(): Promise<void>;
  /** Cancels the typing and room-list timers. */
  close(): void;
}

const refusalOf = (error: unknown): ChatRefusal | undefined => {
  if (error instanceof ChatRefusalError || error instanceof RealtimeError) {
    return { ok: false, error: { code: error.code, reason: error.message } };
  }
  return undefined;
};

/** Makes the handlers of one server. */
export function createChatHandlers(context: HandlerContext): ChatHandlers {
  const { backend, fanout, limits, limiter } = context;
  const { history, presence } = backend.stores;
  /** This instance's connections per user and room: for the rooms-per-user limit and typing. */
  const userRooms = new Map<string, Map<string, Set<string>>>();
  const users = new Map<string, { user: ChatUser; sockets: number }>();
  const cleanups = new Set<Promise<void>>();
  const typing = new TypingTracker({
    expireMs: context.typingExpireMs ?? TYPING_EXPIRE_MS,
    onChange: ({ room, userId, typing: isTyping }) => {
      const known = users.get(userId);
      if (known !== undefined)
        fanout.toRoom(room, 'typing', { room, user: known.user, typing: isTyping });
    },
  });

  const roomList = async (): Promise<ChatRoomSummary[]> => {
    const [occupied, stored] = await Promise.all([presence.occupied(), history.rooms()]);
    const names = [...new Set([...occupied.keys(), ...stored])].sort();
    return Promise.all(
      names.map(async (name) => ({
        name,
        members: occupied.get(name) ?? 0,
        lastSeq: await history.lastSeq(name),
      })),
    );
  };
  // The room list goes to everyone, so a client that creates and empties rooms in a loop could
  // make the server send it to every client on every step: sends are coalesced, one at most
  // every ROOMS_BROADCAST_INTERVAL_MS, each with the list as it is then.
  let roomsTimer: NodeJS.Timeout | undefined;
  let roomsSentAt = Number.NEGATIVE_INFINITY;
  const broadcastRooms = (): void => {
    if (roomsTimer !== undefined) return;
    const waitMs = Math.max(0, roomsSentAt + ROOMS_BROADCAST_INTERVAL_MS - Date.now());
    roomsTimer = setTimeout(() => {
      // A change from now on schedules the next send: this one may have read the list before it.
      roomsTimer = undefined;
      roomsSentAt = Date.now();
      roomList().then(
        (rooms) => {
          if (!context.closing()) fanout.toAll('rooms', rooms);
        },
        (error: unknown) => context.onError(error, 'the room list'),
      );
    }, waitMs);
    roomsTimer.unref();
  };

  /** Takes `socket` out of `room` on this instance: the rooms-per-user count, typing, its socket room. */
  const forget = (socket: ChatSocket, user: ChatUser, room: string): void => {
    const rooms = userRooms.get(user.id);
    const sockets = rooms?.get(room);
    sockets?.delete(socket.id);
    if (sockets?.size === 0) {
      rooms?.delete(room);
      typing.stop(room, user.id);
    }
    if (rooms?.size === 0) userRooms.delete(user.id);
    void socket.leave(socketRoom(room));
  };

  /** Takes connection `socketId` out of `room`'s presence in the store: `presence`, room list. */
  const release = async (socketId: string, user: ChatUser, room: string): Promise<void> => {
    const { changed } = await presence.leave(room, user, socketId);
    if (!changed) return;
    fanout.toRoom(room, 'presence', { room, user, present: false });
    if ((await presence.members(room)).length === 0) broadcastRooms();
  };

  /** Leaves `room` on behalf of `socket` (asked, or disconnected): presence, typing, room list. */
  const leaveRoom = async (socket: ChatSocket, user: ChatUser, room: string): Promise<void> => {
    forget(socket, user, room);
    await release(socket.id, user, room);
  };

  const presenceGraceMs = context.presenceGraceMs ?? PRESENCE_GRACE_MS;
  /** Dropped connections still present in their rooms, each with what ends its grace. */
  const graces = new Map<NodeJS.Timeout, () => void>();

  const memberOf = (socket: ChatSocket, room: string): string => {
    if (!socket.rooms.has(socketRoom(room))) {
      throw new RealtimeError(
        'REALTIME_ERR_NOT_MEMBER',
        `you are not in room ${JSON.stringify(room)}: join it first`,
      );
    }
    return room;
  };

  type Handler = (socket: ChatSocket, user: ChatUser, payload: unknown) => Promise<object>;
  const requests: Record<Exclude<keyof ChatClientEvents, 'typing' | 'rooms'>, Handler> & {
    rooms: Handler;
  } = {
    async rooms() {
      return { rooms: await roomList() };
    },

    async join(socket, user, payload) {
      const request = payloadObject('join', '{ room, after? }', payload);
      const room = validateRoomName(request.room);
      const after = optionalCount('join', 'after', request.after, 0);
      let rooms = userRooms.get(user.id);
      if (!socket.rooms.has(socketRoom(room))) {
        if (rooms !== undefined && !rooms.has(room) && rooms.size >= limits.maxRoomsPerUser) {
          throw new RealtimeError(
            'REALTIME_ERR_LIMIT',
            `you are in ${rooms.size} rooms, the most allowed: leave one first`,
          );
        }
        if (rooms === undefined) {
          rooms = new Map();
          userRooms.set(user.id, rooms);
        }
        rooms.set(room, (rooms.get(room) ?? new Set()).add(socket.id));
        await socket.join(socketRoom(room));
        let changed: boolean;
        let isNew: boolean;
        try {
          isNew = !(await presence.occupied()).has(room) && (await history.lastSeq(room)) === 0;
          // Gone while we waited: its clean-up has run, so joining now would leave a ghost.
          if (socket.disconnected) throw new ChatRefusalError('CHAT_ERR_SHUTDOWN', 'disconnected');
          ({ changed } = await presence.join(room, user, socket.id));
        } catch (error) {
          forget(socket, user, room);
          throw error;
        }
        if (changed) fanout.toRoom(room, 'presence', { room, user, present: true });
        if (isNew) broadcastRooms();
      }
      const [members, page] = await Promise.all([
        presence.members(room),
        history.read(room, {
          ...(after === undefined ? {} : { after }),
          limit: limits.historyPerRoom,
        }),
      ]);
      return { room, members, messages: page.messages, truncated: page.truncated };
    },

    async leave(socket, user, payload) {
      const request = payloadObject('leave', '{ room }', payload);
      const room = memberOf(socket, validateRoomName(request.room));
      await leaveRoom(socket, user, room);
      return { room };
    },

    async send(socket, user, payload) {
      const request = payloadObject('send', '{ room, text, kind? }', payload);
      const room = memberOf(socket, validateRoomName(request.room));
      const { text, kind = 'text' } = request;
      if (typeof text !== 'string' || !NOT_SPACE.test(text) || text.length > limits.maxTextLength) {
        throw new RealtimeError(
          text !== undefined && typeof text === 'string' && text.length > limits.maxTextLength
            ? 'REALTIME_ERR_LIMIT'
            : 'REALTIME_ERR_PAYLOAD',
          `a message's text is 1 to ${limits.maxTextLength} characters (not only spaces), got ${describeValue(text)}`,
        );
      }
      if (kind !== 'text' && kind !== 'action') {
        throw new RealtimeError(
          'REALTIME_ERR_PAYLOAD',
          `a message's kind is "text" or "action", got ${describeValue(kind)}`,
        );
      }
      const refused = limiter.takeMessage(socket);
      if (refused !== undefined) return refused;
      const stored: ChatMessage = await history.append({
        id: randomUUID(),
        room,
        from: user,
        kind,
        text,
        at: Date.now(),
      });
      // Sending ends typing; with no one typing anywhere there is nothing to look up.
      if (typing.size > 0) typing.stop(room, user.id);
      fanout.toRoom(room, 'message', stored);
      // The answer itself (with `ok`), so the wrapper passes it on without a copy.
      return { ok: true, id: stored.id, seq: stored.seq, at: stored.at };
    },

    async history(socket, _user, payload) {
      const request = payloadObject('history', '{ room, before?, limit? }', payload);
      const room = memberOf(socket, validateRoomName(request.room));
      const before = optionalCount('history', 'before', request.before, 1);
      const limit = optionalCount('history', 'limit', request.limit, 1) ?? limits.historyPerRoom;
      const page = await history.read(room, {
        ...(before === undefined ? {} : { before }),
        limit: Math.min(limit, limits.historyPerRoom),
      });
      return { room, messages: page.messages };
    },
  };

  const answer = (socket: ChatSocket, event: keyof typeof requests, handler: Handler) => {
    socket.on(event, (...args: unknown[]) => {
      const ack =
        args.length > 0 && typeof args[args.length - 1] === 'function'
          ? (args.pop() as Ack)
          : undefined;
      if (ack === undefined) {
        socket.emit('notice', {
          code: 'REALTIME_ERR_PAYLOAD',
          reason: `${event} is a request: send it with an acknowledgement (emitWithAck)`,
        });
        return;
      }
      const user = socket.data.user;
      if (context.closing() || user === undefined) {
        ack({
          ok: false,
          error: { code: 'CHAT_ERR_SHUTDOWN', reason: 'the server is shutting down' },
        });
        return;
      }
      // The payload is the first argument; `rooms` takes none (and ignores any).
      handler(socket, user, args[0]).then(
        (result) => ack('ok' in result ? result : { ok: true, ...result }),
        (error: unknown) => {
          const refusal = refusalOf(error);
          if (refusal !== undefined) return ack(refusal);
          context.onError(error, `${event} from ${socket.id}`);
          ack({
            ok: false,
            error: {
              code: 'CHAT_ERR_UNAVAILABLE',
              reason: 'the server could not do that right now: try again',
            },
          });
        },
      );
    });
  };

  const onTyping = (socket: ChatSocket, user: ChatUser, payload: unknown): void => {
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return;
    const { room, typing: isTyping } = payload as { room?: unknown; typing?: unknown };
    if (typeof room !== 'string' || !socket.rooms.has(socketRoom(room))) return;
    if (isTyping === true) typing.start(room, user.id);
    else if (isTyping === false) typing.stop(room, user.id);
  };

  return {
    attach(raw) {
      const socket = raw as ChatSocket;
      const user = socket.data.user;
      if (user === undefined) {
        socket.disconnect(true);
        return;
      }
      const known = users.get(user.id);
      users.set(user.id, { user: known?.user ?? user, sockets: (known?.sockets ?? 0) + 1 });
      // An event the contract does not name is answered too (when it asks for an answer), so a
      // client with a typo learns it at once instead of waiting for its acknowledgement's timeout.
      socket.use((packet, next) => {
        const [event] = packet;
        if (typeof event === 'string' && CONTRACT_EVENTS.has(event)) return next();
        const ack = packet.at(-1);
        if (packet.length > 1 && typeof ack === 'function') {
          (ack as Ack)({
            ok: false,
            error: {
              code: 'REALTIME_ERR_PAYLOAD',
              reason: `no such event: ${describeValue(event)} (see the contract)`,
            },
          });
        }
      });
      for (const event of Object.keys(requests) as (keyof typeof requests)[]) {
        answer(socket, event, requests[event]);
      }
      socket.on('typing', (payload: unknown) => {
        if (!context.closing()) onTyping(socket, user, payload);
      });
      socket.once('disconnect', (reason) => {
        // socket.rooms is already empty on 'disconnect' in socket.io 4: use our own record.
        const mine = [...(userRooms.get(user.id) ?? [])].flatMap(([room, sockets]) =>
          sockets.has(socket.id) ? [room] : [],
        );
        // This instance forgets the socket now (typing stops, the rooms-per-user count drops).
        for (const room of mine) forget(socket, user, room);
        const leave = (): void => {
          const cleanup = Promise.allSettled(mine.map((room) => release(socket.id, user, room)))
            .then((outcomes) => {
              for (const outcome of outcomes) {
                if (outcome.status === 'rejected') {
                  context.onError(outcome.reason, `clean-up of ${socket.id}`);
                }
              }
              const left = users.get(user.id);
              if (left !== undefined && --left.sockets === 0) users.delete(user.id);
            })
            .finally(() => cleanups.delete(cleanup));
          cleanups.add(cleanup);
        };
        // A connection that dropped keeps its presence a while: a reload or a reconnect within
        // it shows no leaving and returning. One closed on purpose (by the client or by us) leaves now.
        const deliberate =
          reason === 'client namespace disconnect' || reason === 'server namespace disconnect';
        if (deliberate || presenceGraceMs === 0 || mine.length === 0 || context.closing()) {
          leave();
          return;
        }
        const timer = setTimeout(() => {
          graces.delete(timer);
          leave();
        }, presenceGraceMs);
        timer.unref();
        graces.set(timer, leave);
      });
      socket.emit('welcome', { user, limits: { ...limits } });
    },
    async settled() {
      for (const [timer, leave] of graces) {
        clearTimeout(timer);
        leave();
      }
      graces.clear();
      for (let round = 0; round < 10 && cleanups.size > 0; round++) {
        await Promise.all(cleanups);
      }
    },
    close() {
      for (const timer of graces.keys()) clearTimeout(timer);
      graces.clear();
      typing.clear();
      clearTimeout(roomsTimer);
    },
  };
}
