/**
 * The pure half of the TCP vs UDP module: UDP size limits, and an analysis of what a receiver
 * saw compared with what a sender sent. No I/O here; the edge that opens real sockets is
 * `transport/compare.ts`.
 *
 * @see RFC 9293 (TCP), RFC 768 (UDP), socket(7), tcp(7), udp(7)
 */
import { checkInteger } from '@socketlab/internal';
import { quoteInput } from '../errors.ts';

// ────────────────────────────────────────────────────────────────────────────
// Pure: datagram size limits
// ────────────────────────────────────────────────────────────────────────────

/**
 * UDP payload limits per IP version. The IP length fields are 16 bits, so a packet is at most
 * 65,535 bytes: for IPv4 that total includes the 20-byte IP header and the 8-byte UDP header
 * (65,535 − 28 = 65,507); for IPv6 the 16-bit payload length excludes the 40-byte IPv6 header
 * but includes the UDP header (65,535 − 8 = 65,527; jumbograms, RFC 2675, aside).
 * `ethernetPayload` is the largest payload that fits one 1,500-byte Ethernet frame unfragmented.
 * @see RFC 768, RFC 791 §3.1, RFC 8200 §3, udp(7)
 */
export const UDP_LIMITS = {
  IPv4: { ipHeader: 20, udpHeader: 8, maxPayload: 65_507, ethernetPayload: 1_472 },
  IPv6: { ipHeader: 40, udpHeader: 8, maxPayload: 65_527, ethernetPayload: 1_452 },
} as const;

/** `'IPv4' | 'IPv6'`, the keys of {@link UDP_LIMITS}. */
export type UdpFamily = keyof typeof UDP_LIMITS;

/** What {@link checkDatagramSize} concludes about one payload size. */
export interface DatagramSizeCheck {
  readonly size: number;
  readonly family: UdpFamily;
  /** False when the kernel must refuse the send with `EMSGSIZE`. */
  readonly fits: boolean;
  /** True when it also fits one Ethernet frame (no IP fragmentation on a 1,500-byte MTU). */
  readonly fitsEthernetFrame: boolean;
  readonly limit: number;
  /** Bytes over the limit, 0 when it fits. */
  readonly overBy: number;
}

/**
 * Says whether a UDP payload of `size` bytes can be sent at all, and whether it avoids
 * fragmentation on Ethernet.
 * @param size - Payload bytes, an integer ≥ 0.
 * @param family - The IP version. @default 'IPv4'
 * @throws {RangeError} When `size` is negative or unsafe; {TypeError} when it is not an integer.
 * @example
 * checkDatagramSize(65_508).fits; // false: sending it fails with EMSGSIZE
 */
export function checkDatagramSize(size: number, family: UdpFamily = 'IPv4'): DatagramSizeCheck {
  checkInteger('size', size, 0);
  if (!Object.hasOwn(UDP_LIMITS, family)) {
    throw new RangeError(`family must be IPv4 or IPv6, got ${quoteInput(family)}`);
  }
  const limits = UDP_LIMITS[family];
  return {
    size,
    family,
    fits: size <= limits.maxPayload,
    fitsEthernetFrame: size <= limits.ethernetPayload,
    limit: limits.maxPayload,
    overBy: Math.max(0, size - limits.maxPayload),
  };
}

// ────────────────────────────────────────────────────────────────────────────
// Pure: what the receiver saw
// ────────────────────────────────────────────────────────────────────────────

/** What {@link analyzeStream} finds when comparing writes with the chunks a reader got. */
export interface StreamAnalysis {
  readonly writes: number;
  readonly chunks: number;
  readonly bytesWritten: number;
  readonly bytesReceived: number;
  /** The one thing TCP guarantees: the received bytes, concatenated, equal the written bytes. */
  readonly concatenationEqual: boolean;
  /** True when every chunk happens to be exactly one (non-empty) write. Never guaranteed. */
  readonly boundariesKept: boolean;
  /** True when some chunk carries bytes of more than one write. */
  readonly coalesced: boolean;
  /** True when some write arrived spread over more than one chunk. */
  readonly split: boolean;
}

