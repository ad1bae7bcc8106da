/**
 * The chat's edge: rooms, presence, typing and history on a Socket.IO namespace. Every client
 * payload is checked and copied before anything is stored or emitted; every refusal is an
 * acknowledgement with a stable code; one client's bad input never reaches another client.
 */

import { randomUUID } from 'node:crypto';
import { type ConnectionClock, systemClock } from '@socketlab/multiplexing';
import type { Namespace, Server, Socket } from 'socket.io';
import { RealtimeError } from '../errors.ts';
import type { ChatAckError, ChatServerToClientEvents } from './events.ts';
import { ChatHistory, type ChatMessage } from './history.ts';
import { type PresenceChange, PresenceTracker } from './presence.ts';
import { type TypingChange, TypingTracker } from './typing.ts';
import { CHAT_LIMITS, describeValue, validateChatMessage, validateRoomName } from './validate.ts';

/** Options of {@link attachChat}; every limit has a default. */
export interface ChatOptions {
  /**
   * The user a socket belongs to (presence is per user). Return `undefined` to refuse the
   * socket's requests. @default `socket.data.userId` when it is a non-empty string, else `socket.id`
   */
  userIdOf?: (socket: Socket) => string | undefined;
  /** The prefix of the Socket.IO rooms the chat's rooms map to. @default 'chat:' */
  roomPrefix?: string;
  /** The most rooms one socket may be in at once (`REALTIME_ERR_LIMIT` past it). @default 10 */
  maxRoomsPerSocket?: number;
  /** @default 32 */
  maxRoomNameLength?: number;
  /** @default 2000 */
  maxTextLength?: number;
  /** Messages kept per room, sent on join and the most a `history` request may ask for. @default 50 */
  historyPerRoom?: number;
  /** Rooms whose history is kept (the least recently written is forgotten first). @default 1000 */
  maxHistoryRooms?: number;
  /** How long a user stays present after their last socket disconnects, in ms. @default 5000 */
  presenceGraceMs?: number;
  /** How long a typing indicator lasts without a refresh, in ms. @default 5000 */
  typingExpireMs?: number;
  /** The least time between two accepted typing starts of a user in a room, in ms. @default 1000 */
  typingThrottleMs?: number;
  /** Whether the sender's own socket also gets its message as a `message` event. @default false */
  echoToSender?: boolean;
  /** Timers for presence and typing. @default systemClock */
  clock?: ConnectionClock;
  /** The time stamped on messages, in ms since the epoch. @default Date.now */
  now?: () => number;
  /** The id given to each message. @default crypto.randomUUID */
  newId?: () => string;
  /** Told of an unexpected error in a handler (the client got a refusal; nothing crashed). */
  onError?: (error: unknown, socket: Socket) => void;
}

/** What {@link attachChat} returns: the state it keeps, and a way to detach. */
export interface ChatHandle {
  readonly presence: PresenceTracker;
  readonly typing: TypingTracker;
  readonly history: ChatHistory;
  /** Stops handling: removes every listener it added and cancels its timers. */
  close(): void;
}

// biome-ignore lint/suspicious/noExplicitAny: any server or namespace, whatever its event maps
type AnyNamespace = Namespace<any, any, any, any>;
// biome-ignore lint/suspicious/noExplicitAny: any server or namespace, whatever its event maps
type AnyServer = Server<any, any, any, any>;

const refusal = (error: RealtimeError): ChatAckError => ({
  ok: false,
  error: { code: error.code, reason: error.message },
});

function checkCount(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}

/**
 * Attaches the chat to a Socket.IO server (its main namespace) or to one namespace: each client
 * may `join`, `leave`, send a `message`, say it is `typing`, and ask for `history`, with the
 * events of {@link ChatClientToServerEvents} (answered through acknowledgements) and gets
 * {@link ChatServerToClientEvents}.
 * @throws {RangeError} for an option that is not a valid count or duration.
 * @example
 * const io = new Server(httpServer);
 * io.use((socket, next) => { socket.data.userId = verified(socket.handshake.auth); next(); });
 * const chat = attachChat(io, { historyPerRoom: 100 });
 * // client: socket.emit('join', 'general', (answer) => answer.ok && render(answer.history));
 */
