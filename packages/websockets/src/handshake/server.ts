/**
 * The server's half of the opening handshake, pure: check a parsed request head in the order
 * RFC 6455 §4.2.1 lists, choose a subprotocol, and write the 101 answer or a rejection.
 *
 * @see RFC 6455 §4.2
 */
import { checkInteger } from '@socketlab/internal';
import { quoteInput } from '../errors.ts';
import { acceptKey, isValidWebSocketKey } from './accept-key.ts';
import type { HttpRequestHead } from './head-reader.ts';
import {
  type ExtensionOffer,
  type HeaderFields,
  headerLines,
  isFieldValue,
  isToken,
  listHasToken,
  parseExtensions,
  splitList,
} from './http-syntax.ts';

/** The only WebSocket version there is. @see RFC 6455 §4.2.1 (item 6), §11.3.5 */
export const WEBSOCKET_VERSION = '13';

/**
 * Why a server refuses an upgrade request, in the order the checks run:
 * - `method-not-get` (405): the method is not `GET`;
 * - `http-version` (400): older than HTTP/1.1;
 * - `request-target` (400): the target is neither a path (`/…`) nor an absolute `ws(s)://` or `http(s)://` URI;
 * - `host-missing` (400): no `Host`, or an empty or malformed one;
 * - `body-not-allowed` (400): `Transfer-Encoding`, or a `Content-Length` other than 0: the bytes after
 *   the head must be WebSocket frames, never a body;
 * - `upgrade-missing` (426): `Upgrade` does not list `websocket` (a plain HTTP request);
 * - `connection-missing` (400): `Connection` does not list `upgrade`;
 * - `key-invalid` (400): `Sec-WebSocket-Key` is missing or not the base64 of 16 bytes;
 * - `version-unsupported` (426): `Sec-WebSocket-Version` is missing or not 13;
 * - `origin-forbidden` (403): the `checkOrigin` callback said no;
 * - `protocols-invalid` (400): `Sec-WebSocket-Protocol` holds something that is not a token;
 * - `extensions-invalid` (400): `Sec-WebSocket-Extensions` is malformed.
 */
export type UpgradeRejectReason =
  | 'method-not-get'
  | 'http-version'
  | 'request-target'
  | 'host-missing'
  | 'body-not-allowed'
  | 'upgrade-missing'
  | 'connection-missing'
  | 'key-invalid'
  | 'version-unsupported'
  | 'origin-forbidden'
  | 'protocols-invalid'
  | 'extensions-invalid';

/** How a server checks and negotiates an upgrade request. */
export interface UpgradeRequestOptions {
  /**
   * The subprotocols this server speaks, most preferred first; the first one the client offered
   * is chosen. Or a function that chooses among the client's offers (in the client's order) and
   * returns one of them, or `undefined` for none. Names match case-sensitively.
   * @default [] (no subprotocol is ever chosen)
   */
  readonly protocols?:
    | readonly string[]
    | ((offered: readonly string[], request: HttpRequestHead) => string | undefined);
  /**
   * Decides whether a request from this `Origin` (`undefined` when absent, as from non-browser
   * clients) may connect; returning false answers 403.
   * @default every origin is allowed
   * @see RFC 6455 §4.2.2 (item 4), §10.2
   */
  readonly checkOrigin?: (origin: string | undefined, request: HttpRequestHead) => boolean;
}

/** An upgrade request that passed every check, and what was negotiated. */
export interface UpgradeAccepted {
  readonly ok: true;
  /** The client's `Sec-WebSocket-Key`. */
  readonly key: string;
  /** The `Sec-WebSocket-Accept` value for that key. */
  readonly accept: string;
  /** The request target (`/chat?room=1`). */
  readonly target: string;
  /** The `Host` value. */
  readonly host: string;
  /** The `Origin` value, if any. */
  readonly origin: string | undefined;
  /** The subprotocols the client offered, in its order. */
  readonly protocols: readonly string[];
  /** The subprotocol chosen, one of `protocols`, or `undefined`. */
  readonly protocol: string | undefined;
  /** The extensions the client offered (none is accepted yet). */
  readonly extensions: readonly ExtensionOffer[];
  /** The request itself. */
  readonly request: HttpRequestHead;
}

/** An upgrade request refused: answer it with `buildRejectResponse(status, message, headers)`. */
export interface UpgradeRejected {
  readonly ok: false;
  readonly status: 400 | 403 | 405 | 426;
  /** A stable reason, for logs and metrics. */
  readonly reason: UpgradeRejectReason;
  /** What was wrong and what was expected, safe to send back (untrusted input is quoted). */
  readonly message: string;
  /** Headers the answer must carry (`Allow`, `Upgrade`, `Sec-WebSocket-Version`). */
  readonly headers: Readonly<Record<string, string>>;
}

