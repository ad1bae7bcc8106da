/**
 * The room chat: stage 2's line chat grown for many clients. Every client starts in `#lobby`;
 * `/join`, `/leave` and `/me` come on top of stage 2's `/nick`, `/who`, `/help` and `/quit`.
 * Underneath, the connection manager holds the connections (limits, idle timeout, graceful
 * shutdown that tells everyone), each room's lines go out through `broadcast` and each client's
 * outbound queue (the slow-consumer policy), and every client has a line limit and a token
 * bucket, so a flooder costs only itself.
 */
import type net from 'node:net';
import { createLineDecoder, type LineDecoder } from '@socketlab/basics';
import { checkInteger, checkNumber, TIMER_MAX_MS } from '@socketlab/internal';
import { checkChatNick, decodeChatLine } from '@socketlab/tcp-udp';
import { broadcast, type SlowConsumerPolicy } from '../broadcast/index.ts';
import {
  type ConnectionClock,
  type ConnectionCloseReason,
  type ConnectionManager,
  createConnectionManager,
  listenManagedTcp,
  type ManagedConnection,
  type ShutdownReport,
  systemClock,
} from '../connections/index.ts';
import { MultiplexingError } from '../errors.ts';
import { Bucket } from './flood.ts';
import { type ChatHeartbeat, watchChatHeartbeat } from './heartbeat.ts';
import { CHAT_LOBBY, checkChatRoom, parseRoomChatInput, roomChatLines } from './protocol.ts';

/** Options of {@link listenRoomChat}. */
export interface RoomChatOptions {
  /** Address to listen on. @default '127.0.0.1' */
  readonly host?: string;
  /** Port to listen on; 0 lets the kernel choose. @default 0 */
  readonly port?: number;
  /** Clients at once; the next one is told `MULTIPLEXING_ERR_LIMIT_EXCEEDED …` and closed. @default 1000 */
  readonly maxConnections?: number;
  /** Clients at once from one address. @default 256 */
  readonly maxConnectionsPerAddress?: number;
  /** Close a client that sent nothing for this long (it is told why); 0 = never. @default 0 */
  readonly idleTimeoutMs?: number;
  /** How long a graceful close (shutdown included) may take before the client is cut. @default 2000 */
  readonly closeTimeoutMs?: number;
  /** What the server may hold for one client that reads slowly, in bytes (the high-water mark). @default 1048576 */
  readonly maxBufferedBytes?: number;
  /** Past `maxBufferedBytes`: drop that client's oldest lines, or disconnect it. @default 'drop-oldest' */
  readonly slowConsumerPolicy?: SlowConsumerPolicy;
  /**
   * The longest line, in bytes, without its `\n` or `\r\n`. A longer one (or one that never
   * ends) gets its sender an error and a close as soon as it passes the limit. @default 1024
   */
  readonly maxLineBytes?: number;
  /** Lines per second one client may send, on average (its token bucket's rate). @default 10 */
  readonly maxMessagesPerSecond?: number;
  /** Lines one client may send back to back (its token bucket's size). @default 20 */
  readonly maxMessageBurst?: number;
  /**
   * Lines over the rate a client may send (each dropped; it is told at the first) before it is
   * disconnected with `MULTIPLEXING_ERR_LIMIT_EXCEEDED`. @default 20
   */
  readonly maxFloodLines?: number;
  /**
   * Sends a client that sent nothing for this long a ping line (`! ping: …`); one silent for
   * `maxMissedHeartbeats` intervals in a row is taken for gone (it vanished without FIN) and cut,
   * and its room is told it left `(heartbeat-missed)`. Any line answers (`/pong` does nothing
   * else). 0 = off, as people on `nc` cannot be expected to answer. @default 0
   */
  readonly heartbeatIntervalMs?: number;
  /** Silent heartbeat intervals in a row before a client is cut (1–1000). @default 2 */
  readonly maxMissedHeartbeats?: number;
  /** Time and timers (the token buckets and the manager's timers). @default systemClock */
  readonly clock?: ConnectionClock;
}

/** The defaults of {@link RoomChatOptions}. */
export const ROOM_CHAT_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 0,
  maxConnections: 1000,
  maxConnectionsPerAddress: 256,
  idleTimeoutMs: 0,
  closeTimeoutMs: 2000,
  maxBufferedBytes: 1024 * 1024,
  slowConsumerPolicy: 'drop-oldest' as SlowConsumerPolicy,
  maxLineBytes: 1024,
  maxMessagesPerSecond: 10,
  maxMessageBurst: 20,
  maxFloodLines: 20,
  heartbeatIntervalMs: 0,
  maxMissedHeartbeats: 2,
});