/**
 * Compares what a writer wrote on a byte stream with the chunks the reader received.
 * Empty writes put no bytes on the wire and are ignored for boundaries.
 * @param writes - The buffers passed to `write()`, in order.
 * @param chunks - The buffers the reader's `'data'` events delivered, in order.
 * @example
 * const enc = new TextEncoder();
 * analyzeStream([enc.encode('ab'), enc.encode('cd')], [enc.encode('abcd')]).coalesced; // true
 */
export function analyzeStream(
  writes: readonly Uint8Array[],
  chunks: readonly Uint8Array[],
): StreamAnalysis {
  const writeEnds = cumulativeEnds(writes);
  const chunkEnds = cumulativeEnds(chunks);
  const bytesWritten = writeEnds.at(-1) ?? 0;
  const bytesReceived = chunkEnds.at(-1) ?? 0;
  const concatenationEqual =
    bytesWritten === bytesReceived && sameBytes(concatBytes(writes), concatBytes(chunks));
  const chunkEndSet = new Set(chunkEnds);
  const writeEndSet = new Set(writeEnds);
  return {
    writes: writes.length,
    chunks: chunks.length,
    bytesWritten,
    bytesReceived,
    concatenationEqual,
    boundariesKept:
      concatenationEqual &&
      writeEndSet.size === chunkEndSet.size &&
      writeEnds.every((end) => chunkEndSet.has(end)),
    // A write boundary strictly inside a chunk means that chunk holds two writes' bytes.
    coalesced: writeEnds.some((end) => end < bytesReceived && !chunkEndSet.has(end)),
    split: chunkEnds.some((end) => end < bytesWritten && !writeEndSet.has(end)),
  };
}

/** What {@link analyzeDatagrams} finds when comparing datagrams sent with datagrams received. */
export interface DatagramAnalysis {
  readonly sent: number;
  readonly received: number;
  /** Received datagrams that equal, byte for byte, one sent message (each sent one counted once). */
  readonly delivered: number;
  /** Sent messages that never arrived. */
  readonly lost: number;
  /** Received datagrams that match no (remaining) sent message: duplicates or pieces. */
  readonly unexpected: number;
  /** True when the delivered ones arrived in the order they were sent. */
  readonly inOrder: boolean;
  /** True when every received datagram was exactly one whole sent message. */
  readonly boundariesKept: boolean;
}

/**
 * Matches received datagrams to sent messages: each received datagram must equal one sent
 * message exactly (UDP never merges or splits them), but some may be lost, duplicated or
 * reordered.
 * @param sent - The payloads passed to `send()`, in order.
 * @param received - The payloads of the `'message'` events, in order.
 * @example
 * const enc = new TextEncoder();
 * analyzeDatagrams([enc.encode('a'), enc.encode('b')], [enc.encode('b')]).lost; // 1
 */
export function analyzeDatagrams(
  sent: readonly Uint8Array[],
  received: readonly Uint8Array[],
): DatagramAnalysis {
  const used = new Array<boolean>(sent.length).fill(false);
  const matchedIndexes: number[] = [];
  for (const datagram of received) {
    const index = sent.findIndex((message, i) => !used[i] && sameBytes(message, datagram));
    if (index === -1) continue;
    used[index] = true;
    matchedIndexes.push(index);
  }
  const delivered = matchedIndexes.length;
  return {
    sent: sent.length,
    received: received.length,
    delivered,
    lost: sent.length - delivered,
    unexpected: received.length - delivered,
    inOrder: matchedIndexes.every((index, i) => i === 0 || index > (matchedIndexes[i - 1] ?? -1)),
    boundariesKept: delivered === received.length,
  };
}

function cumulativeEnds(parts: readonly Uint8Array[]): number[] {
  const ends: number[] = [];
  let total = 0;
  for (const part of parts) {
    if (part.length === 0) continue;
    total += part.length;
    ends.push(total);
  }
  return ends;
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(parts.map((part) => Buffer.from(part.buffer, part.byteOffset, part.length)));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
