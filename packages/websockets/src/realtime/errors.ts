/**
 * Every stable error code `@socketlab/websockets/realtime` raises. Codes never change meaning; the
 * package README lists each with what causes it and what to do.
 */
export const REALTIME_ERROR_CODES = [
  /** An emit's acknowledgement did not arrive in time: the event may or may not have been handled. */
  'REALTIME_ERR_ACK_TIMEOUT',
  /** The handshake's credentials were missing, malformed, forged, expired or for someone else. */
  'REALTIME_ERR_AUTH',
  /** A client sent more than its token bucket allows (events, bytes or connections per second). */
  'REALTIME_ERR_RATE_LIMITED',
  /** A client asked for more than a fixed limit allows (rooms joined, payload size, history). */
  'REALTIME_ERR_LIMIT',
  /** A client's payload does not have the shape its event's contract says (or is nested too deeply). */
  'REALTIME_ERR_PAYLOAD',
  /** Bytes given to a decoder are not a valid encoding of its schema (or exceed its limits). */
  'REALTIME_ERR_ENCODING',
  /** A TLS connection was refused: unknown CA, expired certificate, or a name that does not match. */
  'REALTIME_ERR_CERTIFICATE',
  /** A client acted on a room or channel it has not joined (sent to it, asked for its history). */
  'REALTIME_ERR_NOT_MEMBER',
] as const;

/** One of {@link REALTIME_ERROR_CODES}. */
export type RealtimeErrorCode = (typeof REALTIME_ERROR_CODES)[number];

/**
 * The base of every error `@socketlab/websockets/realtime` raises: check `code`, never the
 * message. `data` is what Socket.IO sends to the client when a middleware refuses a connection
 * (`connect_error`'s `err.data`): the code and a reason a client can show, never a secret.
 */
export class RealtimeError extends Error {
  override name = 'RealtimeError';
  readonly data: { readonly code: RealtimeErrorCode; readonly reason: string };
  constructor(
    readonly code: RealtimeErrorCode,
    message: string,
    options?: ErrorOptions & { reason?: string },
  ) {
    super(message, options);
    this.data = { code, reason: options?.reason ?? message };
  }
}
