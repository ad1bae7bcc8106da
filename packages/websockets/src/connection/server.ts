/**
 * The server edge: accept TCP connections (or upgrades from a Node HTTP server), run the
 * opening handshake with the pure head reader and checks, and hand out WebSocketConnections.
 */
import { EventEmitter } from 'node:events';
import type http from 'node:http';
import type https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { checkInteger, TIMER_MAX_MS } from '@socketlab/internal';
import { type ConnectionClock, systemClock } from '@socketlab/multiplexing';
import {
  acceptDeflateOffer,
  type PerMessageDeflateOptions,
  type ResolvedDeflateOptions,
  resolveDeflateOptions,
} from '../extensions/index.ts';
import {
  buildRejectResponse,
  buildUpgradeResponse,
  createRequestHeadReader,
  type HttpRequestHead,
  type UpgradeRequestOptions,
  validateUpgradeRequest,
} from '../handshake/index.ts';
import { WebSocketConnection, type WebSocketConnectionOptions } from './connection.ts';

/** The default {@link WebSocketServerOptions.handshakeTimeoutMs}: 10 s. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/** Options of {@link WebSocketServer}. */
export interface WebSocketServerOptions
  extends Pick<
    WebSocketConnectionOptions,
    'maxPayloadBytes' | 'closeTimeoutMs' | 'heartbeatIntervalMs'
  > {
  /** Listen on this port (0 = any free one) with a server of our own. @default 0 */
  readonly port?: number;
  /** The address to listen on (standalone mode). @default '127.0.0.1' */
  readonly host?: string;
  /** Attach to this HTTP(S) server's `'upgrade'` event instead of listening. */
  readonly server?: http.Server | https.Server;
  /** Subprotocols, most preferred first, or a function choosing one (see `validateUpgradeRequest`). */
  readonly protocols?: UpgradeRequestOptions['protocols'];
  /** Refuse a request (403) when this returns false. @default accept every origin */
  readonly checkOrigin?: UpgradeRequestOptions['checkOrigin'];
  /** A client whose request head is not complete by then is destroyed (standalone mode). @default 10000 */
  readonly handshakeTimeoutMs?: number;
  /** The most open WebSocket connections; one more is refused with 503. @default unlimited */
  readonly maxConnections?: number;
  /** The largest request head, in bytes (standalone mode). @default 8192 */
  readonly maxHeadBytes?: number;
  /** The most header lines in a request head (standalone mode). @default 100 */
  readonly maxHeaders?: number;
  /** Timers for handshake timeouts, close timeouts and heartbeats. @default Node's timers */
  readonly clock?: ConnectionClock;
  /**
   * Accept permessage-deflate (RFC 7692) when a client offers it: `true` for the defaults, or
   * options. Off by default: an offer is then ignored and nothing is compressed.
   * @default false
   */
  readonly perMessageDeflate?: boolean | PerMessageDeflateOptions;
}

/** The events of {@link WebSocketServer}. */
export interface WebSocketServerEvents {
  /** A client completed the handshake. */
  connection: [ws: WebSocketConnection, request: HttpRequestHead];
  /** The standalone server is listening. */
  listening: [];
  /**
   * The listening socket failed (a port in use, …), or a user callback (`checkOrigin`,
   * `protocols`, a `'connection'` listener) threw while answering a handshake: that client's
   * socket is destroyed; without a listener the error is dropped.
   */
  error: [error: Error];
}

/**
 * A WebSocket server (RFC 6455 §4.2): standalone on its own port, attached to an HTTP server,
 * or fed upgrades by hand with {@link WebSocketServer.handleUpgrade}.
 *
 * Standalone, it reads request heads itself with limits (`maxHeadBytes`, `maxHeaders`) and a
 * per-socket `handshakeTimeoutMs`, so clients that send half a head and stall cost a timer and
 * a few bytes each and never delay anyone else. Refused requests get their status (400, 403,
 * 405, 426, or 503 past `maxConnections`) as a plain HTTP answer, then the socket is ended.
 *
 * @throws {TypeError}/{RangeError} for bad options.
 * @see RFC 6455 §4.2
 * @example
 * ```ts
 * const wss = new WebSocketServer({ port: 8080 });
 * wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
 * ```
 */
