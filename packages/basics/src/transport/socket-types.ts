/**
 * The four socket types of the BSD socket API (STREAM, DGRAM, RAW, SEQPACKET) as a table: what
 * carries each, what it guarantees, and what Node.js offers for it. Pure data and lookups.
 *
 * @see socket(2), socket(7)
 */
import { quoteInput } from '../errors.ts';

/**
 * The four socket types of the BSD socket API (the `type` argument of `socket(2)`), with what
 * each guarantees and what Node.js offers for it. Values of `linuxValue` are Linux's
 * (`<bits/socket_type.h>`); other systems may number them differently.
 *
 * @see socket(2), socket(7), tcp(7), udp(7), raw(7), unix(7)
 * @example
 * SOCKET_TYPES.DGRAM.keepsBoundaries; // true
 * SOCKET_TYPES.RAW.nodeModule; // null: Node has no API for raw sockets
 */
export const SOCKET_TYPES = {
  STREAM: {
    constant: 'SOCK_STREAM',
    linuxValue: 1,
    protocol: 'TCP (in AF_INET/AF_INET6); a local byte stream in AF_UNIX',
    reliable: true,
    ordered: true,
    keepsBoundaries: false,
    connectionOriented: true,
    nodeModule: 'net',
    nodeNote: 'net.createServer() and net.connect(), also for AF_UNIX paths',
    manPages: ['socket(7)', 'tcp(7)'],
    rfc: 'RFC 9293',
  },
  DGRAM: {
    constant: 'SOCK_DGRAM',
    linuxValue: 2,
    protocol: 'UDP (in AF_INET/AF_INET6)',
    reliable: false,
    ordered: false,
    keepsBoundaries: true,
    connectionOriented: false,
    nodeModule: 'dgram',
    nodeNote: "dgram.createSocket('udp4' | 'udp6'); no AF_UNIX datagrams",
    manPages: ['socket(7)', 'udp(7)'],
    rfc: 'RFC 768',
  },
  RAW: {
    constant: 'SOCK_RAW',
    linuxValue: 3,
    protocol:
      'none of its own: the program reads and writes IP payloads (ICMP, custom) or whole IP packets',
    reliable: false,
    ordered: false,
    keepsBoundaries: true,
    connectionOriented: false,
    nodeModule: null,
    nodeNote:
      'none: opening one needs CAP_NET_RAW (usually root) and Node has no API for it, so it takes a native addon',
    manPages: ['raw(7)', 'ip(7)', 'packet(7)'],
    rfc: 'RFC 791',
  },
  SEQPACKET: {
    constant: 'SOCK_SEQPACKET',
    linuxValue: 5,
    protocol:
      'a local message channel in AF_UNIX; SCTP one-to-many style (RFC 6458) where the kernel has SCTP',
    reliable: true,
    ordered: true,
    keepsBoundaries: true,
    connectionOriented: true,
    nodeModule: null,
    nodeNote:
      "none: Linux offers it for AF_UNIX, but Node's net module only opens SOCK_STREAM Unix sockets",
    manPages: ['socket(7)', 'unix(7)', 'sctp(7)'],
    rfc: 'RFC 9260',
  },
} as const;

/** A key of {@link SOCKET_TYPES}: `'STREAM' | 'DGRAM' | 'RAW' | 'SEQPACKET'`. */
export type SocketTypeName = keyof typeof SOCKET_TYPES;

/** One row of {@link SOCKET_TYPES}. */
export type SocketTypeInfo = (typeof SOCKET_TYPES)[SocketTypeName];

const SOCKET_TYPE_NAMES = Object.keys(SOCKET_TYPES) as SocketTypeName[];

/**
 * Reads a socket type name: `STREAM` or its C constant `SOCK_STREAM`, in any case, with
 * surrounding spaces ignored.
 * @param name - The name to read.
 * @returns The key of {@link SOCKET_TYPES}.
 * @throws {TypeError} When `name` is not a string.
 * @throws {RangeError} When `name` is not one of the four types.
 * @example
 * parseSocketType('sock_dgram'); // 'DGRAM'
 */
export function parseSocketType(name: string): SocketTypeName {
  if (typeof name !== 'string') {
    throw new TypeError(`a socket type must be a string, got ${typeof name}`);
  }
  const key = name
    .trim()
    .toUpperCase()
    .replace(/^SOCK_/, '');
  const found = SOCKET_TYPE_NAMES.find((candidate) => candidate === key);
  if (found === undefined) {
    throw new RangeError(
      `unknown socket type ${quoteInput(name)}: expected one of ${SOCKET_TYPE_NAMES.join(', ')} (or SOCK_ followed by one)`,
    );
  }
  return found;
}

/**
 * Describes a socket type in one paragraph: what carries it, what it guarantees, and how to
 * get one from Node.js.
 * @param type - `STREAM`, `DGRAM`, `RAW` or `SEQPACKET`, optionally as `SOCK_…`, any case.
 * @throws {TypeError} When `type` is not a string.
 * @throws {RangeError} When `type` names no socket type.
 * @example
 * describeSocketType('DGRAM');
 * // 'SOCK_DGRAM: UDP (in AF_INET/AF_INET6). Unreliable, unordered, keeps message boundaries, …'
 */
export function describeSocketType(type: SocketTypeName | string): string {
  const info = SOCKET_TYPES[parseSocketType(type)];
  const traits = [
    info.reliable ? 'reliable' : 'unreliable',
    info.ordered ? 'ordered' : 'unordered',
    info.keepsBoundaries ? 'keeps message boundaries' : 'no message boundaries (a byte stream)',
    info.connectionOriented ? 'connection-oriented' : 'connectionless',
  ];
  const sentence = traits.join(', ');
  const node =
    info.nodeModule === null ? info.nodeNote : `node:${info.nodeModule}, ${info.nodeNote}`;
  return `${info.constant}: ${info.protocol}. ${sentence[0]?.toUpperCase()}${sentence.slice(1)}. In Node.js: ${node}. See ${info.manPages.join(', ')}, ${info.rfc}.`;
}
