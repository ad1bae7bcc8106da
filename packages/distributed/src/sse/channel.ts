/**
 * A Server-Sent Events endpoint over `node:http`: one channel, many clients, each event written
 * to all of them with an id; a bounded replay buffer serves `Last-Event-ID` on reconnection;
 * heartbeat comments keep proxies from cutting an idle stream; a client that does not read is
 * disconnected once its queue passes a bound, so it never costs the server unbounded memory.
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkInteger, TIMER_MAX_MS } from '@socketlab/internal';
import { formatSseComment, formatSseEvent, formatSseRetry } from './format.ts';

/** Where a channel sets its heartbeat timer (and reads the time for its id prefix). */
export interface SseClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemClock: SseClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** The defaults of {@link SseChannelOptions}. */
export const SSE_CHANNEL_DEFAULTS = Object.freeze({
  maxReplayEvents: 1_000,
  heartbeatMs: 15_000,
  retryMs: 3_000,
  maxQueueBytes: 1024 * 1024,
  maxClients: 10_000,
  gapEvent: 'gap',
});

/** Options of {@link createSseChannel}. */
export interface SseChannelOptions {
  /** Events kept for `Last-Event-ID` resume (0: none). @default 1000 */
  readonly maxReplayEvents?: number;
  /** A `: ping` comment to every client this often (0: never); below proxies' idle timeouts (nginx: 60 s). @default 15000 */
  readonly heartbeatMs?: number;
  /** The `retry:` sent on connect: the browser's reconnection delay. @default 3000 */
  readonly retryMs?: number;
  /** Bytes queued for one client (written, not yet taken by its socket) before it is cut. @default 1048576 */
  readonly maxQueueBytes?: number;
  /** Clients at once; one more is answered 503. @default 10000 */
  readonly maxClients?: number;
  /**
   * The event sent to a client resuming from an id the buffer no longer covers (or another
   * server's): its data is the id it sent; it missed events and should reload its state.
   * @default 'gap'
   */
  readonly gapEvent?: string;
  /** Prefix of every id, so ids from another run are told apart. @default the start time, base 36 */
  readonly idPrefix?: string;
  /** Timers. @default the system clock (heartbeat timer unref'ed) */
  readonly clock?: SseClock;
}

/** Why a client left. */
export type SseDisconnectReason = 'client' | 'server' | 'slow' | 'closed';

/** One connected client, as the channel's events hand it over. */
export interface SseClient {
  /** A number for logs, from 1. */
  readonly id: number;
  /** The `Last-Event-ID` it reconnected with, if any. */
  readonly lastEventId: string | undefined;
  /** Events replayed to it on connect. */
  readonly replayed: number;
  /** True when it resumed from an id the buffer did not cover (it was sent the gap event). */
  readonly gap: boolean;
  /** Ends its stream (the browser reconnects after its `retry` delay, with `Last-Event-ID`). */
  close(): void;
}

/** Counters of a channel. */
export interface SseChannelStats {
  readonly clients: number;
  readonly sent: number;
  readonly replayed: number;
  readonly gaps: number;
  readonly slowDisconnects: number;
  readonly refused: number;
  readonly heartbeats: number;
}

/** Events of an {@link SseChannel}. */
export interface SseChannelEvents {
  connect: [client: SseClient];
  disconnect: [client: SseClient, reason: SseDisconnectReason];
}

interface Client extends SseClient {
  readonly res: ServerResponse;
  reason?: SseDisconnectReason;
}

/**
 * A Server-Sent Events channel: `handle(req, res)` for each `GET` of the stream, `send()` for
 * each event. Create it with {@link createSseChannel}.
 */
export class SseChannel extends EventEmitter<SseChannelEvents> {
  readonly #maxReplay: number;
  readonly #heartbeatMs: number;
  readonly #retryMs: number;
  readonly #maxQueueBytes: number;
  readonly #maxClients: number;
  readonly #gapEvent: string;
  readonly #prefix: string;
  readonly #clock: SseClock;
  readonly #clients = new Set<Client>();
  /** The replay buffer: [seq, bytes], oldest first. */
  readonly #buffer: [number, string][] = [];
  #seq = 0;
  #nextClient = 1;
  #heartbeat: unknown;
  #closed = false;
  #stats = { sent: 0, replayed: 0, gaps: 0, slowDisconnects: 0, refused: 0, heartbeats: 0 };

