import { LimitExceededError, ProtocolError } from '../errors.ts';

/**
 * The packet types of this package's reliable-UDP protocol.
 * - `SYN` opens a connection (carries the initial sequence number, ISN).
 * - `SYN_ACK` accepts it (carries the server's ISN and acknowledges the client's).
 * - `DATA` carries payload; `ACK` carries only acknowledgement state.
 * - `FIN` ends one direction (after all data, it takes one sequence number).
 * - `RST` aborts, or answers a packet for a connection that does not exist.
 * - `PROBE` (DPLPMTUD, RFC 8899): padding only, never data, no sequence number of the stream; its
 *   `seq` is a probe number. `PROBE_ACK` echoes that number: a datagram of the probe's size
 *   got through. A peer that predates them drops both, which reads as "no larger size".
 * - `COOKIE` answers a `SYN` that carries no valid cookie, from a server that demands one
 *   (`requireHelloCookie`): its `connectionId` and `seq` echo the SYN's, its payload is the
 *   cookie ({@link RELIABLE_COOKIE_BYTES}). The client sends its SYN again with the cookie as
 *   payload; the server keeps no state until then. A SYN's payload is empty or a cookie.
 */
export const RELIABLE_PACKET_TYPES = {
  SYN: 1,
  SYN_ACK: 2,
  DATA: 3,
  ACK: 4,
  FIN: 5,
  RST: 6,
  PROBE: 7,
  PROBE_ACK: 8,
  COOKIE: 9,
} as const;

/** One of the names of {@link RELIABLE_PACKET_TYPES}. */
export type ReliablePacketType = keyof typeof RELIABLE_PACKET_TYPES;

const TYPE_NAMES = new Map<number, ReliablePacketType>(
  Object.entries(RELIABLE_PACKET_TYPES).map(([name, code]) => [code, name as ReliablePacketType]),
);

/** The protocol version this code speaks: the first byte of every packet. */
export const RELIABLE_VERSION = 1;
/** Bytes of the fixed header. */
export const RELIABLE_HEADER_BYTES = 20;
/** Bytes of one SACK block (start and end, u32 each). */
export const RELIABLE_SACK_BLOCK_BYTES = 8;
/** Bytes of a hello cookie: the payload of a COOKIE, and of a SYN that echoes it. */
export const RELIABLE_COOKIE_BYTES = 16;
/** Flag bit: the sender asks for an immediate ACK (a keep-alive probe). */
export const RELIABLE_FLAG_PING = 0x01;

/** A run of sequence numbers the receiver holds beyond its cumulative ACK: `[start, end)`. */
export interface SackBlock {
  readonly start: number;
  readonly end: number;
}

/** One decoded packet. Sequence numbers count packets (segments), not bytes. */
export interface ReliablePacket {
  readonly type: ReliablePacketType;
  /** Flag bits, {@link RELIABLE_FLAG_PING} or 0. */
  readonly flags: number;
  /** Chosen at random by the client; one UDP port carries many connections. */
  readonly connectionId: number;
  /** The packet's sequence number (u32, wraps). */
  readonly seq: number;
  /** The next sequence number the sender expects from its peer (cumulative ACK). */
  readonly ack: number;
  /** How many more segments past `ack` the sender can buffer now (flow control). */
  readonly window: number;
  /** Segments held beyond `ack`, lowest first. */
  readonly sack: readonly SackBlock[];
  /** Payload bytes (empty except in DATA). */
  readonly payload: Uint8Array;
}

/** Limits applied when decoding. */
export interface ReliableCodecLimits {
  /** Largest payload accepted. @default 1200 */
  readonly maxPayloadBytes?: number;
  /** Most SACK blocks accepted in one packet. @default 4 */
  readonly maxSackBlocks?: number;
}

/** Default largest payload: fits a 1280-byte IPv6 minimum MTU with IP and UDP headers. */
export const DEFAULT_RELIABLE_MAX_PAYLOAD_BYTES = 1200;
/** Default most SACK blocks per packet. */
export const DEFAULT_RELIABLE_MAX_SACK_BLOCKS = 4;

