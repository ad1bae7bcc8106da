/**
 * Where TIME-WAIT shows: after a graceful close, the side that sent the first FIN keeps the
 * connection's 4-tuple in TIME-WAIT for 2×MSL (60 s on Linux, `TCP_TIMEWAIT_LEN`), so that late
 * segments of the old connection cannot be taken for a new one. An abortive close (RST) leaves
 * none. This reads the kernel's socket table (`/proc/net/tcp{,6}`, like `ss -tan state time-wait`).
 */
import { readSocketTable, type SocketTableEntry } from '@socketlab/basics';
import { checkTcpPort } from './options.ts';

/** The 4-tuple to look for: this side's port and the peer's port (addresses optional). */
export interface TimeWaitQuery {
  /** The port of the side that closed first (the one that holds TIME-WAIT). */
  readonly localPort: number;
  /** The other side's port. */
  readonly remotePort: number;
  /** Only entries with this local address (as the table prints it: `127.0.0.1`, `::1`). */
  readonly localAddress?: string;
  /** Only entries with this remote address. */
  readonly remoteAddress?: string;
  /** Where procfs is mounted (a captured copy, for tests on other machines). @default '/proc' */
  readonly procRoot?: string;
}

/**
 * Finds the TIME-WAIT entries of one connection in the kernel's socket table. Call it after a
 * connection has closed: the side whose port is `localPort` holds TIME-WAIT if it closed first
 * (sent the first FIN), and nothing if the connection ended with a reset.
 *
 * @param query - the ports (and optionally addresses) of the connection, from this side's view.
 * @returns the matching entries (usually zero or one); each entry's `timer.ticks` says how long
 *   TIME-WAIT has left, in clock ticks (normally 100 per second).
 * @throws {RangeError} (synchronously) for ports outside 1–65535.
 * @throws {BasicsError} (rejection) `BASICS_ERR_UNSUPPORTED_PLATFORM` off Linux (no /proc/net).
 * @see RFC 9293 §3.6 (closing, TIME-WAIT for 2 MSL) and §3.4.2 (MSL)
 * @example
 * ```ts
 * await client.end(); // the client sent FIN first …
 * const [entry] = await findTimeWait({ localPort: client.localPort, remotePort: client.remotePort });
 * console.log(entry?.state); // 'TIME-WAIT' … so the client holds it
 * ```
 */
export function findTimeWait(query: TimeWaitQuery): Promise<SocketTableEntry[]> {
  const localPort = checkTcpPort('localPort', query.localPort, false);
  const remotePort = checkTcpPort('remotePort', query.remotePort, false);
  return scan(query, localPort, remotePort);
}

async function scan(
  query: TimeWaitQuery,
  localPort: number,
  remotePort: number,
): Promise<SocketTableEntry[]> {
  const { localAddress, remoteAddress, procRoot } = query;
  const table = await readSocketTable({
    protocols: ['tcp', 'tcp6'],
    malformed: 'skip',
    onWarning: () => undefined,
    ...(procRoot === undefined ? {} : { procRoot }),
  });
  return table.filter(
    (entry) =>
      entry.state === 'TIME-WAIT' &&
      entry.localPort === localPort &&
      entry.remotePort === remotePort &&
      (localAddress === undefined || sameAddress(entry.localAddress, localAddress)) &&
      (remoteAddress === undefined || sameAddress(entry.remoteAddress, remoteAddress)),
  );
}

/** `127.0.0.1` and `::ffff:127.0.0.1` are the same endpoint (an IPv4 peer on a dual-stack socket). */
function sameAddress(a: string, b: string): boolean {
  const strip = (address: string): string => address.replace(/^::ffff:/i, '').toLowerCase();
  return strip(a) === strip(b);
}
