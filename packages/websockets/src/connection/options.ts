/**
 * The options, events and constants of a WebSocket connection ({@link WebSocketConnection} in
 * connection.ts): what a user of the connection, the server or the client passes and receives.
 */
import type { ConnectionClock } from '@socketlab/multiplexing';
import type { WebSocketError } from '../errors.ts';
import type { DeflateAgreement, PerMessageDeflateOptions } from '../extensions/index.ts';
import type { FrameRole } from '../frame/index.ts';
import type { RandomFill } from './mask-keys.ts';

/** The default {@link WebSocketConnectionOptions.closeTimeoutMs}: 5 s. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;

/** `readyState` values, the numbers browsers use (WHATWG WebSockets). */
export const READY_STATES = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;

/** One of {@link READY_STATES}. */
export type ReadyState = (typeof READY_STATES)[keyof typeof READY_STATES];

/** Options of `WebSocketConnection`. */
export interface WebSocketConnectionOptions {
  /** Which end this is: a `'client'` masks every frame it sends, a `'server'` none. */
  readonly role: FrameRole;
  /** The bytes that followed the handshake head (the first frames). @default empty */
  readonly head?: Uint8Array;
  /** The negotiated subprotocol, if any (shown as `protocol`). */
  readonly protocol?: string | undefined;
  /** The largest frame payload and message accepted; a larger one closes with 1009. @default 16 MiB */
  readonly maxPayloadBytes?: number;
  /**
   * How long the closing handshake may take once begun (our close frame sent, or the peer's
   * echoed and, for a client, the server's FIN awaited); then the socket is destroyed. @default 5000
   */
  readonly closeTimeoutMs?: number;
  /** Send a ping this often, and destroy a peer that has not ponged by the next one; 0 = never. @default 0 */
  readonly heartbeatIntervalMs?: number;
  /** Timers for the close timeout and the heartbeat. @default Node's timers, unreferenced */
  readonly clock?: ConnectionClock;
  /** Random source for masking keys (client role). @default crypto.randomFillSync */
  readonly randomFill?: RandomFill;
  /**
   * permessage-deflate as the handshake negotiated it (the server and `connectWebSocket` set
   * this): what was agreed, and this side's `threshold`, `level` and `memLevel`.
   * @default no compression
   */
  readonly deflate?: NegotiatedDeflate;
  /** The `Sec-WebSocket-Extensions` value the handshake agreed (shown as `extensions`). @default '' */
  readonly extensions?: string;
}

/** permessage-deflate as negotiated for one connection (see {@link WebSocketConnectionOptions.deflate}). */
export interface NegotiatedDeflate {
  /** The parameters both ends agreed to. */
  readonly agreement: DeflateAgreement;
  /** This side's compression settings. @default threshold 1024, level 6, memLevel 8 */
  readonly options?: Pick<PerMessageDeflateOptions, 'threshold' | 'level' | 'memLevel'>;
}

/** Options of `WebSocketConnection.send`. */
export interface SendOptions {
  /** Send a binary message (else text). @default true for a Uint8Array, false for a string */
  readonly binary?: boolean;
}

/** The events of `WebSocketConnection`. */
export interface WebSocketConnectionEvents {
  message: [data: Buffer, isBinary: boolean];
  ping: [data: Buffer];
  pong: [data: Buffer];
  /** The connection is closed: the code received (1005 if none), or 1006 when no close frame came, or the code we failed it with. */
  close: [code: number, reason: string];
  /** A protocol error from the peer or a socket failure; emitted only when someone listens. */
  error: [error: WebSocketError];
  /** The socket's write buffer emptied: `send()` may be called again. */
  drain: [];
}
