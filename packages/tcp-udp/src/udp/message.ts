import { checkInteger } from '@socketlab/internal';
import { ProtocolError } from '../errors.ts';

/**
 * The envelope of one UDP request/response datagram:
 *
 * ```
 *  0        1        2        3        4        5 ...
 * +--------+--------+--------+--------+--------+---------------+
 * |  type  |        request id (u32, big-endian)|  payload ...  |
 * +--------+--------+--------+--------+--------+---------------+
 * ```
 *
 * `type` is 1 for a request, 2 for a response, 3 for an error response (payload: UTF-8 text).
 * A response carries the id of the request it answers, so a client can match answers to
 * requests and drop duplicates and late answers (UDP reorders and duplicates datagrams: RFC 8085 §3.3, reliability guidelines).
 */
export const UDP_MESSAGE_TYPES = { request: 1, response: 2, error: 3 } as const;

/** The name of a message type: `'request'`, `'response'` or `'error'`. */
export type UdpMessageType = keyof typeof UDP_MESSAGE_TYPES;

/** Bytes before the payload: 1 type byte and a 4-byte request id. */
export const UDP_MESSAGE_HEADER_BYTES = 5;

/** The largest request id; ids wrap from here back to 0. */
export const UDP_MAX_REQUEST_ID = 0xffff_ffff;

/** One decoded envelope. `payload` is a view into the datagram, not a copy. */
export interface UdpMessage {
  readonly type: UdpMessageType;
  /** The request id, 0 ..= 2^32-1. */
  readonly id: number;
  readonly payload: Uint8Array;
}

const TYPE_BY_CODE: ReadonlyMap<number, UdpMessageType> = new Map(
  Object.entries(UDP_MESSAGE_TYPES).map(([name, code]) => [code, name as UdpMessageType]),
);

/**
 * Encodes one envelope into a fresh buffer.
 * @param message the type, the request id and the payload.
 * @returns `5 + payload.length` bytes.
 * @throws {RangeError} when `id` is outside 0 ..= 2^32-1 or `type` is unknown; {TypeError}
 *   when `id` is not an integer.
 * @example encodeUdpMessage({ type: 'request', id: 7, payload: Buffer.from('ping') });
 */
export function encodeUdpMessage(message: UdpMessage): Buffer {
  const code = UDP_MESSAGE_TYPES[message.type];
  if (code === undefined) throw new RangeError(`unknown UDP message type ${String(message.type)}`);
  checkInteger('id', message.id, 0, UDP_MAX_REQUEST_ID);
  const out = Buffer.allocUnsafe(UDP_MESSAGE_HEADER_BYTES + message.payload.length);
  out[0] = code;
  out.writeUInt32BE(message.id, 1);
  out.set(message.payload, UDP_MESSAGE_HEADER_BYTES);
  return out;
}

/**
 * Decodes one datagram. A datagram is a whole message or garbage: there is no "need more".
 * @param datagram the bytes of one received datagram.
 * @throws {ProtocolError} `TCPUDP_ERR_TRUNCATED` when shorter than the 5-byte header,
 *   `TCPUDP_ERR_MALFORMED` when the type byte is unknown.
 * @example decodeUdpMessage(Buffer.from([2, 0, 0, 0, 7, 0x6f, 0x6b])); // response 7, "ok"
 */
export function decodeUdpMessage(datagram: Uint8Array): UdpMessage {
  if (datagram.length < UDP_MESSAGE_HEADER_BYTES) {
    throw new ProtocolError(
      'TCPUDP_ERR_TRUNCATED',
      `a UDP message needs at least ${UDP_MESSAGE_HEADER_BYTES} bytes, got ${datagram.length}`,
    );
  }
  const code = datagram[0] ?? 0;
  const type = TYPE_BY_CODE.get(code);
  if (type === undefined) {
    throw new ProtocolError(
      'TCPUDP_ERR_MALFORMED',
      `unknown UDP message type byte 0x${code.toString(16).padStart(2, '0')} (expected 1, 2 or 3)`,
    );
  }
  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  return { type, id: view.getUint32(1), payload: datagram.subarray(UDP_MESSAGE_HEADER_BYTES) };
}

/** What one received datagram turned out to be: a message, or why it is dropped. */
export type ReceivedDatagram =
  | { readonly message: UdpMessage }
  | { readonly dropped: 'oversized' | 'malformed' };

/**
 * The receiving edge's first step, shared by client and server: a datagram over
 * `maxDatagramBytes` or one that does not decode is dropped (and counted by the caller), never
 * thrown: garbage from the network must not reach the code that answers.
 */
export function receiveDatagram(datagram: Uint8Array, maxDatagramBytes: number): ReceivedDatagram {
  if (datagram.length > maxDatagramBytes) return { dropped: 'oversized' };
  try {
    return { message: decodeUdpMessage(datagram) };
  } catch {
    return { dropped: 'malformed' };
  }
}