/** True when u32 sequence number `a` comes before `b` (RFC 1982 serial arithmetic, 2^31 half). */
export function seqBefore(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/** `b - a` as a signed distance between u32 sequence numbers, safe across wrap-around. */
export function seqDistance(a: number, b: number): number {
  return (b - a) | 0;
}

/** `seq + n`, wrapped to u32. */
export function seqAdd(seq: number, n: number): number {
  return (seq + n) >>> 0;
}

/**
 * Encodes a packet. Pure: the same packet always gives the same bytes.
 * @throws {RangeError} when a number does not fit its u32 field or there are more than 255 SACK blocks.
 * @example encodeReliablePacket({ type: 'ACK', flags: 0, connectionId: 7, seq: 1, ack: 5, window: 32, sack: [], payload: new Uint8Array() });
 */
export function encodeReliablePacket(packet: ReliablePacket): Buffer {
  const out = Buffer.allocUnsafe(reliablePacketBytes(packet));
  encodeReliablePacketInto(packet, out, 0);
  return out;
}

/** Bytes {@link encodeReliablePacket} makes of `packet`. */
export function reliablePacketBytes(packet: ReliablePacket): number {
  return (
    RELIABLE_HEADER_BYTES + packet.sack.length * RELIABLE_SACK_BLOCK_BYTES + packet.payload.length
  );
}

/**
 * Encodes `packet` into `out` at `offset` (room for {@link reliablePacketBytes} is the caller's
 * job) and returns the offset after it: the socket layer encodes one flush's packets into one
 * buffer instead of allocating one per packet.
 * @throws {RangeError} as {@link encodeReliablePacket}.
 */
export function encodeReliablePacketInto(
  packet: ReliablePacket,
  out: Buffer,
  offset: number,
): number {
  const { sack, payload } = packet;
  if (sack.length > 255) throw new RangeError(`at most 255 SACK blocks, got ${sack.length}`);
  out[offset] = RELIABLE_VERSION;
  out[offset + 1] = RELIABLE_PACKET_TYPES[packet.type];
  out[offset + 2] = packet.flags;
  out[offset + 3] = sack.length;
  out.writeUInt32BE(packet.connectionId, offset + 4);
  out.writeUInt32BE(packet.seq, offset + 8);
  out.writeUInt32BE(packet.ack, offset + 12);
  out.writeUInt32BE(packet.window, offset + 16);
  let at = offset + RELIABLE_HEADER_BYTES;
  for (const block of sack) {
    out.writeUInt32BE(block.start, at);
    out.writeUInt32BE(block.end, at + 4);
    at += RELIABLE_SACK_BLOCK_BYTES;
  }
  out.set(payload, at);
  return at + payload.length;
}

/**
 * Decodes one datagram into a packet. A datagram is a whole packet, so a short one is an error.
 * @throws {ProtocolError} `TCPUDP_ERR_TRUNCATED` when shorter than its header and SACK blocks;
 *   `TCPUDP_ERR_MALFORMED` on an unknown version, type or flag, a payload on a packet other than
 *   DATA, PROBE, SYN or COOKIE, a SYN payload that is not a cookie, a COOKIE that has none,
 *   a SACK block on a packet other than ACK/DATA/FIN, or a SACK block with end not after start.
 * @throws {LimitExceededError} `TCPUDP_ERR_FRAME_TOO_LARGE` when the payload exceeds
 *   `maxPayloadBytes`; `TCPUDP_ERR_LIMIT_EXCEEDED` when there are more than `maxSackBlocks`.
 * @example decodeReliablePacket(encodeReliablePacket(packet)).type; // packet.type
 */
export function decodeReliablePacket(
  datagram: Uint8Array,
  limits: ReliableCodecLimits = {},
): ReliablePacket {
  const maxPayload = limits.maxPayloadBytes ?? DEFAULT_RELIABLE_MAX_PAYLOAD_BYTES;
  const maxSack = limits.maxSackBlocks ?? DEFAULT_RELIABLE_MAX_SACK_BLOCKS;
  const bytes = Buffer.from(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  if (bytes.length < RELIABLE_HEADER_BYTES) {
    throw new ProtocolError(
      'TCPUDP_ERR_TRUNCATED',
      `reliable packet of ${bytes.length} bytes is shorter than the ${RELIABLE_HEADER_BYTES}-byte header`,
    );
  }
  if (bytes[0] !== RELIABLE_VERSION) {
    throw new ProtocolError(
      'TCPUDP_ERR_MALFORMED',
      `reliable packet version ${bytes[0]} is not the supported version ${RELIABLE_VERSION}`,
    );
  }
  const type = TYPE_NAMES.get(bytes[1] ?? 0);
  if (type === undefined) {
    throw new ProtocolError('TCPUDP_ERR_MALFORMED', `unknown reliable packet type ${bytes[1]}`);
  }
  const flags = bytes[2] ?? 0;
  if ((flags & ~RELIABLE_FLAG_PING) !== 0) {
    throw new ProtocolError('TCPUDP_ERR_MALFORMED', `unknown flag bits 0x${flags.toString(16)}`);
  }
  const sackCount = bytes[3] ?? 0;
  if (sackCount > maxSack) {
    throw new LimitExceededError(
      'TCPUDP_ERR_LIMIT_EXCEEDED',
      `reliable packet carries ${sackCount} SACK blocks, more than the limit of ${maxSack}`,
      maxSack,
      sackCount,
    );
  }
  if (sackCount > 0 && type !== 'ACK' && type !== 'DATA' && type !== 'FIN') {
    throw new ProtocolError('TCPUDP_ERR_MALFORMED', `a ${type} packet cannot carry SACK blocks`);
  }
  const payloadStart = RELIABLE_HEADER_BYTES + sackCount * RELIABLE_SACK_BLOCK_BYTES;
  if (bytes.length < payloadStart) {
    throw new ProtocolError(
      'TCPUDP_ERR_TRUNCATED',
      `reliable packet announces ${sackCount} SACK blocks but ends at byte ${bytes.length}`,
    );
  }
  const sack: SackBlock[] = [];
  for (let offset = RELIABLE_HEADER_BYTES; offset < payloadStart; offset += 8) {
    const start = bytes.readUInt32BE(offset);
    const end = bytes.readUInt32BE(offset + 4);
    if (!seqBefore(start, end)) {
      throw new ProtocolError(
        'TCPUDP_ERR_MALFORMED',
        `SACK block [${start}, ${end}) is empty or reversed`,
      );
    }
    sack.push({ start, end });
  }
  const payloadLength = bytes.length - payloadStart;
  if (type === 'COOKIE' || type === 'SYN') {
    if (payloadLength !== RELIABLE_COOKIE_BYTES && (type === 'COOKIE' || payloadLength !== 0)) {
      throw new ProtocolError(
        'TCPUDP_ERR_MALFORMED',
        `a ${type} packet carries a ${payloadLength}-byte payload; a cookie is ${RELIABLE_COOKIE_BYTES} bytes`,
      );
    }
  } else if (payloadLength > 0 && type !== 'DATA' && type !== 'PROBE') {
    throw new ProtocolError('TCPUDP_ERR_MALFORMED', `a ${type} packet cannot carry a payload`);
  }
  if (payloadLength > maxPayload) {
    throw new LimitExceededError(
      'TCPUDP_ERR_FRAME_TOO_LARGE',
      `reliable packet payload of ${payloadLength} bytes exceeds the limit of ${maxPayload}`,
      maxPayload,
      payloadLength,
    );
  }
  return {
    type,
    flags,
    connectionId: bytes.readUInt32BE(4),
    seq: bytes.readUInt32BE(8),
    ack: bytes.readUInt32BE(12),
    window: bytes.readUInt32BE(16),
    sack,
    payload: bytes.subarray(payloadStart),
  };
}