  constructor(options: SseChannelOptions = {}) {
    super();
    const d = SSE_CHANNEL_DEFAULTS;
    this.#maxReplay = checkInteger(
      'maxReplayEvents',
      options.maxReplayEvents ?? d.maxReplayEvents,
      0,
    );
    this.#heartbeatMs = checkInteger(
      'heartbeatMs',
      options.heartbeatMs ?? d.heartbeatMs,
      0,
      TIMER_MAX_MS,
    );
    this.#retryMs = checkInteger('retryMs', options.retryMs ?? d.retryMs, 0, TIMER_MAX_MS);
    this.#maxQueueBytes = checkInteger(
      'maxQueueBytes',
      options.maxQueueBytes ?? d.maxQueueBytes,
      1,
    );
    this.#maxClients = checkInteger('maxClients', options.maxClients ?? d.maxClients, 1);
    this.#clock = options.clock ?? systemClock;
    this.#gapEvent = options.gapEvent ?? d.gapEvent;
    this.#prefix = options.idPrefix ?? this.#clock.now().toString(36);
    // Checked now, so a bad option fails here rather than at the first send.
    formatSseEvent({ id: `${this.#prefix}.0`, event: this.#gapEvent, data: '' });
  }

  /** The id of the last event sent; `undefined` before the first. */
  get lastEventId(): string | undefined {
    return this.#seq === 0 ? undefined : `${this.#prefix}.${this.#seq}`;
  }

  /**
   * Serves the stream on `res`: status 200 with `Content-Type: text/event-stream`, `Cache-Control:
   * no-cache, no-transform` and `X-Accel-Buffering: no` (nginx passes it on unbuffered), then
   * `retry:`, then every buffered event after the request's `Last-Event-ID` (or the gap event when
   * the buffer does not reach back to it), then live events. 503 with `Retry-After` past
   * `maxClients` or after `close()`.
   */
  handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.#closed || this.#clients.size >= this.#maxClients) {
      this.#stats.refused++;
      res.writeHead(503, { 'retry-after': '5', 'content-type': 'text/plain' });
      res.end(this.#closed ? 'stream closed\n' : 'too many clients\n');
      return;
    }
    const header = req.headers['last-event-id'];
    const lastEventId = typeof header === 'string' ? header : undefined;
    const { events, gap } = this.#replayAfter(lastEventId);
    const client: Client = {
      id: this.#nextClient++,
      lastEventId,
      replayed: events.length,
      gap,
      res,
      close: () => this.#drop(client, 'server'),
    };
    this.#clients.add(client);
    res.on('close', () => this.#drop(client, 'client'));
    res.on('error', () => this.#drop(client, 'client')); // a reset peer: 'close' follows
    req.socket.setNoDelay(true);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    let head = `${formatSseRetry(this.#retryMs)}\n`;
    if (gap) {
      this.#stats.gaps++;
      head += formatSseEvent({ event: this.#gapEvent, data: lastEventId ?? '' });
    }
    head += events.join('');
    this.#stats.replayed += events.length;
    this.#write(client, head);
    this.#armHeartbeat();
    this.emit('connect', client);
  }

  /**
   * Sends one event to every client and keeps it for replay. The channel assigns its id.
   * @returns the id given to the event.
   * @throws {DistributedError} `DISTRIBUTED_ERR_PAYLOAD` when `event` holds CR or LF.
   */
  send(event: { readonly data: string; readonly event?: string }): string {
    const seq = this.#seq + 1;
    const id = `${this.#prefix}.${seq}`;
    const bytes = formatSseEvent({ id, data: event.data, event: event.event });
    this.#seq = seq;
    this.#stats.sent++;
    if (this.#maxReplay > 0) {
      this.#buffer.push([seq, bytes]);
      if (this.#buffer.length > this.#maxReplay) this.#buffer.shift();
    }
    for (const client of this.#clients) this.#write(client, bytes);
    return id;
  }

  /** Counters, and the clients connected now. */
  stats(): SseChannelStats {
    return { ...this.#stats, clients: this.#clients.size };
  }

  /** Ends every stream and refuses new ones (503); stops the heartbeat. */
  close(): void {
    this.#closed = true;
    for (const client of [...this.#clients]) this.#drop(client, 'closed');
  }

  #replayAfter(lastEventId: string | undefined): { events: string[]; gap: boolean } {
    if (lastEventId === undefined) return { events: [], gap: false };
    const dot = lastEventId.lastIndexOf('.');
    const seq = Number(lastEventId.slice(dot + 1));
    const ours =
      dot > 0 &&
      lastEventId.slice(0, dot) === this.#prefix &&
      /^\d{1,15}$/.test(lastEventId.slice(dot + 1)) &&
      seq <= this.#seq;
    if (!ours) return { events: [], gap: true };
    const oldest = this.#buffer[0]?.[0] ?? this.#seq + 1;
    const events = this.#buffer.filter(([s]) => s > seq).map(([, bytes]) => bytes);
    return { events, gap: seq + 1 < oldest };
  }

  #write(client: Client, text: string): void {
    if (client.reason !== undefined) return;
    client.res.write(text);
    // What the socket has not taken yet: a reader that stopped makes this grow.
    if (client.res.writableLength > this.#maxQueueBytes) {
      this.#stats.slowDisconnects++;
      this.#drop(client, 'slow');
    }
  }

  #drop(client: Client, reason: SseDisconnectReason): void {
    if (client.reason !== undefined) return;
    client.reason = reason;
    this.#clients.delete(client);
    if (reason === 'slow') client.res.destroy();
    else if (!client.res.writableEnded) client.res.end();
    if (this.#clients.size === 0 && this.#heartbeat !== undefined) {
      this.#clock.clearTimeout(this.#heartbeat);
      this.#heartbeat = undefined;
    }
    this.emit('disconnect', client, reason);
  }

  #armHeartbeat(): void {
    if (this.#heartbeatMs === 0 || this.#heartbeat !== undefined) return;
    this.#heartbeat = this.#clock.setTimeout(() => {
      this.#heartbeat = undefined;
      this.#stats.heartbeats++;
      const ping = formatSseComment('ping');
      for (const client of [...this.#clients]) this.#write(client, ping);
      if (this.#clients.size > 0) this.#armHeartbeat();
    }, this.#heartbeatMs);
  }
}

/**
 * A Server-Sent Events channel.
 * @throws {RangeError} or {TypeError} for a bad option.
 * @example
 * ```ts
 * const prices = createSseChannel({ heartbeatMs: 15_000 });
 * http.createServer((req, res) => {
 *   if (req.url === '/prices') prices.handle(req, res);
 * });
 * prices.send({ event: 'price', data: JSON.stringify({ symbol: 'ACME', price: 12.5 }) });
 * // in the browser: new EventSource('/prices').addEventListener('price', (e) => …)
 * ```
 */
export function createSseChannel(options: SseChannelOptions = {}): SseChannel {
  return new SseChannel(options);
}
