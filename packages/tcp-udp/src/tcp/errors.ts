/**
 * Turns what a TCP socket reports (`ECONNREFUSED`, `ECONNRESET`, `EPIPE`, Node's stream codes, …)
 * into this package's typed errors, with a message that says what happened and what to do.
 * Pure: no sockets here. What each system code means comes from `@socketlab/basics`'
 * `SYSTEM_FAILURES` (stage 1 explains errno once); this file adds the operation and the peer.
 */
import { formatEndpoint, SYSTEM_FAILURES } from '@socketlab/basics';
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
 * `@socketlab/basics`' `SYSTEM_FAILURES` (what the code means here, and the first thing to do);
 * Node's "stream already closed" codes become `ConnectionError('TCPUDP_ERR_CLOSED')`; an error
 * that is already a `TcpUdpError` is returned as it is. Never throws.
 *
 * @param error - what the socket reported.
 * @param context - the operation and the peer, for the message.
 * @returns the typed error to reject or emit.
 * @see RFC 9293 §3.5.3 (reset processing)
 * @example
 * ```ts
 * socket.on('error', (err) => reject(toTcpError(err, { operation: 'read', peer: '127.0.0.1:7000' })));
 * // ConnectionError TCPUDP_ERR_CONNECTION: reading from 127.0.0.1:7000 failed: connection reset
 * // by peer [ECONNRESET]. The other end (127.0.0.1:7000) aborted the connection … Next: …
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
  if (code !== undefined && Object.hasOwn(SYSTEM_FAILURES, code)) {
    const { title, what, nextSteps } = SYSTEM_FAILURES[code as keyof typeof SYSTEM_FAILURES];
    const at = context.peer ?? (context.operation === 'listen' ? 'the address' : 'the peer');
    return new ConnectionError(
      'TCPUDP_ERR_CONNECTION',
      `${where} failed: ${title} [${code}]. ${what(at)} Next: ${nextSteps[0]}`,
      { cause: error },
    );
  }
  const message = quoteInput(error instanceof Error ? error.message : error);
  return new ConnectionError(
    'TCPUDP_ERR_CONNECTION',
    `${where} failed: the socket failed: ${message} [${code ?? 'no code'}]; ` +
      'treat the connection as lost; reconnect if the work can be repeated',
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
