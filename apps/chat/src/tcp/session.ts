/**
 * One `nc` user behind the gateway: its TCP connection (a stage 3 `ManagedConnection`, read with
 * stage 1's line decoder, held to a token bucket) and its own Socket.IO client of the chat server,
 * which speaks the event contract for it. Lines are handled one after another, each after the
 * server connection is ready, so nothing is sent into a gap; a dropped server connection is
 * reconnected and the room re-joined from the last `seq` shown, so the user misses nothing.
 */
import { type ManagedConnection, roomChatLines } from '@socketlab/multiplexing';
import { decodeChatLine } from '@socketlab/tcp-udp';
import { io, type Socket } from 'socket.io-client';
import type {
  ChatAnswer,
  ChatClientEvents,
  ChatErrorCode,
  ChatMessage,
  ChatRefusal,
  ChatRoomSummary,
  ChatServerEvents,
  ChatUser,
  Joined,
} from '../contract.ts';
import { type GatewayStep, planLine } from './commands.ts';
import { RoomFeed } from './feed.ts';
import { readLines } from './intake.ts';
import {
  diffMembers,
  gatewayLines,
  nicksOf,
  renderMessage,
  renderNotice,
  renderPresence,
  renderRefusal,
} from './lines.ts';
import type { TcpGatewayLimits } from './options.ts';

type ChatSocket = Socket<ChatServerEvents, ChatClientEvents>;

/** What the gateway keeps about one `nc` user: its connection manager metadata. */
export interface GatewayMember {
  /** Its nickname (`guestN` until `/nick`). */
  nick: string;
  /** The room it is in. */
  room: string;
}

/** What a session needs from its gateway. */
export interface SessionContext {
  readonly serverUrl: string;
  readonly issueToken: (nick: string) => Promise<string>;
  readonly limits: TcpGatewayLimits;
  /** Nicks of the gateway's other users. */
  otherNicks(member: ManagedConnection<GatewayMember>): string[];
}

/** How the room is (re-)entered once the Socket.IO client connects. */
type EntryMode = 'welcome' | 'resume' | 'rename';

/** A request the server did not answer in time, as a refusal. */
const ackTimeout = (ms: number): ChatRefusal => ({
  ok: false,
  error: {
    code: 'REALTIME_ERR_ACK_TIMEOUT',
    reason: `the chat server did not answer within ${ms} ms`,
  },
});

/** Refusals that may pass: the gateway tries again (bounded) rather than give the user up. */
const RETRYABLE: ReadonlySet<ChatErrorCode> = new Set<ChatErrorCode>([
  'REALTIME_ERR_ACK_TIMEOUT',
  'REALTIME_ERR_RATE_LIMITED',
  'CHAT_ERR_SHUTDOWN',
  'CHAT_ERR_UNAVAILABLE',
]);

/** A server disconnect this soon after a notice (other than a shutdown) is the notice's doing. */
const KICK_NOTICE_MS = 2000;

/** One `nc` user; {@link start} wires it to its connection. */
export class GatewaySession {
  readonly #member: ManagedConnection<GatewayMember>;
  readonly #context: SessionContext;
  readonly #limits: TcpGatewayLimits;
  readonly #feed = new RoomFeed();
  readonly #ownIds = new Set<string>();
  #socket: ChatSocket | undefined;
  #token = '';
  /** The room being joined: its live messages are held until the join's answer. */
  #joining: string | undefined;
  #members: ChatUser[] = [];
  #mode: EntryMode = 'welcome';
  #ready = false;
  #stopped = false;
  /** The `nc` side has closed: nothing more will be read. */
  #gone = false;
  #waiters: (() => void)[] = [];
  #chain: Promise<void> = Promise.resolve();
  #pending = 0;
  #attempts = 0;
  #refreshed = false;
  #lastNotice: { code: ChatErrorCode; reason: string; at: number } | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Resolves once the session has stopped and its Socket.IO client is closed. */
  readonly stopped: Promise<void>;
  #resolveStopped!: () => void;

  constructor(member: ManagedConnection<GatewayMember>, context: SessionContext) {
    this.#member = member;
    this.#context = context;
    this.#limits = context.limits;
    this.stopped = new Promise((resolve) => {
      this.#resolveStopped = resolve;
    });
  }

