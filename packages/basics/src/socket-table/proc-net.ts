import { ParseError, quoteInput } from '../errors.ts';
import { linuxStateName, type TcpState } from '../tcp/index.ts';

/** The four socket tables Linux keeps under `/proc/net/`. */
export const SOCKET_PROTOCOLS = ['tcp', 'tcp6', 'udp', 'udp6'] as const;

/** One of {@link SOCKET_PROTOCOLS}. */
export type SocketProtocol = (typeof SOCKET_PROTOCOLS)[number];

/** A UDP socket's "state", spelled as `ss` spells it: connected (`ESTAB`) or not (`UNCONN`). */
export type UdpSocketState = 'UNCONN' | 'ESTAB';

/** A TCP state (RFC spelling) for TCP sockets, `UNCONN`/`ESTAB` for UDP sockets. */
export type SocketState = TcpState | UdpSocketState;

/** Which kernel timer is pending on a socket (the `tr` column of `/proc/net/tcp`). */
export type SocketTimerKind =
  | 'none'
  | 'retransmit'
  | 'keepalive'
  | 'time-wait'
  | 'zero-window-probe'
  | 'other';

/** One row of the socket table. */
export interface SocketTableEntry {
  readonly protocol: SocketProtocol;
  readonly state: SocketState;
  /** Text form: dotted quad, or IPv6 in RFC 5952 form (`::1`, `::ffff:127.0.0.1`). */
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  /** 0 when there is no peer (a listening or unconnected socket). */
  readonly remotePort: number;
  /** Bytes received and not yet read by the application; for LISTEN, connections awaiting accept(). */
  readonly rxQueue: number;
  /** Bytes sent and not yet acknowledged (TCP), or queued to send (UDP). */
  readonly txQueue: number;
  /** The owner's user id (0 for TIME-WAIT sockets, which no process owns). */
  readonly uid: number;
  /** The socket's inode, which links it to a process's `/proc/PID/fd` (0 when no process owns it). */
  readonly inode: number;
  /** The pending timer and when it fires, in clock ticks (`USER_HZ`, normally 100 per second). */
  readonly timer: { readonly kind: SocketTimerKind; readonly ticks: number };
  /** Unrecovered retransmissions (TCP) so far. */
  readonly retransmits: number;
}

/** A line {@link parseProcNet} skipped in `malformed: 'skip'` mode. */
export interface ProcNetWarning {
  readonly line: number;
  readonly error: ParseError;
}

/** Options of {@link parseProcNet}. */
export interface ParseProcNetOptions {
  /** What to do with a malformed line: throw, or skip it and report it to `onWarning`. @default 'throw' */
  readonly malformed?: 'throw' | 'skip';
  /** Told about each skipped line in `malformed: 'skip'` mode. */
  readonly onWarning?: (warning: ProcNetWarning) => void;
  /** The byte order of the machine that wrote the text (the kernel prints addresses in host order). @default 'LE' */
  readonly byteOrder?: 'LE' | 'BE';
  /** The name used for the text in error messages. @default `/proc/net/${protocol}` */
  readonly source?: string;
}

/** Real lines are under 200 characters; anything this long is not a socket line. */
const MAX_LINE_LENGTH = 1_024;
const TIMERS: readonly SocketTimerKind[] = [
  'none',
  'retransmit',
  'keepalive',
  'time-wait',
  'zero-window-probe',
];

const V4_ENDPOINT = /^[0-9A-Fa-f]{8}:[0-9A-Fa-f]{4}$/;
const V6_ENDPOINT = /^[0-9A-Fa-f]{32}:[0-9A-Fa-f]{4}$/;

function hexByte(text: string, at: number): number {
  return Number.parseInt(text.slice(at, at + 2), 16);
}

