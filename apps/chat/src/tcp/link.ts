/**
 * One `nc` user's link to the chat server: a Socket.IO client (WebSocket only, a token in `auth`)
 * that is reconnected after a drop with stage 3's backoff (full jitter), with a new token when the
 * old one is refused once (a restarted server signing with another key), and given up — with the
 * reason, for the user — when the server refuses for good or stays unreachable.
 */
import { fullJitterDelayMs } from '@socketlab/multiplexing';
import { io, type Socket } from 'socket.io-client';
import type {
  ChatAnswer,
  ChatClientEvents,
  ChatErrorCode,
  ChatRefusal,
  ChatServerEvents,
  ChatUser,
} from '../contract.ts';
import { gatewayLines } from './lines.ts';
import type { TcpGatewayLimits } from './options.ts';

export type ChatSocket = Socket<ChatServerEvents, ChatClientEvents>;

/** Refusals that may pass: the link tries again (bounded) rather than give the user up. */
export const RETRYABLE: ReadonlySet<ChatErrorCode> = new Set<ChatErrorCode>([
  'REALTIME_ERR_ACK_TIMEOUT',
  'REALTIME_ERR_RATE_LIMITED',
  'CHAT_ERR_SHUTDOWN',
  'CHAT_ERR_UNAVAILABLE',
]);

/** A server disconnect this soon after a notice (other than a shutdown) is the notice's doing. */
const KICK_NOTICE_MS = 2000;

/** What the link tells its session. */
export interface LinkHandler extends Pick<ChatServerEvents, 'message' | 'presence' | 'notice'> {
  /** Connected (first time or again): join the room. */
  connected(socket: ChatSocket): void;
  welcome(user: ChatUser): void;
  /** Dropped; the link is reconnecting. */
  lost(reason: string): void;
  /** Given up: `line` says why; the session closes the user. */
  gaveUp(line: string): void;
}

