// Shared with every area of this package; not part of the public API (see @socketlab/internal).
export { quoteInput } from '@socketlab/internal';

/**
 * Every stable error code `@socketlab/websockets` raises. Codes never change meaning; the
 * package README lists each with what causes it and what to do.
 */
export const WEBSOCKET_ERROR_CODES = [
  /** The upgrade request or response breaks RFC 6455 §4 or HTTP/1.1 head syntax or limits (a server answers 400). */
  'WEBSOCKET_ERR_HANDSHAKE',
  /** A frame breaks RFC 6455 §5 (reserved bits, opcode, masking, control frame rules): close 1002. */
  'WEBSOCKET_ERR_PROTOCOL',
  /** A text message (or close reason) is not valid UTF-8 (RFC 6455 §8.1): close 1007. */
  'WEBSOCKET_ERR_INVALID_UTF8',
  /** A message or frame is larger than the configured maximum: close 1009. */
  'WEBSOCKET_ERR_MESSAGE_TOO_BIG',
  /**
   * permessage-deflate: a compressed message is not valid DEFLATE data (close 1007), or our own
   * compression failed (close 1011).
   */
  'WEBSOCKET_ERR_COMPRESSION',
  /** `send()`, `ping()` or `pong()` was called once the connection was closing or closed. */
  'WEBSOCKET_ERR_CLOSED',
  /** The TCP or TLS connection failed: refused, reset, or a handshake that timed out. */
  'WEBSOCKET_ERR_CONNECTION',
] as const;

/** One of {@link WEBSOCKET_ERROR_CODES}. */
export type WebSocketErrorCode = (typeof WEBSOCKET_ERROR_CODES)[number];

/** Options of {@link WebSocketError}: the standard `cause`, and the close code to send. */
export interface WebSocketErrorOptions extends ErrorOptions {
  /** The close code (RFC 6455 §7.4.1) the connection should be closed with, if any. */
  closeCode?: number;
}

/**
 * The base of every error `@socketlab/websockets` raises: check `code`, never the message.
 * Errors raised while reading frames carry `closeCode`, the status code to send in the close
 * frame that answers them (1002, 1007, 1009 or 1011).
 */
export class WebSocketError extends Error {
  override name = 'WebSocketError';
  /** The close code to send because of this error (RFC 6455 §7.4.1), or `undefined`. */
  readonly closeCode: number | undefined;
  constructor(
    readonly code: WebSocketErrorCode,
    message: string,
    options?: WebSocketErrorOptions,
  ) {
    super(message, options);
    this.closeCode = options?.closeCode;
  }
}
