import { onTestFinished } from 'vitest';
import {
  type ConnectGrpcPriceFeedOptions,
  connectGrpcPriceFeed,
  type GrpcPriceFeedOptions,
  type PriceUpdate,
  serveGrpcPriceFeed,
} from '../../src/grpc/index.ts';

export const SYMBOLS = ['ACME', 'GLOBEX', 'INITECH', 'UMBRELLA'] as const;

/** A feed on 127.0.0.1, port 0, closed when the test finishes. */
export async function startFeed(options: Partial<GrpcPriceFeedOptions> = {}) {
  const feed = await serveGrpcPriceFeed({ symbols: SYMBOLS, closeTimeoutMs: 500, ...options });
  onTestFinished(() => feed.close());
  return feed;
}

/** A client stream to `address`, cancelled when the test finishes. */
export async function openStream(
  address: string,
  options: Omit<ConnectGrpcPriceFeedOptions, 'address'> = {},
) {
  const stream = await connectGrpcPriceFeed({ address, ...options });
  onTestFinished(() => stream.cancel());
  return stream;
}

/** Reads a stream in the background, keeping what arrived and how it ended. */
export function collect(stream: AsyncIterable<PriceUpdate>) {
  const state = {
    updates: [] as PriceUpdate[],
    latest: new Map<string, PriceUpdate>(),
    ended: false,
    error: undefined as unknown,
  };
  const done = (async () => {
    try {
      for await (const update of stream) {
        state.updates.push(update);
        state.latest.set(update.symbol, update);
      }
    } catch (error) {
      state.error = error;
    } finally {
      state.ended = true;
    }
  })();
  return { state, done };
}
