/**
 * One `nc` user behind the gateway: its TCP connection (a stage 3 `ManagedConnection`, read with
 * stage 1's line decoder, held to a token bucket) and its own Socket.IO client of the chat server,
 * which speaks the event contract for it. Lines are handled one after another, each after the
 * server connection is ready, so nothing is sent into a gap; a dropped server connection is
 * reconnected and the room re-joined from the last `seq` shown, so the user misses nothing.
 */
import { type ManagedConnection, roomChatLines } from '@socketlab/multiplexing';
import { decodeChatLine } from '@socketlab/tcp-udp';
import type { ChatMessage, ChatRoomSummary, ChatUser, Joined } from '../contract.ts';
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
import { type ChatSocket, RETRYABLE, ServerLink } from './link.ts';
import type { TcpGatewayLimits } from './options.ts';

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

/** One `nc` user; {@link start} wires it to its connection. */
export class GatewaySession {
  readonly #member: ManagedConnection<GatewayMember>;
  readonly #context: SessionContext;
  readonly #limits: TcpGatewayLimits;
  readonly #feed = new RoomFeed();
  readonly #ownIds = new Set<string>();
  readonly #link: ServerLink;
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
  /** Resolves once the session has stopped and its Socket.IO client is closed. */
  readonly stopped: Promise<void>;
  #resolveStopped!: () => void;

  constructor(member: ManagedConnection<GatewayMember>, context: SessionContext) {
    this.#member = member;
    this.#context = context;
    this.#limits = context.limits;
    this.#link = new ServerLink(
      {
        serverUrl: context.serverUrl,
        limits: context.limits,
        issueToken: () => context.issueToken(member.metadata.nick),
      },
      {
        connected: (socket) => void this.#enter(socket),
        welcome: (user) => {
          this.#ownIds.add(user.id);
          // Bounded: the ids of the last few nicks recognise the echoes still on their way.
          if (this.#ownIds.size > 8)
            this.#ownIds.delete(this.#ownIds.values().next().value as string);
        },
        message: (message) => this.#onMessage(message),
        presence: (change) => {
          if (change.room !== member.metadata.room || this.#ownIds.has(change.user.id)) return;
          this.#members = this.#members.filter((user) => user.id !== change.user.id);
          if (change.present) this.#members.push(change.user);
          this.#say(renderPresence(change));
        },
        notice: (notice) => this.#say(renderNotice(notice)),
        lost: (reason) => {
          this.#setReady(false);
          this.#say(gatewayLines.lost(reason));
        },
        gaveUp: (line) => this.#close(line),
      },
    );
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
    this.#link.stop();
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
        const answer = await this.#link.ask<object>('send', {
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

  async #move(from: string, to: string): Promise<void> {
    this.#joining = to;
    this.#feed.beginJoin(to);
    const answer = await this.#link.ask<Joined>('join', { room: to });
    this.#joining = undefined;
    if (!answer.ok) {
      this.#feed.cancelJoin();
      this.#say(renderRefusal(answer));
      return;
    }
    await this.#link.ask('leave', { room: from });
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
    this.#member.metadata.nick = nick;
    this.#mode = 'rename';
    this.#setReady(false);
    this.#link.open(token);
    await this.#whenReady();
  }

  async #connect(): Promise<void> {
    try {
      this.#link.open(await this.#context.issueToken(this.#member.metadata.nick));
    } catch (error) {
      this.#close(gatewayLines.refused('REALTIME_ERR_AUTH', (error as Error).message));
    }
  }

  #onMessage(message: ChatMessage): void {
    if (message.room !== this.#member.metadata.room && message.room !== this.#joining) return;
    for (const shown of this.#feed.live(message)) {
      if (this.#shows(shown)) this.#say(renderMessage(shown));
    }
  }

  /** Joins the user's room on a new connection: the welcome, a resume, or after `/nick`. */
  async #enter(socket: ChatSocket): Promise<void> {
    const mode = this.#mode;
    const room = this.#member.metadata.room;
    if (mode !== 'welcome') {
      // A room whose newest seq is below ours started over (a restarted server that kept its
      // history in memory): show what it has rather than ask for what comes after ours.
      const list = await this.#link.ask<{ rooms: ChatRoomSummary[] }>('rooms');
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
    const answer = await this.#link.ask<Joined>(
      'join',
      after === undefined ? { room } : { room, after },
    );
    this.#joining = undefined;
    if (!this.#link.isCurrent(socket) || this.#stopped) return;
    if (!answer.ok) {
      this.#feed.cancelJoin();
      const { code, reason } = answer.error;
      // Unanswered, or the server busy or closing: try again; anything else is final.
      if (RETRYABLE.has(code)) this.#link.retry(socket, reason);
      else this.#close(gatewayLines.refused(code, reason));
      return;
    }
    this.#link.joined();
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
}