/** What the chat knows of one client: its metadata in the connection manager. */
export interface RoomChatMember {
  /** Its nickname (`guestN` until `/nick`). */
  nick: string;
  /** The room it is in (without `#`). */
  room: string;
}

/** A running room chat, as {@link listenRoomChat} returns it. */
export interface RoomChat {
  /** Where it listens. */
  readonly address: net.AddressInfo;
  /** The connection manager underneath (its connections, their buffered bytes, its events). */
  readonly manager: ConnectionManager<RoomChatMember>;
  /** Who is in which room now, in joining order. */
  rooms(): Record<string, string[]>;
  /**
   * Bytes of an unfinished line the server holds for `member`: never more than `maxLineBytes`
   * (past it the client is closed); 0 once it has left.
   */
  pendingLineBytes(member: ManagedConnection<RoomChatMember>): number;
  /** Stops accepting, tells every client the server is shutting down, drains, closes. */
  close(): Promise<ShutdownReport<RoomChatMember>>;
}

type Member = ManagedConnection<RoomChatMember>;

/**
 * What the chat keeps per client, all in the one object that is its metadata: its nick and room,
 * its token bucket, and the state of its input.
 */
class Inbox extends Bucket implements RoomChatMember {
  nick = '';
  room: string = CHAT_LOBBY;
  /** Made by the first bytes, let go whenever no unfinished line is left: most clients are idle. */
  lines: LineDecoder | undefined = undefined;
  floodLines = 0;
  warned = false;
  beat: ChatHeartbeat | undefined = undefined;
}

/**
 * Starts a room chat server and resolves once it listens. People join with `nc HOST PORT`.
 * @param options - where to listen and the limits ({@link RoomChatOptions}).
 * @throws {TypeError}/{RangeError} (synchronously) for a bad option.
 * @throws {ConnectionError} (rejection) `TCPUDP_ERR_CONNECTION` when it cannot listen.
 * @example
 * ```ts
 * const chat = await listenRoomChat({ port: 7000, maxMessagesPerSecond: 5 });
 * console.log(`join with: nc 127.0.0.1 ${chat.address.port}`);
 * process.once('SIGTERM', () => chat.close());
 * ```
 */