/** Drives one Socket.IO client for one user; see the file's comment. */
export class ServerLink {
  readonly #serverUrl: string;
  readonly #limits: TcpGatewayLimits;
  readonly #issueToken: () => Promise<string>;
  readonly #handler: LinkHandler;
  #socket: ChatSocket | undefined;
  #token = '';
  #attempts = 0;
  #refreshed = false;
  #stopped = false;
  #lastNotice: { code: ChatErrorCode; reason: string; at: number } | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    options: {
      serverUrl: string;
      limits: TcpGatewayLimits;
      /** A token for the user's nick now. */
      issueToken: () => Promise<string>;
    },
    handler: LinkHandler,
  ) {
    this.#serverUrl = options.serverUrl;
    this.#limits = options.limits;
    this.#issueToken = options.issueToken;
    this.#handler = handler;
  }

  /**
   * Opens a new Socket.IO client with `token` (a `/nick`: the old one is closed and its events
   * ignored from now on).
   */
  open(token: string): void {
    if (this.#stopped) return;
    this.#socket?.disconnect();
    this.#token = token;
    const socket: ChatSocket = io(this.#serverUrl, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      timeout: this.#limits.connectTimeoutMs,
      auth: (send) => send({ token: this.#token }),
    });
    this.#socket = socket;
    const h = this.#handler;
    const mine = <A extends unknown[]>(handler: (...args: A) => void) => {
      return (...args: A): void => {
        if (socket === this.#socket && !this.#stopped) handler(...args);
      };
    };
    socket.on(
      'welcome',
      mine(({ user }) => h.welcome(user)),
    );
    socket.on(
      'message',
      mine((message) => h.message(message)),
    );
    socket.on(
      'presence',
      mine((change) => h.presence(change)),
    );
    socket.on(
      'notice',
      mine((notice) => {
        this.#lastNotice = { ...notice, at: performance.now() };
        h.notice(notice);
      }),
    );
    socket.on(
      'connect',
      mine(() => {
        this.#lastNotice = undefined;
        h.connected(socket);
      }),
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

  /** Whether `socket` is still this link's (a late answer to an old one is ignored). */
  isCurrent(socket: ChatSocket): boolean {
    return socket === this.#socket && !this.#stopped;
  }

  /** The room was (re-)joined: the attempts start over, and a token may be refreshed again. */
  joined(): void {
    this.#attempts = 0;
    this.#refreshed = false;
  }

  /** A join on `socket` failed in a way that may pass: drop the connection and try again. */
  retry(socket: ChatSocket, reason: string): void {
    if (!this.isCurrent(socket)) return;
    socket.disconnect();
    this.#handler.lost(reason);
    this.#reconnect(reason, false);
  }

  /** Emits a request and awaits its acknowledgement, bounded by `ackTimeoutMs`. */
  async ask<T extends object>(
    event: 'join' | 'leave' | 'send' | 'rooms',
    ...request: object[]
  ): Promise<ChatAnswer<T>> {
    const socket = this.#socket;
    const ms = this.#limits.ackTimeoutMs;
    const timeout: ChatRefusal = {
      ok: false,
      error: {
        code: 'REALTIME_ERR_ACK_TIMEOUT',
        reason: `the chat server did not answer within ${ms} ms`,
      },
    };
    if (socket === undefined) return timeout;
    try {
      // biome-ignore lint/suspicious/noExplicitAny: emitWithAck's typed overloads need a literal event name
      return await (socket.timeout(ms) as any).emitWithAck(event, ...request);
    } catch {
      return timeout;
    }
  }

  /** Stops reconnecting and closes the client. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#socket?.disconnect();
    this.#socket = undefined;
  }

  #onConnectError(error: Error & { data?: { code?: ChatErrorCode; reason?: string } }): void {
    const code = error.data?.code;
    if (code === 'REALTIME_ERR_AUTH' && !this.#refreshed) {
      // A restarted server may sign with another key: one new token, then a refusal is final.
      this.#refreshed = true;
      this.#reconnect(error.message, true);
    } else if (code !== undefined && !RETRYABLE.has(code)) {
      this.#handler.gaveUp(gatewayLines.refused(code, error.data?.reason ?? error.message));
    } else {
      this.#reconnect(error.message, false);
    }
  }

  #onDisconnect(reason: string): void {
    if (reason === 'io client disconnect') return; // closed here (a /nick, a retry)
    const notice = this.#lastNotice;
    if (
      reason === 'io server disconnect' &&
      notice !== undefined &&
      notice.code !== 'CHAT_ERR_SHUTDOWN' &&
      performance.now() - notice.at < KICK_NOTICE_MS
    ) {
      // The server put this user out right after saying why (a flood, a limit): final.
      this.#handler.gaveUp(gatewayLines.refused(notice.code, notice.reason));
      return;
    }
    this.#handler.lost(reason);
    this.#reconnect(reason, false);
  }

  /** Tries again after stage 3's full-jitter backoff; gives up after `maxReconnectAttempts`. */
  #reconnect(why: string, newToken: boolean): void {
    const { maxReconnectAttempts, reconnectDelayMs, reconnectDelayMaxMs } = this.#limits;
    if (this.#attempts >= maxReconnectAttempts) {
      this.#handler.gaveUp(gatewayLines.unreachable(why));
      return;
    }
    const delay = fullJitterDelayMs(
      this.#attempts++,
      { baseDelayMs: reconnectDelayMs, maxDelayMs: reconnectDelayMaxMs },
      Math.random,
    );
    clearTimeout(this.#timer);
    this.#timer = setTimeout(async () => {
      if (this.#stopped) return;
      if (newToken) {
        try {
          this.#token = await this.#issueToken();
        } catch (error) {
          this.#handler.gaveUp(gatewayLines.unreachable((error as Error).message));
          return;
        }
      }
      this.#socket?.connect();
    }, delay);
  }
}
