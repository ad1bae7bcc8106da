/**
 * The price feed server's options, defaults, events and counters: what a caller of
 * {@link serveGrpcPriceFeed} configures and reads, apart from the server itself (`server.ts`).
 */
import type * as grpc from '@grpc/grpc-js';

/** Options of {@link serveGrpcPriceFeed}. */
export interface GrpcPriceFeedOptions {
  /** Every symbol the feed knows; each matches `PRICE_SYMBOL_PATTERN`. Others get `NOT_FOUND`. */
  readonly symbols: readonly string[];
  /** Where to listen. @default '127.0.0.1' */
  readonly host?: string;
  /** The port; 0 lets the system choose (read it from `port`). @default 0 */
  readonly port?: number;
  /** The server's credentials. @default grpc.ServerCredentials.createInsecure() */
  readonly credentials?: grpc.ServerCredentials;
  /** The largest request message accepted; bigger ones end the call with `RESOURCE_EXHAUSTED`. @default 4096 */
  readonly maxReceiveMessageBytes?: number;
  /** The most symbols one stream may hold at once; more is `RESOURCE_EXHAUSTED`. @default 64 */
  readonly maxSymbolsPerStream?: number;
  /** The most `Subscribe` streams open at once; one more is refused with `RESOURCE_EXHAUSTED`. @default 1000 */
  readonly maxStreams?: number;
  /**
   * How long `GetPrice` waits for a symbol's first price when the client set no earlier deadline;
   * past it the call ends with `DEADLINE_EXCEEDED`. @default 30000
   */
  readonly maxUnaryWaitTimeoutMs?: number;
  /** How long `close()` lets calls finish before it cuts them. @default 2000 */
  readonly closeTimeoutMs?: number;
  /** Where `timestamp` comes from, in ms since the epoch. @default Date */
  readonly clock?: { now(): number };
}

/** The defaults of {@link GrpcPriceFeedOptions}. */
export const GRPC_PRICE_FEED_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 0,
  maxReceiveMessageBytes: 4096,
  maxSymbolsPerStream: 64,
  maxStreams: 1000,
  maxUnaryWaitTimeoutMs: 30_000,
  closeTimeoutMs: 2_000,
});

/** Why a `Subscribe` stream closed, as the server saw it. */
export type GrpcStreamCloseReason =
  /** The client cancelled it, its deadline passed, or its connection went away. */
  | 'cancelled'
  /** The server refused a request on it and ended it with an error status. */
  | 'rejected'
  /** The server ended it (`close()`). */
  | 'server-closed';

/** One `Subscribe` stream, as {@link GrpcPriceFeed.streams} reports it. */
export interface GrpcStreamStats {
  /** The server's number for the stream, from 1. */
  readonly id: number;
  /** The symbols it holds now. */
  readonly symbols: readonly string[];
  /** Updates handed to grpc-js (`call.write`). */
  readonly sent: number;
  /** Updates overwritten by a newer price of their symbol while the stream was full. */
  readonly conflated: number;
  /** Messages waiting: in grpc-js's writable buffer plus in the conflating buffer. Bounded by the call's `writableHighWaterMark` plus the symbols held. */
  readonly buffered: number;
  /** The call's `writableHighWaterMark` (16 messages in object mode). */
  readonly writableHighWaterMark: number;
  /** True while `write()` has said "full" and `'drain'` has not come yet. */
  readonly blocked: boolean;
}

/** Counters of a {@link GrpcPriceFeed}. */
export interface GrpcPriceFeedStats {
  /** `Subscribe` streams open now. */
  readonly activeStreams: number;
  /** Symbol subscriptions held across all streams. */
  readonly subscriptions: number;
  /** `GetPrice` calls waiting for a first price. */
  readonly pendingUnary: number;
  /** Prices published. */
  readonly published: number;
  /** Requests refused with an error status (both kinds of call). */
  readonly rejected: number;
}

/** A request the server refused, with the status it answered. */
export interface GrpcRejection {
  readonly method: 'Subscribe' | 'GetPrice';
  readonly code: grpc.status;
  readonly details: string;
}

/** The events of a {@link GrpcPriceFeed}. */
export interface GrpcPriceFeedEvents {
  /** A `Subscribe` stream opened. */
  streamOpened: [id: number];
  /** A `Subscribe` stream closed and everything it held was freed. */
  streamClosed: [id: number, reason: GrpcStreamCloseReason];
  /** A request was refused. */
  rejected: [rejection: GrpcRejection];
  /** A `GetPrice` call was answered, refused, timed out or cancelled: nothing of it is held now. */
  unaryDone: [outcome: 'answered' | 'rejected' | 'timed-out' | 'cancelled'];
}
