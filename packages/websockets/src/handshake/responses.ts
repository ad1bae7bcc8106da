/**
 * The server's answers, pure: the 101 Switching Protocols that completes a handshake, and the
 * HTTP error that refuses one. Caller-supplied headers are checked so none can inject a line.
 *
 * @see RFC 6455 §4.2.2; RFC 9110 §15.5
 */
import { checkInteger } from '@socketlab/internal';
import { quoteInput } from '../errors.ts';
import { acceptKey, isValidWebSocketKey } from './accept-key.ts';
import { type HeaderFields, headerLines, isFieldValue, isToken } from './http-syntax.ts';

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