export function attachChat(
  target: AnyServer | AnyNamespace,
  options: ChatOptions = {},
): ChatHandle {
  const nsp = ('of' in target ? target.of('/') : target) as Namespace;
  const {
    userIdOf = (socket: Socket) => {
      const id: unknown = socket.data?.userId;
      return typeof id === 'string' && id.length > 0 ? id : socket.id;
    },
    roomPrefix = 'chat:',
    maxRoomsPerSocket = 10,
    maxRoomNameLength = CHAT_LIMITS.maxRoomNameLength,
    maxTextLength = CHAT_LIMITS.maxTextLength,
    historyPerRoom = 50,
    maxHistoryRooms = 1000,
    presenceGraceMs = 5000,
    typingExpireMs = 5000,
    typingThrottleMs = 1000,
    echoToSender = false,
    clock = systemClock,
    now = Date.now,
    newId = randomUUID,
    onError = () => {},
  } = options;
  checkCount('maxRoomsPerSocket', maxRoomsPerSocket, 1);
  checkCount('maxRoomNameLength', maxRoomNameLength, 1);
  checkCount('maxTextLength', maxTextLength, 1);
  const ioRoom = (room: string): string => `${roomPrefix}${room}`;
  const emitter = nsp as unknown as Namespace<Record<string, never>, ChatServerToClientEvents>;

  const presence = new PresenceTracker({
    graceMs: presenceGraceMs,
    clock,
    onChange: (change: PresenceChange) => {
      emitter.to(ioRoom(change.room)).emit('presence', { ...change });
    },
  });
  const typing = new TypingTracker({
    expireMs: typingExpireMs,
    throttleMs: typingThrottleMs,
    clock,
    onChange: (change: TypingChange) => {
      emitter.to(ioRoom(change.room)).emit('typing', { ...change });
    },
  });
  const history = new ChatHistory({ perRoom: historyPerRoom, maxRooms: maxHistoryRooms });

  const userOf = (socket: Socket): string => {
    const userId = userIdOf(socket);
    if (typeof userId !== 'string' || userId.length === 0) {
      throw new RealtimeError('REALTIME_ERR_AUTH', 'this connection has no user: sign in first');
    }
    return userId;
  };
  const memberRoom = (socket: Socket, room: string): string => {
    if (!socket.rooms.has(ioRoom(room))) {
      throw new RealtimeError(
        'REALTIME_ERR_NOT_MEMBER',
        `not a member of room ${JSON.stringify(room)}: join it first`,
      );
    }
    return room;
  };

  type Handler = (socket: Socket, payload: unknown) => unknown;
  const handlers: Record<string, Handler> = {
    join(socket, payload) {
      const userId = userOf(socket);
      const room = validateRoomName(payload, maxRoomNameLength);
      if (!socket.rooms.has(ioRoom(room))) {
        const joined = presence.roomsOf(socket.id).length;
        if (joined >= maxRoomsPerSocket) {
          throw new RealtimeError(
            'REALTIME_ERR_LIMIT',
            `a connection may be in at most ${maxRoomsPerSocket} rooms: leave one first`,
          );
        }
        presence.join(room, userId, socket.id); // first: it throws if the socket changed user
        socket.join(ioRoom(room));
      }
      return { room, members: presence.members(room), history: history.recent(room) };
    },
    leave(socket, payload) {
      const userId = userOf(socket);
      const room = memberRoom(socket, validateRoomName(payload, maxRoomNameLength));
      socket.leave(ioRoom(room));
      presence.leave(room, socket.id);
      if (!presence.isConnected(room, userId)) typing.stop(room, userId);
      return { room };
    },
    message(socket, payload) {
      const userId = userOf(socket);
      const input = validateChatMessage(payload, { maxRoomNameLength, maxTextLength });
      memberRoom(socket, input.room);
      const message: ChatMessage = history.append({
        id: newId(),
        room: input.room,
        userId,
        text: input.text,
        at: now(),
      });
      typing.stop(input.room, userId);
      (echoToSender ? emitter.to(ioRoom(input.room)) : socket.to(ioRoom(input.room))).emit(
        'message',
        { ...message },
      );
      return { id: message.id, seq: message.seq, at: message.at };
    },
    typing(socket, payload) {
      const userId = userOf(socket);
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
        throw new RealtimeError(
          'REALTIME_ERR_PAYLOAD',
          `typing takes { room, typing: boolean }, got ${describeValue(payload)}`,
        );
      }
      const { room: rawRoom, typing: isTyping } = payload as { room?: unknown; typing?: unknown };
      const room = memberRoom(socket, validateRoomName(rawRoom, maxRoomNameLength));
      if (typeof isTyping !== 'boolean') {
        throw new RealtimeError(
          'REALTIME_ERR_PAYLOAD',
          `typing's "typing" is true or false, got ${describeValue(isTyping)}`,
        );
      }
      if (isTyping) return { room, result: typing.start(room, userId) };
      typing.stop(room, userId);
      return { room, result: 'stopped' };
    },
    history(socket, payload) {
      userOf(socket);
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
        throw new RealtimeError(
          'REALTIME_ERR_PAYLOAD',
          `history takes { room, before?, limit? }, got ${describeValue(payload)}`,
        );
      }
      const { room: rawRoom, before, limit } = payload as Record<string, unknown>;
      const room = memberRoom(socket, validateRoomName(rawRoom, maxRoomNameLength));
      for (const [name, value] of [
        ['before', before],
        ['limit', limit],
      ] as const) {
        if (value !== undefined && (!Number.isSafeInteger(value) || (value as number) < 1)) {
          throw new RealtimeError(
            'REALTIME_ERR_PAYLOAD',
            `history's ${name} is an integer >= 1, got ${describeValue(value)}`,
          );
        }
      }
      if (limit !== undefined && (limit as number) > historyPerRoom) {
        throw new RealtimeError(
          'REALTIME_ERR_LIMIT',
          `history returns at most ${historyPerRoom} messages a request, asked for ${limit}`,
        );
      }
      const messages = history.recent(room, {
        limit: limit as number | undefined,
        before: before as number | undefined,
      });
      return { room, messages };
    },
  };

  const attached = new Map<Socket, { event: string; listener: (...args: unknown[]) => void }[]>();

  const onConnection = (socket: Socket): void => {
    const listeners: { event: string; listener: (...args: unknown[]) => void }[] = [];
    for (const [event, handler] of Object.entries(handlers)) {
      const listener = (...args: unknown[]): void => {
        const ack = typeof args.at(-1) === 'function' ? (args.pop() as (a: unknown) => void) : null;
        let answer: unknown;
        try {
          answer = { ok: true, ...(handler(socket, args[0]) as object) };
        } catch (error) {
          if (error instanceof RealtimeError) answer = refusal(error);
          else {
            onError(error, socket);
            answer = refusal(
              new RealtimeError('REALTIME_ERR_PAYLOAD', `${event} failed on the server`),
            );
          }
        }
        ack?.(answer);
      };
      socket.on(event, listener);
      listeners.push({ event, listener });
    }
    const onDisconnect = (): void => {
      attached.delete(socket);
      const rooms = presence.roomsOf(socket.id);
      let userId: string | undefined;
      try {
        userId = userIdOf(socket);
      } catch (error) {
        onError(error, socket);
      }
      presence.disconnect(socket.id);
      for (const room of rooms) {
        if (userId !== undefined && !presence.isConnected(room, userId)) typing.stop(room, userId);
      }
    };
    socket.on('disconnect', onDisconnect);
    listeners.push({ event: 'disconnect', listener: onDisconnect });
    attached.set(socket, listeners);
  };

  nsp.on('connection', onConnection);
  return {
    presence,
    typing,
    history,
    close() {
      nsp.off('connection', onConnection);
      for (const [socket, listeners] of attached) {
        for (const { event, listener } of listeners) socket.off(event, listener);
      }
      attached.clear();
      presence.clear();
      typing.clear();
    },
  };
}