  /** Reads the user's lines and connects to the chat server as `member.metadata.nick`. */
  start(): void {
    readLines(
      this.#member,
      this.#limits,
      (line) => this.#onLine(line),
      () => {
        // The lines accepted before the close still go to the server (a flooder's first ones,
        // what came before `/quit`), unless the server is away: then they cannot, and are dropped.
        this.#gone = true;
        for (const wake of this.#waiters.splice(0)) wake();
        const watchdog = setTimeout(() => this.stop(), this.#limits.ackTimeoutMs);
        void this.#chain.then(() => {
          clearTimeout(watchdog);
          this.stop();
        });
      },
    );
    void this.#connect();
  }

  /** Stops reconnecting and closes the Socket.IO client (the `nc` side is closed by its owner). */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#socket?.disconnect();
    this.#socket = undefined;
    for (const wake of this.#waiters.splice(0)) wake();
    this.#resolveStopped();
  }

  /** The user's nick and the room's members' nicks, for the gateway's nick checks. */
  get nick(): string {
    return this.#member.metadata.nick;
  }

  #say(line: string): void {
    this.#member.send(Buffer.from(line));
  }

  /** Closes the Socket.IO client, and the `nc` connection after `line` (a final refusal). */
  #close(line: string): void {
    this.stop();
    this.#member.close(line.trimEnd());
  }

  #onLine(bytes: Uint8Array): void {
    const decoded = decodeChatLine(bytes);
    if (!decoded.ok) {
      this.#say(roomChatLines.error(decoded.reason));
      return;
    }
    if (this.#pending >= this.#limits.maxPendingLines) {
      this.#say(
        roomChatLines.error(
          `${this.#pending} lines are waiting for the chat server already; this one was dropped`,
        ),
      );
      return;
    }
    this.#pending++;
    this.#chain = this.#chain
      .then(async () => {
        await this.#whenReady();
        if (this.#stopped || !this.#ready) return;
        const { nick, room } = this.#member.metadata;
        const taken = [
          ...this.#context.otherNicks(this.#member),
          ...this.#members.filter((u) => !this.#ownIds.has(u.id)).map((u) => u.nick),
        ];
        await this.#run(
          planLine(decoded.text, { nick, room, members: this.#members, takenNicks: taken }),
        );
      })
      .catch((error: unknown) => {
        this.#say(roomChatLines.error(`the gateway failed: ${(error as Error).message}`));
      })
      .finally(() => {
        this.#pending--;
      });
  }

  #whenReady(): Promise<void> {
    if (this.#ready || this.#stopped || this.#gone) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #setReady(ready: boolean): void {
    this.#ready = ready;
    if (ready) for (const wake of this.#waiters.splice(0)) wake();
  }

  async #run(step: GatewayStep): Promise<void> {
    const { room } = this.#member.metadata;
    switch (step.kind) {
      case 'none':
        return;
      case 'say':
        this.#say(step.line);
        return;
      case 'quit':
        this.#member.close(roomChatLines.bye().trimEnd());
        return;
      case 'send': {
        const answer = await this.#ask<object>('send', {
          room,
          text: step.text,
          kind: step.messageKind,
        });
        if (!answer.ok) this.#say(renderRefusal(answer));
        return;
      }
      case 'move':
        await this.#move(step.from, step.to);
        return;
      case 'rename':
        await this.#rename(step.nick);
        return;
    }
  }

  /** Emits a request and awaits its acknowledgement, bounded by `ackTimeoutMs`. */
  async #ask<T extends object>(
    event: 'join' | 'leave' | 'send' | 'rooms',
    ...request: object[]
  ): Promise<ChatAnswer<T>> {
    const socket = this.#socket;
    const ms = this.#limits.ackTimeoutMs;
    if (socket === undefined) return ackTimeout(ms);
    try {
      // biome-ignore lint/suspicious/noExplicitAny: emitWithAck's typed overloads need a literal event name
      return await (socket.timeout(ms) as any).emitWithAck(event, ...request);
    } catch {
      return ackTimeout(ms);
    }
  }

  async #move(from: string, to: string): Promise<void> {
    this.#joining = to;
    this.#feed.beginJoin(to);
    const answer = await this.#ask<Joined>('join', { room: to });
    this.#joining = undefined;
    if (!answer.ok) {
      this.#feed.cancelJoin();
      this.#say(renderRefusal(answer));
      return;
    }
    await this.#ask('leave', { room: from });
    this.#member.metadata.room = to;
    this.#members = answer.members;
    this.#say(roomChatLines.youAreIn(to, nicksOf(answer.members)));
    this.#showJoined(to, answer, 'history');
  }

  /** Shows a join's messages (and those held meanwhile): after a header, or a resume line. */
  #showJoined(room: string, answer: Joined, header: 'history' | 'resumed' | 'none'): void {
    const shown = this.#feed.endJoin(answer.messages).filter((m) => this.#shows(m));
    if (header === 'resumed') this.#say(gatewayLines.resumed(room, shown.length));
    else if (header === 'history' && shown.length > 0) {
      this.#say(gatewayLines.history(room, shown.length));
    }
    if (answer.truncated && header !== 'history') this.#say(gatewayLines.truncated());
    for (const message of shown) this.#say(renderMessage(message));
  }

  /** Stage 3 does not echo a user's own messages to them (its actions it does). */
  #shows(message: ChatMessage): boolean {
    return message.kind === 'action' || !this.#ownIds.has(message.from.id);
  }

  async #rename(nick: string): Promise<void> {
    let token: string;
    try {
      token = await this.#context.issueToken(nick);
    } catch (error) {
      this.#say(roomChatLines.error((error as Error).message));
      return;
    }
    this.#socket?.disconnect();
    this.#member.metadata.nick = nick;
    this.#mode = 'rename';
    this.#open(token);
    await this.#whenReady();
  }

  async #connect(): Promise<void> {
    try {
      this.#open(await this.#context.issueToken(this.#member.metadata.nick));
    } catch (error) {
      this.#close(gatewayLines.refused('REALTIME_ERR_AUTH', (error as Error).message));
    }
  }

  /** A new Socket.IO client with `token`, wired to this session (the old one is ignored). */
  #open(token: string): void {
    if (this.#stopped) return;
    this.#token = token;
    this.#setReady(false);
    const socket: ChatSocket = io(this.#context.serverUrl, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      timeout: this.#limits.connectTimeoutMs,
      auth: (send) => send({ token: this.#token }),
    });
    this.#socket = socket;
    const mine = <A extends unknown[]>(handler: (...args: A) => void) => {
      return (...args: A): void => {
        if (socket === this.#socket && !this.#stopped) handler(...args);
      };
    };
    socket.on(
      'welcome',
      mine(({ user }) => {
        this.#ownIds.add(user.id);
        // Bounded: the ids of the last few nicks are enough to recognise echoes still on their way.
        if (this.#ownIds.size > 8)
          this.#ownIds.delete(this.#ownIds.values().next().value as string);
      }),
    );
    socket.on(
      'message',
      mine((message) => {
        if (message.room !== this.#member.metadata.room && message.room !== this.#joining) return;
        for (const shown of this.#feed.live(message)) {
          if (this.#shows(shown)) this.#say(renderMessage(shown));
        }
      }),
    );
    socket.on(
      'presence',
      mine((change) => {
        if (change.room !== this.#member.metadata.room || this.#ownIds.has(change.user.id)) return;
        this.#members = this.#members.filter((user) => user.id !== change.user.id);
        if (change.present) this.#members.push(change.user);
        this.#say(renderPresence(change));
      }),
    );
    socket.on(
      'notice',
      mine((notice) => {
        this.#lastNotice = { ...notice, at: performance.now() };
        this.#say(renderNotice(notice));
      }),
    );
    socket.on(
      'connect',
      mine(() => void this.#enter(socket)),
    );
    socket.on(
      'connect_error',
      mine((error) => this.#onConnectError(error)),
    );
    socket.on(
      'disconnect',
      mine((reason) => this.#onDisconnect(reason)),
    );
  }

  /** Joins the user's room on a new connection: the welcome, a resume, or after `/nick`. */
  async #enter(socket: ChatSocket): Promise<void> {
    this.#lastNotice = undefined;
    const mode = this.#mode;
    const room = this.#member.metadata.room;
    if (mode !== 'welcome') {
      // A room whose newest seq is below ours started over (a restarted server that kept its
      // history in memory): show what it has rather than ask for what comes after ours.
      const list = await this.#ask<{ rooms: ChatRoomSummary[] }>('rooms');
      // A room missing from the list has no history and nobody in it: its newest seq is 0.
      const serverLast = list.ok ? (list.rooms.find((r) => r.name === room)?.lastSeq ?? 0) : 0;
      if (list.ok && serverLast < this.#feed.last(room)) {
        this.#feed.reset(room);
        this.#say(gatewayLines.historyReset(room));
      }
    }
    const after = mode === 'welcome' ? undefined : this.#feed.last(room);
    this.#joining = room;
    this.#feed.beginJoin(room);
    const answer = await this.#ask<Joined>(
      'join',
      after === undefined ? { room } : { room, after },
    );
    this.#joining = undefined;
    if (socket !== this.#socket || this.#stopped) return;
    if (!answer.ok) {
      this.#feed.cancelJoin();
      const { code, reason } = answer.error;
      if (!RETRYABLE.has(code)) {
        this.#close(gatewayLines.refused(code, reason));
        return;
      }
      // Unanswered, or the server is busy or closing: drop this connection and try again.
      socket.disconnect();
      this.#say(gatewayLines.lost(reason));
      this.#reconnect(reason, false);
      return;
    }
    this.#attempts = 0;
    this.#refreshed = false;
    const before = this.#members;
    this.#members = answer.members;
    this.#mode = 'resume';
    if (mode === 'welcome') {
      this.#say(roomChatLines.welcome(this.nick, room, answer.members.length));
      this.#showJoined(room, answer, 'history');
    } else {
      const others = (users: ChatUser[]) => users.filter((u) => !this.#ownIds.has(u.id));
      const { joined, left } = diffMembers(others(before), others(answer.members));
      if (mode === 'rename') this.#say(roomChatLines.youAreNow(this.nick));
      else {
        for (const user of left) this.#say(renderPresence({ room, user, present: false }));
        for (const user of joined) this.#say(renderPresence({ room, user, present: true }));
      }
      this.#showJoined(room, answer, mode === 'resume' ? 'resumed' : 'none');
    }
    this.#setReady(true);
  }

  #onConnectError(error: Error & { data?: { code?: ChatErrorCode; reason?: string } }): void {
    const code = error.data?.code;
    if (code === 'REALTIME_ERR_AUTH' && !this.#refreshed) {
      // A restarted server may sign with another key: one new token, then a refusal is final.
      this.#refreshed = true;
      this.#reconnect(error.message, true);
    } else if (code !== undefined && !RETRYABLE.has(code)) {
      this.#close(gatewayLines.refused(code, error.data?.reason ?? error.message));
    } else {
      this.#reconnect(error.message, false);
    }
  }

  #onDisconnect(reason: string): void {
    if (reason === 'io client disconnect') return; // this session closed it (a /nick)
    this.#setReady(false);
    const notice = this.#lastNotice;
    if (
      reason === 'io server disconnect' &&
      notice !== undefined &&
      notice.code !== 'CHAT_ERR_SHUTDOWN' &&
      performance.now() - notice.at < KICK_NOTICE_MS
    ) {
      // The server put this user out right after saying why (a flood, a limit): final.
      this.#close(gatewayLines.refused(notice.code, notice.reason));
      return;
    }
    this.#say(gatewayLines.lost(reason));
    this.#reconnect(reason, false);
  }

  /** Tries again after a growing, jittered delay; gives up after `maxReconnectAttempts`. */
  #reconnect(why: string, newToken: boolean): void {
    const { maxReconnectAttempts, reconnectDelayMs, reconnectDelayMaxMs } = this.#limits;
    this.#attempts++;
    if (this.#attempts > maxReconnectAttempts) {
      this.#close(gatewayLines.unreachable(why));
      return;
    }
    const ceiling = Math.min(reconnectDelayMaxMs, reconnectDelayMs * 2 ** (this.#attempts - 1));
    const delay = ceiling / 2 + (Math.random() * ceiling) / 2;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(async () => {
      if (this.#stopped) return;
      if (newToken) {
        try {
          this.#token = await this.#context.issueToken(this.nick);
        } catch (error) {
          this.#close(gatewayLines.unreachable((error as Error).message));
          return;
        }
      }
      this.#socket?.connect();
    }, delay);
  }
}
