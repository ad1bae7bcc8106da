/**
 * The client's half of the opening handshake, pure but for the key's randomness (injectable):
 * write the upgrade request, then check the server's answer as RFC 6455 §4.1 requires.
 *
 * @see RFC 6455 §4.1
 */
import { randomBytes } from 'node:crypto';
import { checkInteger } from '@socketlab/internal';
import { quoteInput, WebSocketError } from '../errors.ts';
import {
  acceptKey,
  WEBSOCKET_KEY_BYTES,
  WEBSOCKET_VERSION,
  webSocketKeyFrom,
} from './accept-key.ts';
import type { HttpResponseHead } from './head-reader.ts';
import {
  type ExtensionOffer,
  type HeaderFields,
  headerLines,
  isFieldValue,
  isToken,
  listHasToken,
  parseExtensions,
} from './http-syntax.ts';

/** What a client asks for. */
export interface ClientHandshakeOptions {
  /** The server's host name or IP address (an IPv6 address with or without brackets). */
  readonly host: string;
  /** The server's port. @default 80, or 443 when `secure` */
  readonly port?: number;
  /** Whether the connection is wss (only decides the default port, left out of `Host`). @default false */
  readonly secure?: boolean;
  /** The request target: a path and optional query. @default '/' */
  readonly path?: string;
  /** Subprotocols to offer, most preferred first; each a token, no repeats. @default [] */
  readonly protocols?: readonly string[];
  /** An `Origin` to send (browsers always do; other clients may). @default none */
  readonly origin?: string;
  /** More header fields (`Authorization`, `Cookie`, …); names must be tokens, values free of CR, LF and controls. */
  readonly headers?: HeaderFields;
  /**
   * A `Sec-WebSocket-Extensions` value to offer (e.g. from `deflateOffer()`); it must parse as an
   * extension list. @default none
   */
  readonly extensions?: string;
  /** Where the key's 16 random bytes come from; inject for deterministic tests. @default crypto.randomBytes */
  readonly randomBytes?: (size: number) => Uint8Array;
}

/** What a client sends, and what it must then expect. */
export interface ClientHandshake {
  /** The request bytes to write. */
  readonly request: Buffer;
  /** The `Sec-WebSocket-Key` sent. */
  readonly key: string;
  /** The subprotocols offered. */
  readonly protocols: readonly string[];
  /** The extension names offered, in order (from `extensions`). */
  readonly extensions: readonly string[];
}

/** What {@link validateUpgradeResponse} checks the answer against: a {@link ClientHandshake} fits. */
export interface ExpectedUpgrade {
  readonly key: string;
  readonly protocols?: readonly string[];
  readonly extensions?: readonly string[];
}

/** What the server agreed to. */
export interface UpgradeResponseResult {
  /** The subprotocol the server chose, or `undefined`. */
  readonly protocol: string | undefined;
  /** The extensions the server accepted (each one the client offered). */
  readonly extensions: readonly ExtensionOffer[];
}

/** Headers {@link createClientHandshake} writes itself. */
const REQUEST_RESERVED = [
  'host',
  'upgrade',
  'connection',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'origin',
  'content-length',
  'transfer-encoding',
];

/**
 * Makes a client's opening handshake: a fresh random key and the GET request that carries it.
 *
 * @throws {TypeError} for a malformed host, path, protocol, origin or header (a CR or LF would
 *   inject lines), a repeated protocol, or a header the handshake writes itself;
 *   {RangeError} for a port outside 1–65535.
 * @see RFC 6455 §4.1 (the client's requirements), §4.2.1
 * @example
 * ```ts
 * const { request, key } = createClientHandshake({ host: 'example.com', path: '/chat', protocols: ['chat'] });
 * socket.write(request); // GET /chat HTTP/1.1, Host: example.com, … Sec-WebSocket-Key: <key>
 * ```
 */
