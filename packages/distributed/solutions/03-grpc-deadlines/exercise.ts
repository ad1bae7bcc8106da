import type * as grpc from '@grpc/grpc-js';
import {
  type CollectPricesOptions,
  makePriceFeedClient,
  PRICE_FEED_PROTO,
  PriceCallError,
  type PriceCallErrorCode,
  type PriceFeedClient,
  type PriceUpdate,
  type RequestPriceOptions,
} from '../../exercises/03-grpc-deadlines/exercise.ts';
import { connectGrpcPriceFeed, GrpcStatusError, requestGrpcPrice } from '../../src/index.ts';

export type {
  CollectPricesOptions,
  PriceCallErrorCode,
  PriceFeedClient,
  PriceUpdate,
  RequestPriceOptions,
};
export { makePriceFeedClient, PRICE_FEED_PROTO, PriceCallError };

const BY_STATUS: Record<number, PriceCallErrorCode> = {
  1: 'CANCELLED', // CANCELLED
  4: 'TIMEOUT', // DEADLINE_EXCEEDED
  8: 'LIMIT', // RESOURCE_EXHAUSTED
  14: 'UNAVAILABLE', // UNAVAILABLE
};

/** One table from status to code; anything not in it is a refusal. */
export function toPriceCallError(error: grpc.ServiceError): PriceCallError {
  const code = BY_STATUS[error.code] ?? 'REJECTED';
  return new PriceCallError(code, error.code, `${code}: ${error.details}`, { cause: error });
}

/** The library's errors (a GrpcStatusError keeps grpc-js's error as `cause`) in this exercise's words. */
function translate(error: unknown): unknown {
  return error instanceof GrpcStatusError
    ? toPriceCallError(error.cause as grpc.ServiceError)
    : error;
}

/** The library's `requestGrpcPrice`: the deadline is `Date.now() + timeoutMs`, sent to the server. */
export async function requestPrice({
  address,
  symbol,
  timeoutMs,
}: RequestPriceOptions): Promise<PriceUpdate> {
  try {
    return await requestGrpcPrice({ address, symbol, deadline: Date.now() + timeoutMs });
  } catch (error) {
    throw translate(error);
  }
}

/**
 * The library's `connectGrpcPriceFeed` with one deadline for the whole stream; leaving the
 * `for await` early cancels the call (the library's iterator does it in its `finally`).
 */
export async function collectPrices({
  address,
  symbols,
  count,
  timeoutMs,
  signal,
}: CollectPricesOptions): Promise<PriceUpdate[]> {
  const deadline = Date.now() + timeoutMs;
  const got: PriceUpdate[] = [];
  try {
    const stream = await connectGrpcPriceFeed({ address, symbols, deadline, signal });
    for await (const update of stream) {
      got.push(update);
      if (got.length >= count) break;
    }
  } catch (error) {
    throw translate(error);
  }
  return got;
}
