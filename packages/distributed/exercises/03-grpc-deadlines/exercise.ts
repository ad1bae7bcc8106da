// biome-ignore-all lint/correctness/noUnusedImports: starter stubs; your code will use them
// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** The feed's contract: the same file the stage's price-feed server is described by. */
export const PRICE_FEED_PROTO = fileURLToPath(
  new URL('../../src/grpc/price-feed.proto', import.meta.url),
);

/** One price, as the server sends it. */
export interface PriceUpdate {
  symbol: string;
  price: number;
  sequence: number;
  timestamp: number;
}

/** What went wrong with a call, in five words a caller can branch on ("Statuses to errors"). */
export type PriceCallErrorCode = 'TIMEOUT' | 'CANCELLED' | 'UNAVAILABLE' | 'LIMIT' | 'REJECTED';

/** A call that ended with a gRPC status other than OK. Given: use it as it is. */
export class PriceCallError extends Error {
  override name = 'PriceCallError';
  constructor(
    readonly code: PriceCallErrorCode,
    /** The gRPC status code the call ended with (`grpc.status.DEADLINE_EXCEEDED` is 4). */
    readonly grpcCode: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A client of the PriceFeed service. Given: `Subscribe(callOptions)` and `GetPrice(request, callOptions, callback)`. */
export interface PriceFeedClient extends grpc.Client {
  Subscribe(options: grpc.CallOptions): grpc.ClientDuplexStream<unknown, PriceUpdate>;
  GetPrice(
    request: { symbol: string },
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, value?: PriceUpdate) => void,
  ): grpc.ClientUnaryCall;
}

/** Makes a client of the feed at `address` (`host:port`), insecure. Given; close it when done. */
export function makePriceFeedClient(address: string): PriceFeedClient {
  const definition = protoLoader.loadSync(PRICE_FEED_PROTO, { enums: String, defaults: true });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    socketlab: { pricefeed: { PriceFeed: grpc.ServiceClientConstructor } };
  };
  const PriceFeed = loaded.socketlab.pricefeed.PriceFeed;
  return new PriceFeed(address, grpc.credentials.createInsecure()) as unknown as PriceFeedClient;
}

/**
 * grpc-js's error as a {@link PriceCallError} ("Statuses to errors"): DEADLINE_EXCEEDED is
 * `'TIMEOUT'`, CANCELLED `'CANCELLED'`, UNAVAILABLE `'UNAVAILABLE'`, RESOURCE_EXHAUSTED
 * `'LIMIT'`, any other status `'REJECTED'`; keep grpc-js's error as `cause`.
 */
export function toPriceCallError(error: grpc.ServiceError): PriceCallError {
  // TODO: one table from grpc.status code to PriceCallErrorCode ("Statuses to errors"); keep `error` as cause.
  throw new Error('not implemented yet: read exercises/03-grpc-deadlines/README.md');
}

/** Options of {@link requestPrice}. */
export interface RequestPriceOptions {
  address: string;
  symbol: string;
  /** How long the call may take, in milliseconds: becomes the call's deadline. */
  timeoutMs: number;
}

/**
 * Calls `GetPrice` with a deadline `timeoutMs` from now ("A unary call with a deadline").
 * Rejects with a {@link PriceCallError}; closes its client either way.
 */
export async function requestPrice(options: RequestPriceOptions): Promise<PriceUpdate> {
  // TODO: makePriceFeedClient, then GetPrice with { deadline: Date.now() + timeoutMs }; close the client in finally.
  throw new Error('not implemented yet: read exercises/03-grpc-deadlines/README.md');
}

/** Options of {@link collectPrices}. */
export interface CollectPricesOptions {
  address: string;
  symbols: string[];
  /** How many prices to collect. */
  count: number;
  /** How long the whole stream may take, in milliseconds: becomes the call's deadline. */
  timeoutMs: number;
  /** Aborting it cancels the call; the promise then rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * Opens `Subscribe` with a deadline, subscribes to `symbols`, and resolves with the first `count`
 * prices, cancelling the call once it has them ("A stream with a deadline", "Cancelling").
 * Rejects with a {@link PriceCallError}, or with `signal.reason` once aborted; closes its client.
 */
export async function collectPrices(options: CollectPricesOptions): Promise<PriceUpdate[]> {
  // TODO: Subscribe with one deadline, write { action: 'SUBSCRIBE', symbols }, read `count` prices, then cancel.
  // TODO: on abort, cancel and reject with signal.reason; map other failures with toPriceCallError.
  throw new Error('not implemented yet: read exercises/03-grpc-deadlines/README.md');
}
