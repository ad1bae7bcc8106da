import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { checkInteger } from '@socketlab/internal';
import { formatEndpoint, PORT_MAX } from '../addresses/index.ts';
import { BasicsError, quoteInput } from '../errors.ts';
import { isTcpState } from '../tcp/index.ts';
import {
  type ParseProcNetOptions,
  parseProcNet,
  SOCKET_PROTOCOLS,
  type SocketProtocol,
  type SocketState,
  type SocketTableEntry,
} from './proc-net.ts';

/** Options of {@link readSocketTable}. */
export interface ReadSocketTableOptions {
  /** Which tables to read. @default ['tcp', 'tcp6', 'udp', 'udp6'] */
  readonly protocols?: readonly SocketProtocol[];
  /** Where procfs is mounted; point it at a copy to read a captured table on any platform. @default '/proc' */
  readonly procRoot?: string;
  /** What to do with a malformed line (see {@link parseProcNet}). @default 'throw' */
  readonly malformed?: ParseProcNetOptions['malformed'];
  /** Told about each skipped line; by default they become process warnings (`process.emitWarning`). */
  readonly onWarning?: ParseProcNetOptions['onWarning'];
}

const ELSEWHERE =
  'the socket table is read from /proc/net, which only Linux has; on macOS, BSD or Windows use `netstat -an` or `lsof -i` instead';

function checkProtocols(protocols: unknown): readonly SocketProtocol[] {
  if (!Array.isArray(protocols) || protocols.length === 0) {
    throw new TypeError(
      `protocols must be a non-empty array of ${SOCKET_PROTOCOLS.join(', ')}, got ${quoteInput(protocols)}`,
    );
  }
  for (const protocol of protocols) {
    if (!(SOCKET_PROTOCOLS as readonly unknown[]).includes(protocol)) {
      throw new TypeError(
        `protocols may only hold ${SOCKET_PROTOCOLS.join(', ')}, got ${quoteInput(protocol)}`,
      );
    }
  }
  return [...new Set(protocols as SocketProtocol[])];
}

async function readTable(
  procRoot: string,
  protocol: SocketProtocol,
  options: ParseProcNetOptions,
): Promise<SocketTableEntry[]> {
  const file = path.join(procRoot, 'net', protocol);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // A kernel without IPv6 has no tcp6/udp6 table: it simply has no IPv6 sockets.
    if (code === 'ENOENT' && protocol.endsWith('6')) return [];
    throw new BasicsError(
      'BASICS_ERR_UNSUPPORTED_PLATFORM',
      `cannot read ${file} (${code ?? String(err)}): ${ELSEWHERE}`,
      { cause: err },
    );
  }
  return parseProcNet(text, protocol, { ...options, source: file });
}

/**
 * Reads the kernel's socket table, like `ss -tuna`: every TCP and UDP socket of this network
 * namespace, from `/proc/net/{tcp,tcp6,udp,udp6}`. The tables are read one after another, so a
 * busy machine's sockets may change between them.
 * @param options - see {@link ReadSocketTableOptions}
 * @returns the entries, tcp first, in the kernel's order
 * @throws {TypeError} (synchronously) for options that are not of the documented types.
 * @throws {BasicsError} `BASICS_ERR_UNSUPPORTED_PLATFORM` (rejects) on a platform without
 *   `/proc/net` (unless `procRoot` is given), or when a table cannot be read.
 * @throws {ParseError} `BASICS_ERR_PARSE` (rejects) for a malformed line, unless `malformed: 'skip'`.
 * @example
 * const listening = filterSockets(await readSocketTable({ protocols: ['tcp'] }), { state: 'LISTEN' });
 * console.log(formatSocketTable(listening));
 */