function formatV6(bytes: readonly number[]): string {
  const words = Array.from(
    { length: 8 },
    (_, i) => ((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0),
  );
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  let best = { at: -1, length: 1 };
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > best.length) best = { at: i, length: j - i };
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best.at < 0) return hex.join(':');
  const head = hex.slice(0, best.at).join(':');
  const tail = hex.slice(best.at + best.length).join(':');
  return `${head}::${tail}`;
}

/**
 * Decodes an address as `/proc/net/{tcp,udp}{,6}` prints it: 8 or 32 hex digits, each 32-bit word
 * in the host's byte order. IPv6 comes out in RFC 5952 form, IPv4-mapped as `::ffff:a.b.c.d`.
 * @param hex - the address part of a `local_address` or `rem_address` column
 * @param byteOrder - the byte order of the machine that wrote it
 * @default byteOrder 'LE'
 * @throws {ParseError} `BASICS_ERR_PARSE` unless `hex` is 8 or 32 hex digits.
 * @see RFC 5952 §4, §5
 * @example
 * decodeProcNetAddress('0100007F'); // '127.0.0.1'
 * decodeProcNetAddress('00000000000000000000000001000000'); // '::1'
 */
export function decodeProcNetAddress(hex: string, byteOrder: 'LE' | 'BE' = 'LE'): string {
  if (typeof hex !== 'string' || !/^(?:[0-9A-Fa-f]{8}|[0-9A-Fa-f]{32})$/.test(hex)) {
    throw new ParseError(`expected an address of 8 or 32 hex digits, got ${quoteInput(hex)}`, hex);
  }
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    const order = byteOrder === 'LE' ? [6, 4, 2, 0] : [0, 2, 4, 6];
    for (const at of order) bytes.push(hexByte(hex, word + at));
  }
  return bytes.length === 4 ? bytes.join('.') : formatV6(bytes);
}

function field(tokens: readonly string[], index: number, pattern: RegExp, name: string): string {
  const token = tokens[index];
  if (token === undefined || !pattern.test(token)) {
    throw new Error(
      token === undefined
        ? `the ${name} column is missing`
        : `the ${name} column is ${quoteInput(token, 40)}`,
    );
  }
  return token;
}

function safeNumber(text: string, radix: 10 | 16, name: string): number {
  const value = Number.parseInt(text, radix);
  if (!Number.isSafeInteger(value)) throw new Error(`the ${name} ${text} is too large`);
  return value;
}

function parseLine(
  tokens: readonly string[],
  protocol: SocketProtocol,
  byteOrder: 'LE' | 'BE',
): SocketTableEntry {
  const hexDigits = protocol.endsWith('6') ? 32 : 8;
  const endpoint = hexDigits === 32 ? V6_ENDPOINT : V4_ENDPOINT;
  field(tokens, 0, /^\d{1,10}:$/, 'sl (slot)');
  const local = field(tokens, 1, endpoint, `local_address (${hexDigits} hex digits:port)`);
  const remote = field(tokens, 2, endpoint, `rem_address (${hexDigits} hex digits:port)`);
  const st = field(tokens, 3, /^[0-9A-Fa-f]{2}$/, 'st (state)');
  const queues = field(tokens, 4, /^[0-9A-Fa-f]{8}:[0-9A-Fa-f]{8}$/, 'tx_queue:rx_queue');
  const timer = field(tokens, 5, /^[0-9A-Fa-f]{2}:[0-9A-Fa-f]{1,16}$/, 'tr:tm->when');
  const retransmits = field(tokens, 6, /^[0-9A-Fa-f]{8}$/, 'retrnsmt');
  const uid = field(tokens, 7, /^\d{1,10}$/, 'uid');
  field(tokens, 8, /^-?\d{1,10}$/, 'timeout');
  const inode = field(tokens, 9, /^\d{1,20}$/, 'inode');
  let state: SocketState;
  if (protocol.startsWith('udp')) {
    if (st !== '01' && st !== '07')
      throw new Error(`the st (state) ${st} is not 01 or 07, the two UDP uses`);
    state = st === '01' ? 'ESTAB' : 'UNCONN';
  } else {
    state = linuxStateName(st);
  }
  const [tx = '', rx = ''] = queues.split(':');
  const [tr = '', when = ''] = timer.split(':');
  const [localHex = '', localPort = ''] = local.split(':');
  const [remoteHex = '', remotePort = ''] = remote.split(':');
  return {
    protocol,
    state,
    localAddress: decodeProcNetAddress(localHex, byteOrder),
    localPort: Number.parseInt(localPort, 16),
    remoteAddress: decodeProcNetAddress(remoteHex, byteOrder),
    remotePort: Number.parseInt(remotePort, 16),
    rxQueue: Number.parseInt(rx, 16),
    txQueue: Number.parseInt(tx, 16),
    uid: safeNumber(uid, 10, 'uid'),
    inode: safeNumber(inode, 10, 'inode'),
    timer: {
      kind: TIMERS[Number.parseInt(tr, 16)] ?? 'other',
      ticks: safeNumber(when, 16, 'timer'),
    },
    retransmits: Number.parseInt(retransmits, 16),
  };
}