export function listenRoomChat(options: RoomChatOptions = {}): Promise<RoomChat> {
  const d = ROOM_CHAT_DEFAULTS;
  const maxLineBytes = checkInteger(
    'maxLineBytes',
    options.maxLineBytes ?? d.maxLineBytes,
    1,
    1 << 20,
  );
  const rate = checkNumber(
    'maxMessagesPerSecond',
    options.maxMessagesPerSecond ?? d.maxMessagesPerSecond,
    0.001,
    1_000_000,
  );
  const burst = checkInteger(
    'maxMessageBurst',
    options.maxMessageBurst ?? d.maxMessageBurst,
    1,
    1_000_000,
  );
  const maxFloodLines = checkInteger(
    'maxFloodLines',
    options.maxFloodLines ?? d.maxFloodLines,
    0,
    1_000_000,
  );
  const heartbeatMs = checkInteger(
    'heartbeatIntervalMs',
    options.heartbeatIntervalMs ?? d.heartbeatIntervalMs,
    0,
    TIMER_MAX_MS,
  );
  const maxMissed = checkInteger(
    'maxMissedHeartbeats',
    options.maxMissedHeartbeats ?? d.maxMissedHeartbeats,
    1,
    1_000,
  );
  const clock = options.clock ?? systemClock;
  const manager = createConnectionManager<RoomChatMember>({
    maxConnections: options.maxConnections ?? d.maxConnections,
    maxConnectionsPerAddress: options.maxConnectionsPerAddress ?? d.maxConnectionsPerAddress,
    idleTimeoutMs: options.idleTimeoutMs ?? d.idleTimeoutMs,
    closeTimeoutMs: options.closeTimeoutMs ?? d.closeTimeoutMs,
    maxBufferedBytes: options.maxBufferedBytes ?? d.maxBufferedBytes,
    slowConsumerPolicy: options.slowConsumerPolicy ?? d.slowConsumerPolicy,
    heartbeatIntervalMs: 0, // a raw line stream has no ping frame: the chat beats itself
    // Its metadata is its inbox too: no map from member to inbox (about 46 bytes each).
    createMetadata: () => new Inbox(rate, burst, clock.now()),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const rooms = new Map<string, Set<Member>>();
  /** A member's inbox (its metadata, unless someone replaced it). */
  const inboxOf = (member: Member): Inbox | undefined =>
    member.metadata instanceof Inbox ? member.metadata : undefined;
  let guests = 0;
  /** Every member's nick, lowercased (nicks are unique without regard to case): O(1) checks. */
  const nickOwners = new Map<string, Member>();

  const say = (member: Member, text: string): void => {
    if (member.send(Buffer.from(text)) === 'overflow') exit(member, 'slow-consumer');
  };
  const tellRoom = (room: string, text: string, except?: Member): void => {
    const members = rooms.get(room);
    if (members === undefined) return;
    const { overflow } = broadcast(members, Buffer.from(text), { except });
    // The 'disconnect' policy closed a slow reader: it leaves the room now, not when its
    // close (bounded by closeTimeoutMs) completes.
    if (overflow > 0) {
      for (const member of members) if (member.state !== 'open') exit(member, 'slow-consumer');
    }
  };
  const nicksIn = (room: string): string[] =>
    [...(rooms.get(room) ?? [])].map((m) => m.metadata.nick);
  const enter = (member: Member, room: string): void => {
    let members = rooms.get(room);
    if (members === undefined) {
      members = new Set();
      rooms.set(room, members);
    }
    members.add(member);
    member.metadata.room = room;
    tellRoom(room, roomChatLines.joined(member.metadata.nick, room), member);
  };
  const exit = (member: Member, why?: string): void => {
    const { room } = member.metadata;
    const members = rooms.get(room);
    if (members === undefined || !members.delete(member)) return;
    if (members.size === 0 && room !== CHAT_LOBBY) rooms.delete(room);
    tellRoom(room, roomChatLines.left(member.metadata.nick, room, why));
  };
  const move = (member: Member, room: string): void => {
    if (member.metadata.room === room) {
      say(member, roomChatLines.error(`you are already in #${room}`));
      return;
    }
    exit(member, `to #${room}`);
    enter(member, room);
    say(member, roomChatLines.youAreIn(room, nicksIn(room)));
  };
  const uniqueGuestNick = (): string => {
    // Bounded: each taken guestN was taken by one of the members, so at most that many are skipped.
    for (;;) {
      guests++;
      const nick = `guest${guests}`;
      if (!nickOwners.has(nick)) return nick;
    }
  };

  const handleLine = (member: Member, line: Uint8Array): void => {
    const decoded = decodeChatLine(line);
    if (!decoded.ok) {
      say(member, roomChatLines.error(decoded.reason));
      return;
    }
    const text = decoded.text;
    const { nick, room } = member.metadata;
    const input = parseRoomChatInput(text);
    switch (input.kind) {
      case 'empty':
      case 'pong':
        return;
      case 'message':
        tellRoom(room, roomChatLines.message(nick, input.text), member);
        return;
      case 'me':
        if (input.text === '') say(member, roomChatLines.error('/me needs some text: /me waves'));
        else tellRoom(room, roomChatLines.action(nick, input.text));
        return;
      case 'join': {
        const problem = checkChatRoom(input.room);
        if (problem === undefined) move(member, input.room);
        else say(member, roomChatLines.error(problem));
        return;
      }
      case 'leave':
        if (room === CHAT_LOBBY) say(member, roomChatLines.error('you are in #lobby already'));
        else move(member, CHAT_LOBBY);
        return;
      case 'who':
        say(member, roomChatLines.who(room, nicksIn(room)));
        return;
      case 'help':
        say(member, roomChatLines.help());
        return;
      case 'quit':
        exit(member);
        member.close(roomChatLines.bye().trimEnd());
        return;
      case 'unknown-command':
        say(member, roomChatLines.error(`unknown command ${input.command}: type /help`));
        return;
      case 'nick': {
        const owner = nickOwners.get(input.name.toLowerCase());
        const problem = checkChatNick(
          input.name,
          owner && owner !== member ? [owner.metadata.nick] : [],
        );
        if (problem !== undefined) {
          say(member, roomChatLines.error(problem));
          return;
        }
        nickOwners.delete(nick.toLowerCase());
        nickOwners.set(input.name.toLowerCase(), member);
        member.metadata.nick = input.name;
        say(member, roomChatLines.youAreNow(input.name));
        if (nick !== input.name) tellRoom(room, roomChatLines.renamed(nick, input.name), member);
        return;
      }
    }
  };

  /** Counts the line against the client's bucket; false when it is over the rate. */
  const withinRate = (member: Member, inbox: Inbox): boolean => {
    if (inbox.take(clock.now())) {
      inbox.warned = false;
      return true;
    }
    inbox.floodLines++;
    if (inbox.floodLines > maxFloodLines) {
      exit(member, 'flooding');
      member.close(roomChatLines.flooded(maxFloodLines, rate).trimEnd());
    } else if (!inbox.warned) {
      inbox.warned = true;
      say(member, roomChatLines.tooFast(rate, burst, maxFloodLines - inbox.floodLines + 1));
    }
    return false;
  };

  const onData = (member: Member, inbox: Inbox, chunk: Buffer): void => {
    inbox.lines ??= createLineDecoder({ maxLineBytes });
    const { lines } = inbox;
    for (const line of lines.push(chunk)) {
      if (member.state !== 'open') return;
      if (withinRate(member, inbox)) handleLine(member, line);
    }
    if (lines.overflow) {
      if (member.state !== 'open') return;
      exit(member, 'line too long');
      member.close(roomChatLines.lineTooLong(maxLineBytes).trimEnd());
    } else if (lines.bufferedBytes === 0 && inbox.lines === lines) {
      inbox.lines = undefined;
    }
  };

  // The manager's events, one listener each for every member: no listener table per client.
  const onMessage = (member: Member, chunk: Buffer): void => {
    const inbox = inboxOf(member);
    if (inbox === undefined) return;
    inbox.beat?.heard();
    if (member.state === 'open') onData(member, inbox, chunk);
  };
  const onClose = (
    member: Member,
    reason: ConnectionCloseReason,
    error: Error | undefined,
  ): void => {
    const inbox = inboxOf(member);
    if (inbox === undefined) return;
    inbox.beat?.stop();
    inbox.beat = undefined;
    // The peer ended its stream (`nc -N` at the end of its input): its last line needs no
    // newline, as in stage 2. Not after a reset, an overflow or a flood close.
    const last = inbox.lines?.end();
    inbox.lines = undefined;
    if (
      reason === 'peer' &&
      error === undefined &&
      last !== undefined &&
      last.length > 0 &&
      withinRate(member, inbox)
    ) {
      handleLine(member, last);
    }
    exit(member, reason === 'peer' || reason === 'closed' ? undefined : reason);
    nickOwners.delete(inbox.nick.toLowerCase());
  };

  manager.on('connection', (member) => {
    const inbox = inboxOf(member);
    if (inbox === undefined) return;
    if (heartbeatMs > 0) {
      inbox.beat = watchChatHeartbeat(clock, heartbeatMs, maxMissed, {
        ping: () => say(member, roomChatLines.ping(heartbeatMs)),
        gone: (missed) => {
          if (member.state !== 'open') return;
          exit(member, 'heartbeat-missed');
          // Nothing to tell: it is gone. The manager's 'close' says why, as for its own beats.
          member.destroy(
            'heartbeat-missed',
            new MultiplexingError(
              'MULTIPLEXING_ERR_HEARTBEAT_MISSED',
              `${member.peerName} sent nothing for ${missed} heartbeats (every ${heartbeatMs} ms): it is gone; the connection was cut`,
            ),
          );
        },
      });
    }
    member.metadata.nick = uniqueGuestNick();
    nickOwners.set(member.metadata.nick, member);
    enter(member, CHAT_LOBBY);
    say(
      member,
      roomChatLines.welcome(member.metadata.nick, CHAT_LOBBY, nicksIn(CHAT_LOBBY).length),
    );
  });
  manager.on('message', onMessage);
  manager.on('close', onClose);

  return listenManagedTcp({
    manager,
    host: options.host ?? d.host,
    port: options.port ?? d.port,
  }).then(({ address }) => ({
    address,
    manager,
    rooms: () => Object.fromEntries([...rooms.keys()].map((room) => [room, nicksIn(room)])),
    pendingLineBytes: (member) => inboxOf(member)?.lines?.bufferedBytes ?? 0,
    close: () => manager.shutdown({ notice: roomChatLines.shutdown().trimEnd() }),
  }));
}
