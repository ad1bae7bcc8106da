/**
 * The client edge: connect over TCP or TLS, send the opening handshake, check the answer with
 * the pure head reader and checks, and resolve with a WebSocketConnection.
 */
import net from 'node:net';
import tls from 'node:tls';
import { checkInteger, TIMER_MAX_MS } from '@socketlab/internal';
import { quoteInput, WebSocketError } from '../errors.ts';
import {
  checkDeflateResponse,
  deflateOffer,
  type PerMessageDeflateOptions,
  resolveDeflateOptions,
} from '../extensions/index.ts';
import {
  type ClientHandshakeOptions,
  createClientHandshake,
  createResponseHeadReader,
  validateUpgradeResponse,
} from '../handshake/index.ts';
import { WebSocketConnection, type WebSocketConnectionOptions } from './connection.ts';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS } from './server.ts';

/** Options of {@link connectWebSocket}. */
export interface ConnectWebSocketOptions
  extends Pick<
      WebSocketConnectionOptions,
      'maxPayloadBytes' | 'closeTimeoutMs' | 'heartbeatIntervalMs' | 'clock' | 'randomFill'
    >,
    Pick<ClientHandshakeOptions, 'protocols' | 'origin' | 'headers'> {
  /** Give up when the connection and the handshake are not done within this long. @default 10000 */
  readonly handshakeTimeoutMs?: number;
  /** The largest response head accepted, in bytes. @default 8192 */
  readonly maxHeadBytes?: number;
  /** wss: trusted certificates (PEM), instead of the system's. */
  readonly ca?: tls.ConnectionOptions['ca'];
  /** wss: refuse a certificate that does not verify. @default true */
  readonly rejectUnauthorized?: boolean;
  /** wss: the name sent in SNI and checked against the certificate. @default the URL's host name */
  readonly servername?: string;
  /**
   * Offer permessage-deflate (RFC 7692): `true` for the defaults, or options. An answer that
   * breaks RFC 7692 §7.1 rejects with `WEBSOCKET_ERR_HANDSHAKE`. @default false
   */
  readonly perMessageDeflate?: boolean | PerMessageDeflateOptions;
}

/**
 * Opens a WebSocket to a `ws://` or `wss://` URL (RFC 6455 §4.1) and resolves once the server
 * has accepted the handshake.
 *
 * @returns the open connection (client role: every frame it sends is masked).
 * @throws {TypeError} (synchronously) for a URL that is not ws:// or wss://, or bad options.
 *   The promise rejects with {WebSocketError} `WEBSOCKET_ERR_HANDSHAKE` when the server's
 *   answer is not a valid 101 for our request, and `WEBSOCKET_ERR_CONNECTION` when the
 *   connection is refused, reset, closed before the answer, or `handshakeTimeoutMs` passes.
 * @see RFC 6455 §4.1
 * @example
 * ```ts
 * const ws = await connectWebSocket('wss://example.com/chat', { protocols: ['chat'] });
 * for await (const { data } of ws) console.log(data.toString());
 * ```
 */
export function connectWebSocket(
  url: string | URL,
  options: ConnectWebSocketOptions = {},
): Promise<WebSocketConnection> {
  const target = new URL(url);
  if (target.protocol !== 'ws:' && target.protocol !== 'wss:') {
    throw new TypeError(
      `connectWebSocket: ${quoteInput(String(url), 80)} is not a ws:// or wss:// URL`,
    );
  }
  if (target.hash !== '') {
    throw new TypeError('connectWebSocket: a WebSocket URL has no fragment (RFC 6455 §3)');
  }
  const secure = target.protocol === 'wss:';
  const port = target.port === '' ? (secure ? 443 : 80) : Number(target.port);
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  const timeoutMs = checkInteger(
    'handshakeTimeoutMs',
    options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
    1,
    TIMER_MAX_MS,
  );
  const handshakeOptions: {
    -readonly [K in keyof ClientHandshakeOptions]: ClientHandshakeOptions[K];
  } = {
    host,
    port,
    secure,
    path: `${target.pathname}${target.search}`,
  };
  if (options.protocols !== undefined) handshakeOptions.protocols = options.protocols;
  if (options.origin !== undefined) handshakeOptions.origin = options.origin;
  if (options.headers !== undefined) handshakeOptions.headers = options.headers;
  const deflate = resolveDeflateOptions(options.perMessageDeflate);
  if (deflate !== undefined) handshakeOptions.extensions = deflateOffer(deflate);
  const handshake = createClientHandshake(handshakeOptions);
  const reader = createResponseHeadReader(
    options.maxHeadBytes === undefined ? {} : { maxHeadBytes: options.maxHeadBytes },
  );

  return new Promise<WebSocketConnection>((resolve, reject) => {
    const socket = secure
      ? tls.connect({
          host,
          port,
          // SNI carries host names only (RFC 6066 §3); an IP address is checked against the certificate's IP SANs.
          ...(options.servername !== undefined
            ? { servername: options.servername }
            : net.isIP(host) === 0
              ? { servername: host }
              : {}),
          ...(options.ca === undefined ? {} : { ca: options.ca }),
          ...(options.rejectUnauthorized === undefined
            ? {}
            : { rejectUnauthorized: options.rejectUnauthorized }),
        })
      : net.connect({ host, port });
    let settled = false;
    const where = `${target.protocol}//${target.host}`;
    const fail = (error: WebSocketError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () =>
        fail(
          new WebSocketError(
            'WEBSOCKET_ERR_CONNECTION',
            `no WebSocket handshake with ${where} within handshakeTimeoutMs (${timeoutMs} ms)`,
          ),
        ),
      timeoutMs,
    );
    const onData = (chunk: Buffer): void => {
      try {
        const result = reader.push(chunk);
        if (result === undefined) return;
        const accepted = validateUpgradeResponse(result.head, handshake);
        const agreement =
          deflate === undefined ? undefined : checkDeflateResponse(accepted.extensions, deflate);
        settled = true;
        clearTimeout(timer);
        socket.pause();
        socket.off('data', onData);
        socket.off('error', onError);
        socket.off('close', onClose);
        if (socket instanceof net.Socket) socket.setNoDelay(true);
        const { maxPayloadBytes, closeTimeoutMs, heartbeatIntervalMs, clock, randomFill } = options;
        resolve(
          new WebSocketConnection(socket, {
            role: 'client',
            head: result.rest,
            protocol: accepted.protocol,
            ...(maxPayloadBytes === undefined ? {} : { maxPayloadBytes }),
            ...(closeTimeoutMs === undefined ? {} : { closeTimeoutMs }),
            ...(heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs }),
            ...(clock === undefined ? {} : { clock }),
            ...(randomFill === undefined ? {} : { randomFill }),
            ...(agreement === undefined
              ? {}
              : {
                  deflate: { agreement, options: deflate ?? {} },
                  extensions: result.head.headers.get('sec-websocket-extensions') ?? '',
                }),
          }),
        );
      } catch (err) {
        fail(
          err instanceof WebSocketError
            ? err
            : new WebSocketError('WEBSOCKET_ERR_HANDSHAKE', String(err), { cause: err }),
        );
      }
    };
    const onError = (err: Error): void =>
      fail(
        new WebSocketError(
          'WEBSOCKET_ERR_CONNECTION',
          `could not connect to ${where}: ${err.message}`,
          { cause: err },
        ),
      );
    const onClose = (): void =>
      fail(
        new WebSocketError(
          'WEBSOCKET_ERR_CONNECTION',
          `${where} closed the connection before answering the WebSocket handshake`,
        ),
      );
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.write(handshake.request);
  });
}