/**
 * Parses the text of `/proc/net/tcp`, `tcp6`, `udp` or `udp6` (header line optional) into entries.
 * Pure: no I/O, so it parses text captured on another machine just as well.
 * @param text - the file's whole text
 * @param protocol - which file it is (decides the address width and how to read `st`)
 * @param options - see {@link ParseProcNetOptions}
 * @throws {TypeError} when `text` is not a string or an option is not one of its values.
 * @throws {ParseError} `BASICS_ERR_PARSE` naming the line number and the column at fault, for the
 *   first malformed line (unless `malformed: 'skip'`).
 * @example
 * parseProcNet('0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 1000 0 4242', 'tcp');
 * // [{ protocol: 'tcp', state: 'LISTEN', localAddress: '127.0.0.1', localPort: 8080, … }]
 */
export function parseProcNet(
  text: string,
  protocol: SocketProtocol,
  options: ParseProcNetOptions = {},
): SocketTableEntry[] {
  if (typeof text !== 'string')
    throw new TypeError(`expected the text of a /proc/net file, got ${quoteInput(typeof text)}`);
  if (!(SOCKET_PROTOCOLS as readonly unknown[]).includes(protocol)) {
    throw new TypeError(
      `protocol must be one of ${SOCKET_PROTOCOLS.join(', ')}, got ${quoteInput(protocol)}`,
    );
  }
  const {
    malformed = 'throw',
    onWarning,
    byteOrder = 'LE',
    source = `/proc/net/${protocol}`,
  } = options;
  if (malformed !== 'throw' && malformed !== 'skip')
    throw new TypeError(`malformed must be 'throw' or 'skip', got ${quoteInput(malformed)}`);
  if (byteOrder !== 'LE' && byteOrder !== 'BE')
    throw new TypeError(`byteOrder must be 'LE' or 'BE', got ${quoteInput(byteOrder)}`);
  if (onWarning !== undefined && typeof onWarning !== 'function')
    throw new TypeError('onWarning must be a function');
  const entries: SocketTableEntry[] = [];
  let sawLine = false;
  for (const [index, line] of text.split('\n').entries()) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    const first = !sawLine;
    sawLine = true;
    if (first && /^sl\s/.test(trimmed)) continue;
    try {
      if (trimmed.length > MAX_LINE_LENGTH)
        throw new Error(
          `the line is ${trimmed.length} characters long (a socket line is under ${MAX_LINE_LENGTH})`,
        );
      entries.push(parseLine(trimmed.split(/\s+/), protocol, byteOrder));
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const error = new ParseError(
        `${source} line ${index + 1} is not a socket line: ${reason}; the line was ${quoteInput(trimmed, 200)}`,
        trimmed,
        index + 1,
        { cause: err },
      );
      if (malformed === 'throw') throw error;
      onWarning?.({ line: index + 1, error });
    }
  }
  return entries;
}