const reject = (
  status: UpgradeRejected['status'],
  reason: UpgradeRejectReason,
  message: string,
  headers: Record<string, string> = {},
): UpgradeRejected => ({ ok: false, status, reason, message, headers });

/**
 * Checks an upgrade request in the order of RFC 6455 §4.2.1 and negotiates a subprotocol. Pure:
 * it never throws for anything the peer sent, it returns a rejection.
 *
 * @param request - a head from {@link createRequestHeadReader}.
 * @param options - `protocols` (@default []), `checkOrigin` (@default allow all).
 * @returns {@link UpgradeAccepted} or {@link UpgradeRejected}.
 * @throws {TypeError} when the `protocols` function returns a name the client did not offer.
 * @see RFC 6455 §4.2.1, §4.2.2
 * @example
 * ```ts
 * const result = validateUpgradeRequest(head, { protocols: ['chat.v2', 'chat.v1'] });
 * socket.write(result.ok ? buildUpgradeResponse(result) : buildRejectResponse(result.status, result.message, result.headers));
 * ```
 */
export function validateUpgradeRequest(
  request: HttpRequestHead,
  options: UpgradeRequestOptions = {},
): UpgradeAccepted | UpgradeRejected {
  const h = request.headers;
  if (request.method !== 'GET') {
    return reject(
      405,
      'method-not-get',
      `method ${quoteInput(request.method, 20)}: a WebSocket upgrade must be GET`,
      { Allow: 'GET' },
    );
  }
  const { major, minor } = request.version;
  if (major < 1 || (major === 1 && minor < 1)) {
    return reject(
      400,
      'http-version',
      `HTTP/${major}.${minor}: a WebSocket upgrade needs HTTP/1.1 or later`,
    );
  }
  if (!/^(\/|(wss?|https?):\/\/)/i.test(request.target)) {
    return reject(
      400,
      'request-target',
      `request target ${quoteInput(request.target, 60)}: expected a path starting with '/' or an absolute ws:// URI`,
    );
  }
  const host = h.get('host');
  if (host === undefined || !/^[^\s,/@]+$/.test(host)) {
    return reject(
      400,
      'host-missing',
      host === undefined
        ? 'no Host header: a request must name its host'
        : `Host ${quoteInput(host, 60)} is not a host[:port]`,
    );
  }
  const length = h.get('content-length');
  if (h.has('transfer-encoding') || (length !== undefined && length !== '0')) {
    return reject(
      400,
      'body-not-allowed',
      'the upgrade request has a body (Transfer-Encoding or a non-zero Content-Length): the bytes after the head must be WebSocket frames',
    );
  }
  if (!listHasToken(h.get('upgrade'), 'websocket')) {
    return reject(
      426,
      'upgrade-missing',
      `Upgrade ${quoteInput(h.get('upgrade') ?? '(absent)', 60)}: expected the token websocket`,
      { Upgrade: 'websocket', Connection: 'Upgrade' },
    );
  }
  if (!listHasToken(h.get('connection'), 'upgrade')) {
    return reject(
      400,
      'connection-missing',
      `Connection ${quoteInput(h.get('connection') ?? '(absent)', 60)}: expected a list holding the token upgrade`,
    );
  }
  const key = h.get('sec-websocket-key');
  if (key === undefined || !isValidWebSocketKey(key)) {
    return reject(
      400,
      'key-invalid',
      `Sec-WebSocket-Key ${quoteInput(key ?? '(absent)', 40)}: expected the base64 of 16 random bytes (24 characters ending in ==)`,
    );
  }
  const version = h.get('sec-websocket-version');
  if (version !== WEBSOCKET_VERSION) {
    return reject(
      426,
      'version-unsupported',
      `Sec-WebSocket-Version ${quoteInput(version ?? '(absent)', 20)}: this server speaks version 13`,
      { 'Sec-WebSocket-Version': WEBSOCKET_VERSION },
    );
  }
  const origin = h.get('origin');
  if (options.checkOrigin && !options.checkOrigin(origin, request)) {
    return reject(
      403,
      'origin-forbidden',
      `Origin ${quoteInput(origin ?? '(absent)', 60)} may not connect`,
    );
  }
  const protocols = splitList(h.get('sec-websocket-protocol') ?? '');
  const badProtocol = protocols.find((p) => !isToken(p));
  if (badProtocol !== undefined) {
    return reject(
      400,
      'protocols-invalid',
      `Sec-WebSocket-Protocol element ${quoteInput(badProtocol, 40)} is not a token`,
    );
  }
  const extensions = parseExtensions(h.get('sec-websocket-extensions') ?? '');
  if (typeof extensions === 'string') {
    return reject(
      400,
      'extensions-invalid',
      `Sec-WebSocket-Extensions is malformed: ${extensions}`,
    );
  }
  return {
    ok: true,
    key,
    accept: acceptKey(key),
    target: request.target,
    host,
    origin,
    protocols,
    protocol: chooseProtocol(protocols, options.protocols, request),
    extensions,
    request,
  };
}