export class WebSocketServer extends EventEmitter<WebSocketServerEvents> {
  /** Open connections. */
  readonly clients = new Set<WebSocketConnection>();
  private readonly options: WebSocketServerOptions;
  private readonly netServer: net.Server | undefined;
  private readonly attached: http.Server | https.Server | undefined;
  private readonly pending = new Set<Duplex>();
  private readonly clock: ConnectionClock;
  private readonly handshakeTimeoutMs: number;
  private readonly maxConnections: number;
  private readonly deflate: ResolvedDeflateOptions | undefined;
  private readonly onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void =>
    this.handleUpgrade(req, socket, head);
  private closing = false;

  constructor(options: WebSocketServerOptions = {}) {
    super();
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.handshakeTimeoutMs = checkInteger(
      'handshakeTimeoutMs',
      options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
      1,
      TIMER_MAX_MS,
    );
    this.maxConnections = checkInteger(
      'maxConnections',
      options.maxConnections ?? Number.POSITIVE_INFINITY,
      0,
      Number.POSITIVE_INFINITY,
    );
    this.deflate = resolveDeflateOptions(options.perMessageDeflate);
    // Fail on a bad limit now, not at the first client.
    createRequestHeadReader(this.headLimits());
    if (options.server !== undefined) {
      this.attached = options.server;
      this.attached.on('upgrade', this.onUpgrade);
      return;
    }
    const port = checkInteger('port', options.port ?? 0, 0, 65535);
    this.netServer = net.createServer((socket) => this.acceptSocket(socket));
    this.netServer.on('error', (err) => this.emit('error', err));
    this.netServer.listen(port, options.host ?? '127.0.0.1', () => this.emit('listening'));
  }

  /** The standalone server's address, or the attached server's; `null` before listening. */
  address(): net.AddressInfo | null {
    const address = (this.netServer ?? this.attached)?.address();
    return typeof address === 'object' ? address : null;
  }

  /** The port listened on (0 before listening). */
  get port(): number {
    return this.address()?.port ?? 0;
  }

