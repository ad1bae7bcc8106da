/**
 * A tiny authoritative DNS server for tests: UDP on 127.0.0.1, port 0, answering A and AAAA
 * questions from a table, with NXDOMAIN, SERVFAIL, REFUSED, or silence on demand.
 * Only what c-ares needs is implemented: the RFC 1035 header, one question, and A/AAAA answers.
 * @see RFC 1035 §4.1 (message format), RFC 3596 (AAAA)
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { withTimeout } from '@socketlab/testkit';

/** Resource record types used here. @see RFC 1035 §3.2.2, RFC 3596 §2.1 */
export const RR_TYPE = { A: 1, AAAA: 28 } as const;
/** The Internet class. @see RFC 1035 §3.2.4 */
export const CLASS_IN = 1;
/** Response codes. @see RFC 1035 §4.1.1 */
export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
} as const;

const HEADER_BYTES = 12;
const MAX_NAME_BYTES = 255;

/** One question, decoded. */
export interface DnsQuestion {
  /** Lower-cased, without the trailing dot. */
  name: string;
  type: number;
  class: number;
}

/** A query, decoded as far as this server needs. */
export interface DecodedQuery {
  id: number;
  /** Whether the client asked for recursion (echoed back). */
  recursionDesired: boolean;
  question: DnsQuestion;
  /** The question section exactly as sent, to echo in the answer. */
  questionBytes: Buffer;
}

/** Encodes a name as length-prefixed labels ending in a zero byte. */
export function encodeName(name: string): Buffer {
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  const parts = bare === '' ? [] : bare.split('.');
  const bytes: number[] = [];
  for (const label of parts) {
    const encoded = Buffer.from(label, 'ascii');
    if (encoded.length === 0 || encoded.length > 63) throw new RangeError(`bad label in ${name}`);
    bytes.push(encoded.length, ...encoded);
  }
  bytes.push(0);
  if (bytes.length > MAX_NAME_BYTES) throw new RangeError(`name too long: ${name}`);
  return Buffer.from(bytes);
}

/** Decodes an uncompressed name at `offset`; returns it and the offset after it. */
export function decodeName(message: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let at = offset;
  for (;;) {
    const length = message[at];
    if (length === undefined) throw new RangeError('name runs past the end of the message');
    if (length === 0) break;
    if (length > 63)
      throw new RangeError(`label length byte ${length} (compression is not expected in a query)`);
    if (at + 1 + length > message.length)
      throw new RangeError('label runs past the end of the message');
    labels.push(message.subarray(at + 1, at + 1 + length).toString('latin1'));
    at += 1 + length;
    if (at - offset > MAX_NAME_BYTES) throw new RangeError('name longer than 255 bytes');
  }
  return { name: labels.join('.').toLowerCase(), end: at + 1 };
}

/** Builds a standard query with one question (what a client sends; used to test the codec). */
export function encodeQuery(id: number, name: string, type: number): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(CLASS_IN, 2);
  return Buffer.concat([header, encodeName(name), tail]);
}

/** Decodes a query with exactly one question; throws `RangeError` on anything malformed. */
export function decodeQuery(message: Buffer): DecodedQuery {
  if (message.length < HEADER_BYTES)
    throw new RangeError(`message of ${message.length} bytes is shorter than a header`);
  const flags = message.readUInt16BE(2);
  if (flags & 0x8000) throw new RangeError('message is a response, not a query');
  if (message.readUInt16BE(4) !== 1) throw new RangeError('expected exactly one question');
  const { name, end } = decodeName(message, HEADER_BYTES);
  if (end + 4 > message.length) throw new RangeError('question runs past the end of the message');
  return {
    id: message.readUInt16BE(0),
    recursionDesired: (flags & 0x0100) !== 0,
    question: { name, type: message.readUInt16BE(end), class: message.readUInt16BE(end + 2) },
    questionBytes: message.subarray(HEADER_BYTES, end + 4),
  };
}

/** One A or AAAA answer to encode. */
export interface AddressAnswer {
  address: string;
  ttl: number;
}