function chooseProtocol(
  offered: readonly string[],
  choice: UpgradeRequestOptions['protocols'],
  request: HttpRequestHead,
): string | undefined {
  if (offered.length === 0 || choice === undefined) return undefined;
  if (typeof choice !== 'function') return choice.find((p) => offered.includes(p));
  const chosen = choice(offered, request);
  if (chosen !== undefined && !offered.includes(chosen)) {
    throw new TypeError(
      `protocols() chose ${quoteInput(chosen, 40)}, which the client did not offer (it offered ${offered.join(', ')}); return one of them or undefined`,
    );
  }
  return chosen;
}

/** Headers {@link buildUpgradeResponse} writes itself and extra headers may not repeat. */
const UPGRADE_RESERVED = [
  'upgrade',
  'connection',
  'sec-websocket-accept',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'content-length',
  'transfer-encoding',
];

/** What a 101 answer carries. */
export interface UpgradeResponseOptions {
  /** The client's `Sec-WebSocket-Key` (an {@link UpgradeAccepted} fits as it is). */
  readonly key: string;
  /** The chosen subprotocol, if any. */
  readonly protocol?: string | undefined;
  /** The accepted extensions, as a `Sec-WebSocket-Extensions` value, if any. */
  readonly extensionsHeader?: string | undefined;
  /** More header fields (`Set-Cookie`, …); names must be tokens, values free of CR, LF and controls. */
  readonly headers?: HeaderFields | undefined;
}

/**
 * Writes the 101 Switching Protocols answer that completes a server's handshake.
 *
 * @throws {TypeError} when the key is not a valid `Sec-WebSocket-Key`, the protocol is not a
 *   token, the extensions value holds a control character, or an extra header is malformed (a CR
 *   or LF in it would inject lines) or names a field the handshake writes itself.
 * @see RFC 6455 §4.2.2 (item 5)
 * @example
 * ```ts
 * buildUpgradeResponse({ key: 'dGhlIHNhbXBsZSBub25jZQ==' }).toString('latin1');
 * // 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
 * // 'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n'
 * ```
 */
export function buildUpgradeResponse(options: UpgradeResponseOptions): Buffer {
  const { key, protocol, extensionsHeader } = options;
  if (!isValidWebSocketKey(key)) {
    throw new TypeError(
      `buildUpgradeResponse: key ${quoteInput(key, 40)} is not a Sec-WebSocket-Key`,
    );
  }
  if (protocol !== undefined && !isToken(protocol)) {
    throw new TypeError(
      `buildUpgradeResponse: protocol ${quoteInput(protocol, 40)} is not a token`,
    );
  }
  if (extensionsHeader !== undefined && !isFieldValue(extensionsHeader)) {
    throw new TypeError(
      `buildUpgradeResponse: extensionsHeader ${quoteInput(extensionsHeader, 40)} holds a control character`,
    );
  }
  let head =
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n`;
  if (protocol !== undefined) head += `Sec-WebSocket-Protocol: ${protocol}\r\n`;
  if (extensionsHeader !== undefined) head += `Sec-WebSocket-Extensions: ${extensionsHeader}\r\n`;
  head += headerLines(options.headers, UPGRADE_RESERVED, 'buildUpgradeResponse');
  return Buffer.from(`${head}\r\n`, 'latin1');
}

/** Reason phrases for the statuses a handshake refuses with. @see RFC 9110 §15.5, RFC 6585 §5 */
const REASON_PHRASES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Headers {@link buildRejectResponse} writes itself. */
const REJECT_RESERVED = ['content-length', 'content-type', 'connection', 'transfer-encoding'];

/**
 * Writes an HTTP error answer to a refused upgrade: status line, the given headers,
 * `Content-Type: text/plain; charset=utf-8`, `Content-Length`, `Connection: close`, and `body`
 * (UTF-8). Close the connection once it is written.
 *
 * @param status - 400 to 599.
 * @param body - text for the person reading it, e.g. an {@link UpgradeRejected}'s `message`.
 * @param headers - more header fields, e.g. an {@link UpgradeRejected}'s `headers`.
 * @throws {RangeError} or {TypeError} for a bad status; {TypeError} for a malformed or reserved header.
 * @see RFC 6455 §4.2.1, RFC 9110 §15.5
 * @example
 * ```ts
 * buildRejectResponse(426, 'version 13 only', { 'Sec-WebSocket-Version': '13' });
 * ```
 */
export function buildRejectResponse(status: number, body: string, headers?: HeaderFields): Buffer {
  checkInteger('status', status, 400, 599);
  const bytes = Buffer.from(body, 'utf8');
  const head =
    `HTTP/1.1 ${status} ${REASON_PHRASES[status] ?? 'Error'}\r\n` +
    headerLines(headers, REJECT_RESERVED, 'buildRejectResponse') +
    `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${bytes.length}\r\nConnection: close\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), bytes]);
}