  /**
   * Completes an upgrade that a Node HTTP server received (its `'upgrade'` event's arguments):
   * checks the request with `validateUpgradeRequest`, answers 101 and emits `'connection'`, or
   * writes the refusal and ends the socket.
   */
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', destroyOnError);
    const rejected = duplicateField(req.rawHeaders);
    if (rejected !== undefined) {
      this.refuse(socket, buildRejectResponse(400, rejected));
      return;
    }
    this.upgrade(requestHeadOf(req), socket, head);
  }

  /**
   * Stops accepting, refuses handshakes in progress, closes every connection with 1001 (going
   * away) and resolves once they and the listening socket are closed.
   */
  async close(): Promise<void> {
    this.closing = true;
    this.attached?.off('upgrade', this.onUpgrade);
    const listening = new Promise<void>((resolve) => {
      if (this.netServer?.listening) this.netServer.close(() => resolve());
      else resolve();
    });
    for (const socket of this.pending) socket.destroy();
    const closed = [...this.clients].map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocketConnection.CLOSED) return resolve();
          ws.once('close', () => resolve());
          ws.close(1001);
        }),
    );
    await Promise.all([listening, ...closed]);
  }

  private headLimits(): { maxHeadBytes?: number; maxHeaders?: number } {
    const limits: { maxHeadBytes?: number; maxHeaders?: number } = {};
    if (this.options.maxHeadBytes !== undefined) limits.maxHeadBytes = this.options.maxHeadBytes;
    if (this.options.maxHeaders !== undefined) limits.maxHeaders = this.options.maxHeaders;
    return limits;
  }

  /** Standalone mode: read the request head from the raw socket, bounded in size and time. */
  private acceptSocket(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.pending.add(socket);
    const reader = createRequestHeadReader(this.headLimits());
    const timer = this.clock.setTimeout(() => socket.destroy(), this.handshakeTimeoutMs);
    // Every listener is removed once the handshake is over: one left on the socket would keep
    // the head reader and these closures alive for the whole life of the connection.
    const done = (): void => {
      this.clock.clearTimeout(timer);
      this.pending.delete(socket);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', done);
    };
    const onData = (chunk: Buffer): void => {
      let result: ReturnType<typeof reader.push>;
      try {
        result = reader.push(chunk);
      } catch (err) {
        done();
        this.refuse(socket, buildRejectResponse(400, (err as Error).message));
        return;
      }
      if (result === undefined) return;
      socket.pause();
      done();
      this.upgrade(result.head, socket, result.rest);
    };
    const onEnd = (): void => {
      done();
      socket.destroy();
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', destroyOnError);
    socket.on('close', done);
  }

  /**
   * Writes a refusal and ends the socket; reads (and drops) whatever else the client sends, and
   * destroys the socket if the client has not closed its side within `handshakeTimeoutMs`.
   */
  private refuse(socket: Duplex, response: Buffer): void {
    socket.end(response);
    socket.resume();
    const timer = this.clock.setTimeout(() => socket.destroy(), this.handshakeTimeoutMs);
    socket.once('close', () => this.clock.clearTimeout(timer));
  }

  /** Checks a complete request head and answers it; a bug in a user callback drops the socket. */
  private upgrade(request: HttpRequestHead, socket: Duplex, rest: Buffer): void {
    try {
      this.answer(request, socket, rest);
    } catch (err) {
      socket.destroy();
      // A throwing checkOrigin or protocols function, reported where the server's owner listens.
      if (this.listenerCount('error') > 0) this.emit('error', err as Error);
    }
  }

  private answer(request: HttpRequestHead, socket: Duplex, rest: Buffer): void {
    if (this.closing) {
      this.refuse(socket, buildRejectResponse(503, 'the server is shutting down'));
      return;
    }
    const { protocols, checkOrigin } = this.options;
    const result = validateUpgradeRequest(request, {
      ...(protocols === undefined ? {} : { protocols }),
      ...(checkOrigin === undefined ? {} : { checkOrigin }),
    });
    if (!result.ok) {
      // buildRejectResponse writes `Connection: close` itself; the 426 answers name
      // `Connection: Upgrade` too, which a refusal that closes the connection cannot honour.
      const headers = Object.fromEntries(
        Object.entries(result.headers).filter(([name]) => name.toLowerCase() !== 'connection'),
      );
      this.refuse(socket, buildRejectResponse(result.status, result.message, headers));
      return;
    }
    if (this.clients.size >= this.maxConnections) {
      this.refuse(
        socket,
        buildRejectResponse(503, `too many connections (maxConnections ${this.maxConnections})`),
      );
      return;
    }
    const deflate =
      this.deflate === undefined ? undefined : acceptDeflateOffer(result.extensions, this.deflate);
    socket.pause();
    socket.write(
      buildUpgradeResponse({
        key: result.key,
        protocol: result.protocol,
        extensionsHeader: deflate?.response,
      }),
    );
    if ('setNoDelay' in socket && typeof socket.setNoDelay === 'function') socket.setNoDelay(true);
    const { maxPayloadBytes, closeTimeoutMs, heartbeatIntervalMs } = this.options;
    socket.off('error', destroyOnError); // the connection listens for errors itself
    const ws = new WebSocketConnection(socket, {
      role: 'server',
      head: rest,
      protocol: result.protocol,
      clock: this.clock,
      ...(maxPayloadBytes === undefined ? {} : { maxPayloadBytes }),
      ...(closeTimeoutMs === undefined ? {} : { closeTimeoutMs }),
      ...(heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs }),
      ...(deflate === undefined
        ? {}
        : {
            deflate: { agreement: deflate.agreement, options: this.deflate ?? {} },
            extensions: deflate.response,
          }),
    });
    this.clients.add(ws);
    ws.once('close', () => this.clients.delete(ws));
    this.emit('connection', ws, request);
  }
}

/** The handshake's error listener: a socket that fails before it is a WebSocket is dropped. */
function destroyOnError(this: Duplex): void {
  this.destroy();
}

/** Fields a request may carry once (the head reader refuses repeats; Node keeps the first). */
const SINGLE_FIELDS = new Set([
  'host',
  'sec-websocket-key',
  'sec-websocket-version',
  'origin',
  'content-length',
]);

/** A message naming a field repeated that may appear once, or `undefined`. */
function duplicateField(rawHeaders: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    if (SINGLE_FIELDS.has(name)) {
      if (seen.has(name)) return `the request has more than one ${name} field`;
      seen.add(name);
    }
  }
  return undefined;
}

/** The same head the pure reader would give, from what Node's HTTP parser read. */
function requestHeadOf(req: http.IncomingMessage): HttpRequestHead {
  const headers = new Map<string, string>();
  const rawHeaders: [string, string][] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    const value = req.rawHeaders[i + 1] as string;
    rawHeaders.push([name, value]);
    const key = name.toLowerCase();
    const before = headers.get(key);
    headers.set(key, before === undefined ? value : `${before}, ${value}`);
  }
  return {
    method: req.method ?? '',
    target: req.url ?? '',
    version: { major: req.httpVersionMajor, minor: req.httpVersionMinor },
    headers,
    rawHeaders,
  };
}