/** Builds the response to `query`: the question echoed, then answers naming it by pointer. */
export function encodeResponse(
  query: DecodedQuery,
  rcode: number,
  answers: readonly AddressAnswer[] = [],
): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt16BE(query.id, 0);
  // QR=1, AA=1, RD echoed, RA=1, RCODE.
  header.writeUInt16BE(
    0x8000 | 0x0400 | (query.recursionDesired ? 0x0100 : 0) | 0x0080 | (rcode & 0xf),
    2,
  );
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  const records = answers.map(({ address, ttl }) => {
    const data = addressBytes(address);
    const record = Buffer.alloc(12);
    record.writeUInt16BE(0xc000 | HEADER_BYTES, 0); // pointer to the name in the question
    record.writeUInt16BE(data.length === 4 ? RR_TYPE.A : RR_TYPE.AAAA, 2);
    record.writeUInt16BE(CLASS_IN, 4);
    record.writeUInt32BE(ttl, 6);
    record.writeUInt16BE(data.length, 10);
    return Buffer.concat([record, data]);
  });
  return Buffer.concat([header, query.questionBytes, ...records]);
}

/** `10.0.0.1` → 4 bytes; `fd00::1` → 16 bytes. */
export function addressBytes(address: string): Buffer {
  if (!address.includes(':')) return Buffer.from(address.split('.').map(Number));
  const [head = '', tail = ''] = address.split('::');
  const groups = (text: string): string[] => (text === '' ? [] : text.split(':'));
  const left = groups(head);
  const right = address.includes('::') ? groups(tail) : [];
  const middle = Array.from({ length: 8 - left.length - right.length }, () => '0');
  const out = Buffer.alloc(16);
  [...left, ...middle, ...right].forEach((group, index) => {
    out.writeUInt16BE(Number.parseInt(group, 16), index * 2);
  });
  return out;
}

/** How the fake server treats a name. */
export type FakeZoneEntry =
  | { A?: readonly string[]; AAAA?: readonly string[]; ttl?: number }
  | 'NXDOMAIN'
  | 'SERVFAIL'
  | 'REFUSED'
  | 'silent';

/** A running fake server. */
export interface FakeDnsServer {
  /** What `resolver.setServers()` takes: `127.0.0.1:<port>`. */
  readonly address: string;
  readonly port: number;
  /** Every question received, in order. */
  readonly queries: DnsQuestion[];
  close(): Promise<void>;
}

/**
 * Starts the server. Names missing from `zone` get NXDOMAIN; a listed name with no records of the
 * asked type gets an empty NOERROR answer (which c-ares reports as ENODATA).
 */
export async function startFakeDnsServer(
  zone: Record<string, FakeZoneEntry>,
  defaultTtl = 300,
): Promise<FakeDnsServer> {
  const socket = dgram.createSocket('udp4');
  const queries: DnsQuestion[] = [];
  socket.on('message', (message, peer) => {
    let query: DecodedQuery;
    try {
      query = decodeQuery(message);
    } catch {
      return; // not a query we understand: a real server might send FORMERR; silence is enough here
    }
    queries.push(query.question);
    const entry = Object.hasOwn(zone, query.question.name) ? zone[query.question.name] : 'NXDOMAIN';
    if (entry === 'silent') return;
    let reply: Buffer;
    if (entry === undefined || entry === 'NXDOMAIN') reply = encodeResponse(query, RCODE.NXDOMAIN);
    else if (entry === 'SERVFAIL') reply = encodeResponse(query, RCODE.SERVFAIL);
    else if (entry === 'REFUSED') reply = encodeResponse(query, RCODE.REFUSED);
    else {
      const ttl = entry.ttl ?? defaultTtl;
      const list =
        query.question.type === RR_TYPE.A
          ? entry.A
          : query.question.type === RR_TYPE.AAAA
            ? entry.AAAA
            : [];
      reply = encodeResponse(
        query,
        RCODE.NOERROR,
        (list ?? []).map((address) => ({ address, ttl })),
      );
    }
    socket.send(reply, peer.port, peer.address);
  });
  socket.bind(0, '127.0.0.1');
  await withTimeout(once(socket, 'listening'), 'the fake DNS server to bind');
  const { port } = socket.address();
  return {
    address: `127.0.0.1:${port}`,
    port,
    queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
