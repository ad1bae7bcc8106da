/**
 * The server's check of an upgrade request, pure: the checks of RFC 6455 §4.2.1 in its order,
 * answered with acceptance or a rejection (never a throw for what the peer sent), and the choice
 * of a subprotocol.
 *
 * @see RFC 6455 §4.2.1, §4.2.2
 */
import { quoteInput } from '../errors.ts';
import { acceptKey, isValidWebSocketKey, WEBSOCKET_VERSION } from './accept-key.ts';
import type { HttpRequestHead } from './head-reader.ts';
import {
  type ExtensionOffer,
  isToken,
  listHasToken,
  parseExtensions,
  splitList,
} from './http-syntax.ts';

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
      { Upgrade: 'websocket' }, // a 426 names the protocol (RFC 9110 §15.5.22); the answer says Connection: close
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
