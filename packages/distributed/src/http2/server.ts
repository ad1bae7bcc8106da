/**
 * A small HTTP/2 server on `node:http2`: cleartext (h2c, prior knowledge) or TLS (h2 by ALPN),
 * with the SETTINGS that bound a session given explicitly, every session tracked so `close()`
 * sends GOAWAY, and a handler per stream. Many requests share one TCP connection as independent
 * streams, so a slow response never holds a fast one back (no HTTP/1.1 head-of-line blocking).
 * @see RFC 9113 (HTTP/2) https://www.rfc-editor.org/rfc/rfc9113
 */
import http2 from 'node:http2';
import type net from 'node:net';
import { checkInteger } from '@socketlab/internal';
import { DistributedError } from '../errors.ts';

/** Defaults of {@link H2ServerOptions}. */
export const H2_SERVER_DEFAULTS = Object.freeze({
  /** SETTINGS_MAX_CONCURRENT_STREAMS: streams a client may have open at once (RFC 9113 §6.5.2). */
  maxConcurrentStreams: 100,
  /** SETTINGS_INITIAL_WINDOW_SIZE: bytes a peer may send on a stream before a WINDOW_UPDATE (RFC 9113 §6.9.2). */
  initialWindowSize: 65_535,
  /** Request body bytes {@link readH2Body} accepts before answering 413 and resetting the stream. */
  maxBodyBytes: 1024 * 1024,
  /** A stream with no activity for this long is reset with CANCEL. */
  streamIdleTimeoutMs: 30_000,
});

/** Handles one stream (one request). A throw or rejection answers 500, or resets the stream if headers went out. */
export type H2StreamHandler = (
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
) => void | Promise<void>;

/** Options of {@link listenH2}. */
export interface H2ServerOptions {
  /** Called once per stream (request) with its headers. */
  readonly handler: H2StreamHandler;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** A key and certificate for h2 over TLS; without, the server speaks cleartext h2c. */
  readonly tls?: { readonly key: Buffer | string; readonly cert: Buffer | string };
  /** SETTINGS_MAX_CONCURRENT_STREAMS sent to each client (0 to 2^32 − 1). @default 100 */
  readonly maxConcurrentStreams?: number;
  /** SETTINGS_INITIAL_WINDOW_SIZE sent to each client (0 to 2^31 − 1). @default 65535 */
  readonly initialWindowSize?: number;
  /** A stream with no frames for this long is reset with RST_STREAM CANCEL. @default 30000 */
  readonly streamIdleTimeoutMs?: number;
}

/** A listening HTTP/2 server, made by {@link listenH2}. */
export interface H2Server {
  /** The bound address and port. */
  readonly address: net.AddressInfo;
  /** `http://` (h2c) or `https://` and the bound address, for `http2.connect`. */
  readonly origin: string;
  /** Sessions (connections) open now. */
  readonly sessions: ReadonlySet<http2.ServerHttp2Session>;
  /** Sends GOAWAY on every session, lets open streams finish, resolves once all are closed. */
  close(): Promise<void>;
}

/**
 * Starts an HTTP/2 server on 127.0.0.1 (port 0 by default).
 * @throws {RangeError|TypeError} for a setting out of its RFC 9113 range.
 * @throws {DistributedError} (rejects) `DISTRIBUTED_ERR_UNAVAILABLE` when the port cannot be bound.
 * @see RFC 9113 §6.5.2 (SETTINGS parameters)
 * @example
 * ```ts
 * const server = await listenH2({
 *   handler: (stream) => {
 *     stream.respond({ ':status': 200, 'content-type': 'text/plain' });
 *     stream.end('hello over one stream');
 *   },
 * });
 * const session = http2.connect(server.origin);
 * ```
 */
export async function listenH2(options: H2ServerOptions): Promise<H2Server> {
  const settings: http2.Settings = {
    maxConcurrentStreams: checkInteger(
      'maxConcurrentStreams',
      options.maxConcurrentStreams ?? H2_SERVER_DEFAULTS.maxConcurrentStreams,
      0,
      2 ** 32 - 1,
    ),
    initialWindowSize: checkInteger(
      'initialWindowSize',
      options.initialWindowSize ?? H2_SERVER_DEFAULTS.initialWindowSize,
      0,
      2 ** 31 - 1,
    ),
  };
  const idleMs = checkInteger(
    'streamIdleTimeoutMs',
    options.streamIdleTimeoutMs ?? H2_SERVER_DEFAULTS.streamIdleTimeoutMs,
    1,
  );
  const server =
    options.tls === undefined
      ? http2.createServer({ settings })
      : http2.createSecureServer({ settings, key: options.tls.key, cert: options.tls.cert });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    // A session error (a peer breaking the framing) ends that session only.
    session.on('error', () => {});
  });
  server.on('stream', (stream, headers) => {
    stream.setTimeout(idleMs, () => stream.close(http2.constants.NGHTTP2_CANCEL));
    stream.on('error', () => {}); // a reset by the peer: the stream is gone, nothing to answer
    Promise.resolve()
      .then(() => options.handler(stream, headers))
      .catch(() => failStream(stream));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause) =>
      reject(
        new DistributedError(
          'DISTRIBUTED_ERR_UNAVAILABLE',
          `listenH2: cannot listen: ${cause.message}`,
          {
            cause,
          },
        ),
      ),
    );
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    address,
    origin: `${options.tls === undefined ? 'http' : 'https'}://${host}:${address.port}`,
    sessions,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const session of sessions) session.close();
      }),
  };
}

/** A handler failed: 500 if nothing was sent yet, else RST_STREAM INTERNAL_ERROR. */
function failStream(stream: http2.ServerHttp2Stream): void {
  if (stream.destroyed || stream.closed) return;
  if (!stream.headersSent) {
    stream.respond({ ':status': 500, 'content-type': 'text/plain' });
    stream.end('internal error');
  } else {
    stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
  }
}

/**
 * Reads a request body up to `maxBytes`. Past it, answers 413 and resets the stream with
 * NO_ERROR, which RFC 9113 §8.1 allows a server that has sent a complete response before the
 * request ended: the client stops sending and nothing more is buffered.
 * @returns The body, or `undefined` when it was refused (the stream is already answered).
 * @see RFC 9113 §8.1 https://www.rfc-editor.org/rfc/rfc9113#section-8.1
 */
export function readH2Body(
  stream: http2.ServerHttp2Stream,
  maxBytes: number = H2_SERVER_DEFAULTS.maxBodyBytes,
): Promise<Buffer | undefined> {
  checkInteger('maxBytes', maxBytes, 0);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      stream.off('data', onData);
      if (!stream.headersSent) {
        stream.respond({ ':status': 413, 'content-type': 'text/plain' });
        stream.end(`request body over ${maxBytes} bytes`);
      }
      stream.close(http2.constants.NGHTTP2_NO_ERROR);
      resolve(undefined);
    };
    stream.on('data', onData);
    stream.once('end', () => resolve(Buffer.concat(chunks, size)));
    stream.once('close', () => resolve(undefined));
  });
}
