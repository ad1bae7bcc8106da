/**
 * The two keys of the opening handshake: the client's random `Sec-WebSocket-Key` and the
 * server's `Sec-WebSocket-Accept`, which proves the server read that key (RFC 6455 §1.3, §4.2.2).
 */
import { createHash } from 'node:crypto';

/** The GUID a server appends to the client's key before hashing. @see RFC 6455 §1.3 */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The only WebSocket version there is, sent in `Sec-WebSocket-Version`. @see RFC 6455 §4.1 (item 9), §4.2.1 (item 6), §11.3.5 */
export const WEBSOCKET_VERSION = '13';

/** How many random bytes a `Sec-WebSocket-Key` encodes. @see RFC 6455 §4.1 (item 7) */
export const WEBSOCKET_KEY_BYTES = 16;

/**
 * The canonical base64 of exactly 16 bytes: 21 free characters, a last character whose low four
 * bits are zero (A, Q, g or w), then `==`.
 */
const KEY_PATTERN = /^[A-Za-z0-9+/]{21}[AQgw]==$/;

/**
 * Computes the `Sec-WebSocket-Accept` value for a client's `Sec-WebSocket-Key`:
 * base64(SHA-1(key + {@link WEBSOCKET_GUID})). The key is used as sent, never decoded.
 *
 * @param secWebSocketKey - the key exactly as the client sent it (surrounding whitespace removed).
 * @returns 28 characters of base64.
 * @see RFC 6455 §1.3, §4.2.2 (item 5.4)
 * @example
 * ```ts
 * acceptKey('dGhlIHNhbXBsZSBub25jZQ=='); // 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='
 * ```
 */
export function acceptKey(secWebSocketKey: string): string {
  return createHash('sha1')
    .update(secWebSocketKey + WEBSOCKET_GUID, 'latin1')
    .digest('base64');
}

/**
 * Tells whether a `Sec-WebSocket-Key` is the canonical base64 encoding of exactly 16 bytes
 * (24 characters ending in `==`), as a server must check.
 *
 * @see RFC 6455 §4.2.1 (item 5), §11.3.1
 * @example
 * ```ts
 * isValidWebSocketKey('dGhlIHNhbXBsZSBub25jZQ=='); // true
 * isValidWebSocketKey('dGhlIHNhbXBsZQ=='); // false: 11 bytes
 * ```
 */
export function isValidWebSocketKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

/**
 * Makes a `Sec-WebSocket-Key` from 16 bytes, which must be freshly random for each connection.
 *
 * @param bytes - exactly 16 bytes (from `crypto.randomBytes(16)` outside tests).
 * @throws {RangeError} when `bytes` is not 16 bytes long.
 * @see RFC 6455 §4.1 (item 7)
 * @example
 * ```ts
 * webSocketKeyFrom(Buffer.from('the sample nonce')); // 'dGhlIHNhbXBsZSBub25jZQ=='
 * ```
 */
export function webSocketKeyFrom(bytes: Uint8Array): string {
  if (bytes.length !== WEBSOCKET_KEY_BYTES) {
    throw new RangeError(
      `a Sec-WebSocket-Key encodes ${WEBSOCKET_KEY_BYTES} random bytes, got ${bytes.length}`,
    );
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