export function createClientHandshake(options: ClientHandshakeOptions): ClientHandshake {
  const { host, path = '/', protocols = [], origin } = options;
  const defaultPort = options.secure ? 443 : 80;
  const port = checkInteger('port', options.port ?? defaultPort, 1, 65535);
  if (
    typeof host !== 'string' ||
    !/^(\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*|[A-Za-z0-9._~!$&'()*+;=%-]+)$/.test(host)
  ) {
    throw new TypeError(
      `createClientHandshake: host ${quoteInput(host, 60)} is not a host name or IP address`,
    );
  }
  const hostText = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  if (typeof path !== 'string' || !/^\/[\x21-\x7e]*$/.test(path)) {
    throw new TypeError(
      `createClientHandshake: path ${quoteInput(path, 60)} must start with '/' and hold only visible ASCII (percent-encode the rest)`,
    );
  }
  for (const [i, protocol] of protocols.entries()) {
    if (typeof protocol !== 'string' || !isToken(protocol)) {
      throw new TypeError(
        `createClientHandshake: protocol ${quoteInput(protocol, 40)} is not a token`,
      );
    }
    if (protocols.indexOf(protocol) !== i) {
      throw new TypeError(
        `createClientHandshake: protocol ${quoteInput(protocol, 40)} is offered twice`,
      );
    }
  }
  if (
    origin !== undefined &&
    (typeof origin !== 'string' || origin === '' || !isFieldValue(origin))
  ) {
    throw new TypeError(
      `createClientHandshake: origin ${quoteInput(origin, 60)} must be a non-empty string without control characters`,
    );
  }
  const key = webSocketKeyFrom((options.randomBytes ?? randomBytes)(WEBSOCKET_KEY_BYTES));
  let head =
    `GET ${path} HTTP/1.1\r\n` +
    `Host: ${hostText}${port === defaultPort ? '' : `:${port}`}\r\n` +
    'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: ${WEBSOCKET_VERSION}\r\n`;
  if (protocols.length > 0) head += `Sec-WebSocket-Protocol: ${protocols.join(', ')}\r\n`;
  if (origin !== undefined) head += `Origin: ${origin}\r\n`;
  let extensionNames: string[] = [];
  if (options.extensions !== undefined) {
    const offers =
      typeof options.extensions === 'string' && isFieldValue(options.extensions)
        ? parseExtensions(options.extensions)
        : 'it is not a string without control characters';
    if (typeof offers === 'string' || offers.length === 0) {
      throw new TypeError(
        `createClientHandshake: extensions ${quoteInput(options.extensions, 60)} is not an extension list${
          typeof offers === 'string' ? `: ${offers}` : ''
        }`,
      );
    }
    extensionNames = [...new Set(offers.map((offer) => offer.name))];
    head += `Sec-WebSocket-Extensions: ${options.extensions}\r\n`;
  }
  head += headerLines(options.headers, REQUEST_RESERVED, 'createClientHandshake');
  return {
    request: Buffer.from(`${head}\r\n`, 'latin1'),
    key,
    protocols: [...protocols],
    extensions: extensionNames,
  };
}

const fail = (what: string): never => {
  throw new WebSocketError('WEBSOCKET_ERR_HANDSHAKE', `the server's handshake answer: ${what}`);
};

/**
 * Checks the server's answer to a client's handshake; any failure means the client must fail the
 * WebSocket connection (close the TCP connection without sending anything more).
 *
 * Checks, in order: status 101; `Upgrade` is `websocket` and `Connection` lists `upgrade`
 * (case-insensitive); `Sec-WebSocket-Accept` equals `acceptKey(key)`; each extension accepted
 * was offered; a subprotocol, if any, is one that was offered (case-sensitive).
 *
 * @param response - a head from {@link createResponseHeadReader}.
 * @param expected - the {@link ClientHandshake} that was sent (its key, protocols, extensions).
 * @throws {WebSocketError} `WEBSOCKET_ERR_HANDSHAKE`, saying what was wrong and what was expected.
 * @see RFC 6455 §4.1 (the checks after "the client MUST validate the server's response")
 * @example
 * ```ts
 * const { protocol } = validateUpgradeResponse(result.head, handshake);
 * ```
 */
export function validateUpgradeResponse(
  response: HttpResponseHead,
  expected: ExpectedUpgrade,
): UpgradeResponseResult {
  const h = response.headers;
  if (response.status !== 101) {
    fail(
      `status ${response.status} ${quoteInput(response.statusText, 60)}; expected 101 Switching Protocols`,
    );
  }
  const upgrade = h.get('upgrade');
  if (upgrade === undefined || upgrade.toLowerCase() !== 'websocket') {
    fail(`Upgrade ${quoteInput(upgrade ?? '(absent)', 40)}; expected websocket`);
  }
  if (!listHasToken(h.get('connection'), 'upgrade')) {
    fail(
      `Connection ${quoteInput(h.get('connection') ?? '(absent)', 40)}; expected a list holding upgrade`,
    );
  }
  const accept = h.get('sec-websocket-accept');
  const wanted = acceptKey(expected.key);
  if (accept !== wanted) {
    fail(
      `Sec-WebSocket-Accept ${quoteInput(accept ?? '(absent)', 40)}; expected ${wanted} for key ${expected.key}`,
    );
  }
  const offeredExtensions = expected.extensions ?? [];
  const extensions = parseExtensions(h.get('sec-websocket-extensions') ?? '');
  if (typeof extensions === 'string') fail(`Sec-WebSocket-Extensions is malformed: ${extensions}`);
  for (const extension of extensions as ExtensionOffer[]) {
    if (!offeredExtensions.includes(extension.name)) {
      fail(
        `Sec-WebSocket-Extensions accepts ${quoteInput(extension.name, 40)}, which was not offered; expected ${
          offeredExtensions.length === 0 ? 'no extension' : `one of ${offeredExtensions.join(', ')}`
        }`,
      );
    }
  }
  const protocol = h.get('sec-websocket-protocol');
  const offered = expected.protocols ?? [];
  if (protocol !== undefined && !offered.includes(protocol)) {
    fail(
      `Sec-WebSocket-Protocol ${quoteInput(protocol, 40)} was not offered; expected ${
        offered.length === 0 ? 'no Sec-WebSocket-Protocol' : `one of ${offered.join(', ')}`
      }`,
    );
  }
  return { protocol, extensions: extensions as ExtensionOffer[] };
}
