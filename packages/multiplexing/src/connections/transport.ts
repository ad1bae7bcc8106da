/**
 * What the connection manager needs of "a connection", whatever carries it: a TCP byte stream, a
 * framed socket, later a WebSocket or a Socket.IO socket. An adapter turns each into this shape.
 */
import type { EventEmitter } from 'node:events';

/** The events a {@link ConnectionTransport} emits. */
export interface TransportEvents {
  /** One message from the peer: a frame, or a chunk of a byte stream. */
  message: [data: Buffer];
  /** The peer answered a heartbeat {@link ConnectionTransport.ping}. */
  pong: [];
  /** The transport's buffer fell below its high-water mark after `send()` returned false. */
  drain: [];
  /** Fully closed; `error` is set when it failed (reset, bad frame, …). Emitted once. */
  close: [error: Error | undefined];
}

/**
 * One connection as the manager and the broadcast queue see it. Adapters:
 * {@link tcpConnectionTransport} (a `TcpConnection`'s byte stream) and
 * {@link framedSocketTransport} (a `FramedSocket`'s messages, with heartbeats).
 */
export interface ConnectionTransport
  extends Pick<EventEmitter<TransportEvents>, 'on' | 'once' | 'off'> {
  /** The peer's address without port, the key of the per-address limit (`''` when none). */
  readonly remoteAddress: string;
  /** The peer as messages name it (`127.0.0.1:51234`). */
  readonly peerName: string;
  /** Bytes accepted by `send()` and not yet handed to the kernel. */
  readonly bufferedAmount: number;
  /** True once closed (or closing): `send()` is ignored from then on. */
  readonly closed: boolean;
  /**
   * Queues one message; returns false when the transport's own buffer is past its high-water
   * mark (then wait for `'drain'`). Never throws for a closed transport (the message is dropped).
   */
  send(data: Uint8Array): boolean;
  /**
   * Sends a heartbeat probe the peer answers with a pong. Absent when the transport has no way
   * to probe (a raw byte stream): the manager then runs no heartbeats on it.
   */
  ping?(): void;
  /**
   * Graceful close: sends `notice` (a short text the peer can show) after what is already
   * buffered, then ends this side; `'close'` follows once the peer has closed too.
   */
  close(notice?: string): void;
  /** Closes now; anything unsent is dropped. */
  destroy(): void;
}

/**
 * @internal What this package's own transports call directly instead of emitting to the
 * {@link ManagedConnection} that holds them: one object shared by every connection, given the
 * connection as `target`, so that a connection costs no listener closures.
 */
export interface TransportSink<T> {
  message(target: T, data: Buffer): void;
  pong(target: T): void;
  drain(target: T): void;
  close(target: T, error: Error | undefined): void;
}

/** @internal The method by which a transport takes a {@link TransportSink} (one at most). */
export const ATTACH_SINK: unique symbol = Symbol('socketlab.attachSink');

/** @internal A transport that can deliver to a {@link TransportSink}. */
export interface SinkTransport {
  [ATTACH_SINK]<T>(sink: TransportSink<T>, target: T): void;
}
