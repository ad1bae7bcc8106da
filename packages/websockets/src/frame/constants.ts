/**
 * The numbers RFC 6455 gives the frame layer: opcodes (§5.2, §11.8), close status codes (§7.4,
 * §11.7, and the IANA "WebSocket Close Code Number Registry" for 1012–1015) and the limits of
 * control frames (§5.5).
 */

/**
 * The opcodes of RFC 6455 §5.2. 3–7 are reserved for further non-control frames and 11–15 for
 * further control frames: a receiver fails the connection on any of them.
 *
 * @see RFC 6455 §5.2, §11.8
 * @example
 * ```ts
 * OPCODES.TEXT; // 1
 * ```
 */
export const OPCODES = {
  CONTINUATION: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
} as const;

/** One of the {@link OPCODES}. */
export type Opcode = (typeof OPCODES)[keyof typeof OPCODES];

/**
 * Whether `opcode` is one RFC 6455 defines (0, 1, 2, 8, 9, 10).
 * @see RFC 6455 §5.2
 * @example
 * ```ts
 * isKnownOpcode(3); // false (reserved)
 * ```
 */
export function isKnownOpcode(opcode: number): opcode is Opcode {
  return opcode <= 0x2 || (opcode >= 0x8 && opcode <= 0xa);
}

/**
 * Whether `opcode` is a control frame's (close, ping, pong, and the reserved 11–15): its most
 * significant bit is set.
 * @see RFC 6455 §5.5
 * @example
 * ```ts
 * isControlOpcode(OPCODES.PING); // true
 * ```
 */
export function isControlOpcode(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

/** The largest payload of a control frame: 125 bytes (RFC 6455 §5.5), so its length fits in 7 bits. */
export const CONTROL_MAX_PAYLOAD_BYTES = 125;

/** The longest close reason: 123 bytes of UTF-8, the 125 of a control frame less the 2-byte code. */
export const CLOSE_REASON_MAX_BYTES = 123;

/**
 * The close status codes with a name. 1004 is reserved; 1005 (no code was sent), 1006 (the
 * connection dropped without a close frame) and 1015 (TLS handshake failed) are reported
 * locally and never sent. 1012–1014 come from the IANA registry, not from RFC 6455.
 *
 * @see RFC 6455 §7.4.1, §11.7; https://www.iana.org/assignments/websocket/websocket.xhtml
 * @example
 * ```ts
 * CLOSE_CODES.PROTOCOL_ERROR; // 1002
 * ```
 */
export const CLOSE_CODES = {
  NORMAL_CLOSURE: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  NO_STATUS_RECEIVED: 1005,
  ABNORMAL_CLOSURE: 1006,
  INVALID_FRAME_PAYLOAD_DATA: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  MANDATORY_EXTENSION: 1010,
  INTERNAL_ERROR: 1011,
  SERVICE_RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
  BAD_GATEWAY: 1014,
  TLS_HANDSHAKE: 1015,
} as const;

/** One of the named {@link CLOSE_CODES}. */
export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

/**
 * Whether `code` may appear in a close frame on the wire: 1000–1003, 1007–1014 and 3000–4999
 * (3000–3999 are registered with IANA, 4000–4999 are for private use). 1004 is reserved, 1005,
 * 1006 and 1015 must never be sent, the rest of 0–2999 is reserved for future RFCs, and
 * 5000 and up are not defined: a receiver fails the connection with 1002 on any of them.
 *
 * @see RFC 6455 §7.4.1, §7.4.2
 * @example
 * ```ts
 * isValidCloseCodeOnWire(1000); // true
 * isValidCloseCodeOnWire(1005); // false
 * isValidCloseCodeOnWire(4001); // true
 * ```
 */
export function isValidCloseCodeOnWire(code: number): boolean {
  if (!Number.isInteger(code)) return false;
  if (code >= 3000 && code <= 4999) return true;
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014);
}