export function readSocketTable(options: ReadSocketTableOptions = {}): Promise<SocketTableEntry[]> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object, got ${quoteInput(options)}`);
  }
  const protocols = checkProtocols(options.protocols ?? SOCKET_PROTOCOLS);
  const { procRoot, malformed = 'throw', onWarning } = options;
  if (procRoot !== undefined && (typeof procRoot !== 'string' || procRoot === '')) {
    throw new TypeError(`procRoot must be a non-empty path, got ${quoteInput(procRoot)}`);
  }
  if (malformed !== 'throw' && malformed !== 'skip') {
    throw new TypeError(`malformed must be 'throw' or 'skip', got ${quoteInput(malformed)}`);
  }
  if (onWarning !== undefined && typeof onWarning !== 'function') {
    throw new TypeError('onWarning must be a function');
  }
  if (procRoot === undefined && process.platform !== 'linux') {
    return Promise.reject(
      new BasicsError(
        'BASICS_ERR_UNSUPPORTED_PLATFORM',
        `this is ${process.platform}: ${ELSEWHERE}`,
      ),
    );
  }
  const parseOptions: ParseProcNetOptions = {
    malformed,
    byteOrder: os.endianness(),
    onWarning:
      onWarning ??
      ((warning) => process.emitWarning(warning.error.message, { code: warning.error.code })),
  };
  return (async () => {
    const entries: SocketTableEntry[] = [];
    for (const protocol of protocols) {
      entries.push(...(await readTable(procRoot ?? '/proc', protocol, parseOptions)));
    }
    return entries;
  })();
}

const SS_NAMES: Record<SocketState, string> = {
  CLOSED: 'UNCONN',
  LISTEN: 'LISTEN',
  'SYN-SENT': 'SYN-SENT',
  'SYN-RECEIVED': 'SYN-RECV',
  ESTABLISHED: 'ESTAB',
  'FIN-WAIT-1': 'FIN-WAIT-1',
  'FIN-WAIT-2': 'FIN-WAIT-2',
  'CLOSE-WAIT': 'CLOSE-WAIT',
  CLOSING: 'CLOSING',
  'LAST-ACK': 'LAST-ACK',
  'TIME-WAIT': 'TIME-WAIT',
  UNCONN: 'UNCONN',
  ESTAB: 'ESTAB',
};

/**
 * How `ss` spells a state (`ESTAB`, `SYN-RECV`, `UNCONN`, …).
 * @param state - a state as {@link SocketTableEntry} holds it
 * @example
 * ssStateName('ESTABLISHED'); // 'ESTAB'
 */
export function ssStateName(state: SocketState): string {
  return Object.hasOwn(SS_NAMES, state) ? SS_NAMES[state] : String(state);
}

/**
 * Reads a state name in any common spelling: ours (`TIME-WAIT`), `ss`'s (`ESTAB`, `SYN-RECV`,
 * `UNCONN`), netstat's and the kernel's (`TIME_WAIT`, `SYN_RECV`, `FIN_WAIT1`, `LISTENING`), in any case.
 * `ss` writes `ESTAB` and `UNCONN` for TCP and UDP alike; say which table the name is for to get
 * the name an entry of that table has (`ESTAB` is ESTABLISHED for TCP, ESTAB for UDP).
 * @param name - the state name
 * @param protocol - the table the name is meant for; without it, `ESTAB` and `UNCONN` stay as they are
 * @throws {RangeError} for a name that is none of these.
 * @example
 * normalizeSocketState('time_wait'); // 'TIME-WAIT'
 * normalizeSocketState('ESTAB', 'tcp'); // 'ESTABLISHED'
 */
export function normalizeSocketState(name: string, protocol?: SocketProtocol): SocketState {
  const text = String(name)
    .trim()
    .toUpperCase()
    .replace(/_/g, '-')
    .replace(/^FIN-WAIT(\d)$/, 'FIN-WAIT-$1');
  const aliases: Record<string, SocketState> = {
    'SYN-RECV': 'SYN-RECEIVED',
    LISTENING: 'LISTEN',
    CLOSE: 'CLOSED',
    UNCONN: 'UNCONN',
    ESTAB: 'ESTAB',
  };
  const state = Object.hasOwn(aliases, text) ? aliases[text] : text;
  if (!isTcpState(state) && state !== 'UNCONN' && state !== 'ESTAB') {
    throw new RangeError(
      `unknown socket state ${quoteInput(name)}: expected a TCP state (LISTEN, ESTABLISHED, TIME-WAIT, …), UNCONN or ESTAB`,
    );
  }
  if (protocol?.startsWith('tcp')) {
    if (state === 'ESTAB') return 'ESTABLISHED';
    if (state === 'UNCONN') return 'CLOSED';
  } else if (protocol?.startsWith('udp')) {
    if (state === 'ESTABLISHED') return 'ESTAB';
    if (state === 'CLOSED') return 'UNCONN';
  }
  return state;
}

/** `ss` style: port 0 (nothing bound or connected yet) shows as `*`. */
function endpoint(address: string, port: number): string {
  const text = formatEndpoint({ host: address, port });
  return port === 0 ? `${text.slice(0, -1)}*` : text;
}

/** Options of {@link formatSocketTable}. */
export interface FormatSocketTableOptions {
  /** Spell states the RFC's way (`ESTABLISHED`) or `ss`'s way (`ESTAB`). @default 'rfc' */
  readonly stateNames?: 'rfc' | 'ss';
}

/**
 * Prints entries as columns, like `ss -tuna`: Netid, State, Recv-Q, Send-Q, Local Address:Port,
 * Peer Address:Port. IPv6 addresses are bracketed, and port 0 (no peer) prints as `*`.
 * @param entries - rows from {@link readSocketTable} or {@link parseProcNet}
 * @param options - see {@link FormatSocketTableOptions}
 * @returns the table, one line per entry after the header, without a final newline
 * @example
 * console.log(formatSocketTable(await readSocketTable()));
 * // Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port
 * // tcp   LISTEN 0      0      127.0.0.1:6379     0.0.0.0:*
 */
export function formatSocketTable(
  entries: readonly SocketTableEntry[],
  options: FormatSocketTableOptions = {},
): string {
  const { stateNames = 'rfc' } = options;
  if (stateNames !== 'rfc' && stateNames !== 'ss') {
    throw new TypeError(`stateNames must be 'rfc' or 'ss', got ${quoteInput(stateNames)}`);
  }
  const rows = [
    ['Netid', 'State', 'Recv-Q', 'Send-Q', 'Local Address:Port', 'Peer Address:Port'],
    ...entries.map((e) => [
      e.protocol.startsWith('udp') ? 'udp' : 'tcp',
      stateNames === 'ss' ? ssStateName(e.state) : e.state,
      String(e.rxQueue),
      String(e.txQueue),
      endpoint(e.localAddress, e.localPort),
      endpoint(e.remoteAddress, e.remotePort),
    ]),
  ];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((r) => r[column]?.length ?? 0)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths?.[column] ?? 0))
        .join(' ')
        .trimEnd(),
    )
    .join('\n');
}

/** What {@link filterSockets} keeps; every given criterion must match. */
export interface SocketFilter {
  /** Keep sockets with this local or remote port. */
  readonly port?: number;
  /**
   * Keep sockets in this state (or any of these), in any spelling {@link normalizeSocketState}
   * reads; like `ss`, `ESTAB` keeps established TCP and connected UDP sockets alike.
   */
  readonly state?: string | readonly string[];
  /** Keep sockets of this table (or any of these). */
  readonly protocol?: SocketProtocol | readonly SocketProtocol[];
}

/**
 * Keeps the entries that match every given criterion, like `ss state listening sport = :8080`.
 * @param entries - rows from {@link readSocketTable} or {@link parseProcNet}
 * @param filter - what to keep; an empty filter keeps everything
 * @returns a new array, in the order of `entries`
 * @throws {RangeError} for a port outside 0–65535 or an unknown state name; {TypeError} for a
 *   port that is not an integer.
 * @throws {TypeError} for an unknown protocol.
 * @example
 * filterSockets(entries, { port: 8080, state: 'LISTEN' });
 */
export function filterSockets(
  entries: readonly SocketTableEntry[],
  filter: SocketFilter = {},
): SocketTableEntry[] {
  const { port, state, protocol } = filter;
  if (port !== undefined) checkInteger('port', port, 0, PORT_MAX);
  const names = state === undefined ? undefined : typeof state === 'string' ? [state] : state;
  const tcpStates = new Set(names?.map((name) => normalizeSocketState(name, 'tcp')));
  const udpStates = new Set(names?.map((name) => normalizeSocketState(name, 'udp')));
  const protocols =
    protocol === undefined
      ? undefined
      : checkProtocols(typeof protocol === 'string' ? [protocol] : protocol);
  return entries.filter(
    (e) =>
      (port === undefined || e.localPort === port || e.remotePort === port) &&
      (names === undefined ||
        (e.protocol.startsWith('udp') ? udpStates : tcpStates).has(e.state)) &&
      (protocols === undefined || protocols.includes(e.protocol)),
  );
}
