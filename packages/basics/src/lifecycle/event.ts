import type net from 'node:net';
import { BasicsError } from '../errors.ts';

/**
 * The steps of a socket's life, in the words of the BSD socket API: `socket()` creates it,
 * `bind()` names it, `listen()` makes it a server, `accept()` takes a connection, `connect()`
 * dials one, `send()`/`recv()` move bytes, `shutdown()` half-closes, `close()` ends it.
 * `'error'` is when the kernel reported a failure (refused, reset, …).
 */
export const LIFECYCLE_STEPS = [
  'create',
  'bind',
  'listen',
  'accept',
  'connect',
  'send',
  'receive',
  'half-close',
  'close',
  'error',
] as const;

/** One of {@link LIFECYCLE_STEPS}. */
export type LifecycleStep = (typeof LIFECYCLE_STEPS)[number];

/** Which end of the conversation reported the event. */
export type LifecycleSide = 'server' | 'client';

/** A source of time in milliseconds; only differences matter. Tests inject a fake one. */
export type LifecycleClock = () => number;

/**
 * The 5-tuple that names one TCP connection on a machine: no two open connections share it.
 * An address and a port make a socket address; two socket addresses plus the protocol make
 * the connection.
 */
export interface FiveTuple {
  readonly protocol: 'tcp';
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/**
 * Why a connection closed.
 * - `normal`: both sides sent their FIN; nothing went wrong.
 * - `line-too-long`: the server dropped a peer whose line exceeded `maxLineBytes`.
 * - `too-many-connections`: the server was full (`maxConnections`) and dropped the newcomer.
 * - `server-shutdown`: the server's `close()` ended the connection gracefully.
 * - `shutdown-timeout`: the peer did not finish within the shutdown bound, so it was destroyed.
 * - `timeout`: the client gave up waiting (`timeoutMs`).
 * - `error`: the kernel reported an error (refused, reset, …); see the event's `error`.
 * - `destroyed`: this side destroyed the socket on purpose before a clean close.
 */
export type LifecycleCloseReason =
  | 'normal'
  | 'line-too-long'
  | 'too-many-connections'
  | 'server-shutdown'
  | 'shutdown-timeout'
  | 'timeout'
  | 'error'
  | 'destroyed';

/** What every lifecycle event carries. */
export interface LifecycleEventBase {
  readonly side: LifecycleSide;
  /** Milliseconds from the emitter's clock (by default `performance.now()`). */
  readonly at: number;
  /** Numbers the connections of one server (from 1) or of this process's clients; 0 is a server's listening socket. */
  readonly connectionId: number;
  /** The connection's 5-tuple, once it is known (after `accept`/`connect`). */
  readonly tuple: FiveTuple | undefined;
  /** A note for people: which system call this step stands for, or why it happened. */
  readonly detail?: string;
}

/** A socket came into existence (`socket()`). */
export interface CreateEvent extends LifecycleEventBase {
  readonly step: 'create';
}
/** The socket got its local address (`bind()`). */
export interface BindEvent extends LifecycleEventBase {
  readonly step: 'bind';
  readonly local: net.AddressInfo;
}
/** The socket became a listening socket (`listen()`). */
export interface ListenEvent extends LifecycleEventBase {
  readonly step: 'listen';
  readonly local: net.AddressInfo;
}
/** The server took a connection off its accept queue (`accept()`). */
export interface AcceptEvent extends LifecycleEventBase {
  readonly step: 'accept';
  readonly tuple: FiveTuple;
}
/** The client's three-way handshake completed (`connect()`). */
export interface ConnectEvent extends LifecycleEventBase {
  readonly step: 'connect';
  readonly tuple: FiveTuple;
}
/** Bytes were handed to the kernel (`send()`). */
export interface SendEvent extends LifecycleEventBase {
  readonly step: 'send';
  readonly bytes: number;
}
/** Bytes arrived from the kernel (`recv()`). */
export interface ReceiveEvent extends LifecycleEventBase {
  readonly step: 'receive';
  readonly bytes: number;
}
/** One direction closed: `local` sent its FIN (`shutdown(SHUT_WR)`), `peer` means the peer's FIN arrived. */
export interface HalfCloseEvent extends LifecycleEventBase {
  readonly step: 'half-close';
  readonly by: 'local' | 'peer';
}
/** The socket is gone (`close()`); `clean` says whether it ended without an error. */
export interface CloseEvent extends LifecycleEventBase {
  readonly step: 'close';
  readonly clean: boolean;
  readonly reason: LifecycleCloseReason;
  /** What went wrong, when something did. */
  readonly error?: Error;
}
/** The kernel (or a limit) reported a failure on this socket. */
export interface ErrorEvent extends LifecycleEventBase {
  readonly step: 'error';
  readonly error: Error;
  /** The system error code (`ECONNREFUSED`, `ECONNRESET`, …) or a `BASICS_ERR_*` code. */
  readonly code: string | undefined;
}

/** One step in a socket's life, discriminated by `step`. */
export type LifecycleEvent =
  | CreateEvent
  | BindEvent
  | ListenEvent
  | AcceptEvent
  | ConnectEvent
  | SendEvent
  | ReceiveEvent
  | HalfCloseEvent
  | CloseEvent
  | ErrorEvent;

/** The address fields of a connected socket (a `net.Socket` has them all). */
export type SocketAddresses = Pick<
  net.Socket,
  'localAddress' | 'localPort' | 'remoteAddress' | 'remotePort'
>;

/**
 * Reads the 5-tuple of a connected TCP socket: protocol, local address and port, remote
 * address and port, exactly as the kernel reports them (`getsockname()`/`getpeername()`).
 *
 * @param socket - A connected `net.Socket` (or any object with the same four address fields).
 * @returns The connection's {@link FiveTuple}.
 * @throws {BasicsError} `BASICS_ERR_CONNECTION` when the socket is not connected (yet, or any
 *   more), so its addresses are unknown.
 * @example
 * ```ts
 * const socket = net.connect(7000, '127.0.0.1', () => {
 *   console.log(fiveTuple(socket));
 *   // { protocol: 'tcp', localAddress: '127.0.0.1', localPort: 53122,
 *   //   remoteAddress: '127.0.0.1', remotePort: 7000 }
 * });
 * ```
 */
export function fiveTuple(socket: SocketAddresses): FiveTuple {
  const tuple = tryFiveTuple(socket);
  if (tuple === undefined) {
    throw new BasicsError(
      'BASICS_ERR_CONNECTION',
      'cannot read the 5-tuple of a socket that is not connected: expected local and remote ' +
        `addresses and ports, got local ${describeEnd(socket.localAddress, socket.localPort)} ` +
        `and remote ${describeEnd(socket.remoteAddress, socket.remotePort)}`,
    );
  }
  return tuple;
}

/** Like {@link fiveTuple}, but `undefined` when the socket is not connected. */
export function tryFiveTuple(socket: SocketAddresses): FiveTuple | undefined {
  const { localAddress, localPort, remoteAddress, remotePort } = socket;
  if (!localAddress || !remoteAddress || !isPort(localPort) || !isPort(remotePort)) {
    return undefined;
  }
  return { protocol: 'tcp', localAddress, localPort, remoteAddress, remotePort };
}

function isPort(port: number | undefined): port is number {
  return Number.isInteger(port) && (port as number) > 0 && (port as number) <= 65_535;
}

function describeEnd(address: string | undefined, port: number | undefined): string {
  return address === undefined && port === undefined
    ? '(none)'
    : `${String(address)}:${String(port)}`;
}

/** A lifecycle event without the fields the emitter fills in (side, time, id, tuple). */
export type LifecycleEventInput = LifecycleEvent extends infer E
  ? E extends LifecycleEvent
    ? Omit<E, 'side' | 'at' | 'connectionId' | 'tuple'>
    : never
  : never;

/**
 * Completes an event with who emitted it, when, on which connection and with which 5-tuple.
 * Internal to the lifecycle modules: the public surface only emits finished events.
 *
 * `input` must be a fresh object that nobody else holds (the emitters pass an object literal):
 * it is completed in place and returned, with the same fields in the same order as a copy would
 * have, because copying it (`{ ...input }`) was the largest cost of a watched echo after the I/O.
 */
export function stampEvent(
  side: LifecycleSide,
  at: number,
  connectionId: number,
  tuple: FiveTuple | undefined,
  input: LifecycleEventInput,
): LifecycleEvent {
  const event = input as Partial<{
    -readonly [K in keyof LifecycleEventBase]: LifecycleEventBase[K];
  }>;
  event.side = side;
  event.at = at;
  event.connectionId = connectionId;
  event.tuple = tuple;
  return event as LifecycleEvent;
}
