/**
 * Turns what a TCP socket reports (`ECONNREFUSED`, `ECONNRESET`, `EPIPE`, Node's stream codes, …)
 * into this package's typed errors, with a message that says what happened and what to do.
 * Pure: no sockets here, only a table and a function, so the mapping is tested exhaustively.
 */
import { formatEndpoint } from '@socketlab/basics';
import { errorCode } from '@socketlab/internal';
import {
  ConnectionError,
  quoteInput,
  type TcpUdpError,
  TcpUdpError as TcpUdpErrorClass,
} from '../errors.ts';

/**
 * Why a TCP connection closed, as {@link TcpConnection.closeReason} reports it.
 * - `end`: both sides sent FIN (a graceful close, whoever began it);
 * - `reset`: this side aborted with RST (`reset()`);
 * - `timeout`: a connect, idle or close timeout ran out and the socket was destroyed;
 * - `error`: the socket failed (refused, reset by the peer, broken pipe, …);
 * - `destroyed`: this side destroyed it without an error (`destroy()`, a server shutting down).
 */
export type TcpCloseReason = 'end' | 'reset' | 'timeout' | 'error' | 'destroyed';

/** What the socket was doing when it failed, for messages. */
export type TcpOperation = 'connect' | 'read' | 'write' | 'listen' | 'close';

/** One entry of {@link TCP_FAILURES}: a few words for what happened, one sentence for what to do. */
export interface TcpFailure {
  readonly title: string;
  readonly advice: string;
}

/**
 * The system codes a TCP program meets, each with what it means and what to do about it.
 * Sources: connect(2), recv(2), send(2), tcp(7) and getaddrinfo(3) man pages; RFC 9293 §3.5.2–3.5.3 (reset generation and processing).
 */
export const TCP_FAILURES = {
  ECONNREFUSED: {
    title: 'connection refused: nothing listens on that port (the peer answered SYN with RST)',
    advice: 'start the server, or check the host and port; retry with backoff if it is starting',
  },
  ECONNRESET: {
    title:
      'connection reset by the peer (it sent RST: it crashed, aborted, or closed with unread data)',
    advice:
      'the connection is gone and data in flight may be lost; reconnect and repeat only idempotent work',
  },
  EPIPE: {
    title: 'broken pipe: this side wrote after the peer had closed the connection',
    advice: 'stop writing once the peer has closed; treat it like a reset and reconnect if needed',
  },
  ETIMEDOUT: {
    title: 'timed out in the kernel: the peer stopped acknowledging (no answer to retransmissions)',
    advice: 'check that the host is up and no firewall drops packets; set your own shorter timeout',
  },
  EHOSTUNREACH: {
    title: 'host unreachable: no route to the host (an ICMP error came back)',
    advice: 'check the address, the routes and any firewall between the two machines',
  },
  ENETUNREACH: {
    title: 'network unreachable: this machine has no route to that network',
    advice: 'check the address and this machine’s network configuration (`ip route`)',
  },
  ECONNABORTED: {
    title: 'connection aborted by this machine’s kernel',
    advice: 'reconnect; if it repeats, look for resource limits or a firewall on this machine',
  },
  EADDRINUSE: {
    title: 'address already in use: another socket holds that address and port',
    advice: 'stop the other program (`ss -ltnp`), or listen on port 0 and read the chosen port',
  },
  EADDRNOTAVAIL: {
    title: 'address not available: it is not an address of this machine, or no local port is free',
    advice: 'bind an address this machine has; if ports ran out, reuse connections',
  },
  ENOTFOUND: {
    title: 'the host name does not resolve (DNS has no address for it)',
    advice: 'check the spelling of the host, or connect to an IP address',
  },
  EAI_AGAIN: {
    title: 'the host name could not be resolved right now (a temporary DNS failure)',
    advice: 'retry with backoff; check the resolver (`/etc/resolv.conf`) if it persists',
  },
  EACCES: {
    title: 'permission denied (a port below 1024, or a firewall/security policy)',
    advice: 'use a port of 1024 or more, or run with the needed capability',
  },
} as const satisfies Record<string, TcpFailure>;

/** Node's own stream codes that mean "this socket is already closed or closing". */
const CLOSED_CODES = new Set([
  'ERR_STREAM_WRITE_AFTER_END',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_ALREADY_FINISHED',
  'ERR_SOCKET_CLOSED',
]);

/** Where the failure happened and what was being done, for the message. */
export interface TcpErrorContext {
  readonly operation: TcpOperation;
  /** The peer as text (`127.0.0.1:7000`), when known. */
  readonly peer?: string;
}

/**
 * Maps anything a TCP socket emits or throws to a typed error, keeping the original as `cause`.
 * System errors become `ConnectionError('TCPUDP_ERR_CONNECTION')` with a message built from
 * {@link TCP_FAILURES}; Node's "stream already closed" codes become
 * `ConnectionError('TCPUDP_ERR_CLOSED')`; an error that is already a `TcpUdpError` is returned as it
 * is. Never throws.
 *
 * @param error - what the socket reported.
 * @param context - the operation and the peer, for the message.
 * @returns the typed error to reject or emit.
 * @see RFC 9293 §3.5.3 (reset processing)
 * @example
 * ```ts
 * socket.on('error', (err) => reject(toTcpError(err, { operation: 'read', peer: '127.0.0.1:7000' })));
 * // ConnectionError TCPUDP_ERR_CONNECTION: reading from 127.0.0.1:7000 failed: connection reset by
 * // the peer (…) [ECONNRESET]; the connection is gone …
 * ```
 */
export function toTcpError(error: unknown, context: TcpErrorContext): TcpUdpError {
  if (error instanceof TcpUdpErrorClass) return error;
  const code = errorCode(error);
  const where = describeOperation(context);
  if (code !== undefined && CLOSED_CODES.has(code)) {
    return new ConnectionError(
      'TCPUDP_ERR_CLOSED',
      `${where} failed: the socket is already closed or closing [${code}]; open a new connection`,
      { cause: error },
    );
  }
  const known = code !== undefined && Object.hasOwn(TCP_FAILURES, code);
  const failure: TcpFailure = known
    ? TCP_FAILURES[code as keyof typeof TCP_FAILURES]
    : {
        title: `the socket failed: ${quoteInput(error instanceof Error ? error.message : error)}`,
        advice: 'treat the connection as lost; reconnect if the work can be repeated',
      };
  return new ConnectionError(
    'TCPUDP_ERR_CONNECTION',
    `${where} failed: ${failure.title} [${code ?? 'no code'}]; ${failure.advice}`,
    { cause: error },
  );
}

function describeOperation({ operation, peer }: TcpErrorContext): string {
  const at = peer === undefined ? '' : ` ${peer}`;
  switch (operation) {
    case 'connect':
      return `connecting to${at || ' the peer'}`;
    case 'read':
      return `reading from${at || ' the peer'}`;
    case 'write':
      return `writing to${at || ' the peer'}`;
    case 'listen':
      return `listening on${at || ' the address'}`;
    case 'close':
      return `closing the connection${peer === undefined ? '' : ` with ${peer}`}`;
  }
}

/**
 * A socket's peer as text for messages: `127.0.0.1:80` or `[::1]:80` (basics' `formatEndpoint`),
 * or `an unknown peer` once the socket no longer knows it (destroyed before it connected).
 */
export function formatTcpPeer(host: string | undefined, port: number | undefined): string {
  return host === undefined || port === undefined
    ? 'an unknown peer'
    : formatEndpoint({ host, port });
}
