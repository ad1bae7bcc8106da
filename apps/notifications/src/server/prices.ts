/**
 * A price feed from a gRPC stream (stage 5's `PriceFeed.Subscribe`, grpc-js), pushed to the
 * subscribers of the Socket.IO namespace `/prices` with conflation: the latest price per symbol.
 * Reading the gRPC stream is its flow control; a slow Socket.IO subscriber holds one price per
 * symbol. The stream is read until the app closes; if it fails or ends, the feed keeps the last
 * prices and opens it again (with back-off).
 */

import { setTimeout as delay } from 'node:timers/promises';
import {
  ConflatingFeed,
  connectGrpcPriceFeed,
  type GrpcPriceStream,
  type NotificationAuthenticate,
  type SocketIoFeed,
} from '@socketlab/distributed';
import type { Server } from 'socket.io';
import { PRICES, type PriceValue } from '../contract.ts';
import { serveFeedNamespace } from './feed-namespace.ts';

/** How the feed reconnects after its stream fails or ends: exponential back-off, capped. */
export const PRICES_RECONNECT = Object.freeze({ firstDelayMs: 250, maxDelayMs: 5_000 });

/** A running price feed. */
export interface Prices {
  readonly feed: SocketIoFeed;
  /** The last error the gRPC stream ended with (kept after a reconnect, for the record). */
  readonly error: unknown;
  /** Whether a stream is open right now. */
  readonly connected: boolean;
  /** How many times the stream was opened again after it failed or ended. */
  readonly reconnects: number;
  close(): void;
}

/**
 * Connects to the gRPC price feed at `address` for `symbols` and serves it on `/prices`. The
 * first connection must succeed (the app does not start otherwise); after that a stream that
 * fails or ends is opened again, after 250 ms, then twice as long each time up to 5 s, until it
 * is back or the app closes. Meanwhile subscribers keep the last prices.
 */
export async function attachPrices(options: {
  io: Server;
  authenticate: NotificationAuthenticate;
  address: string;
  symbols: readonly string[];
}): Promise<Prices> {
  const latest = new ConflatingFeed<string, PriceValue>({ maxKeys: 1_000 });
  const stopped = new AbortController();
  const open = () =>
    connectGrpcPriceFeed({
      address: options.address,
      symbols: options.symbols,
      signal: stopped.signal,
    });
  let stream: GrpcPriceStream | undefined = await open();
  let error: unknown;
  let reconnects = 0;
  void (async () => {
    let delayMs: number = PRICES_RECONNECT.firstDelayMs;
    while (!stopped.signal.aborted) {
      try {
        stream ??= await open();
        delayMs = PRICES_RECONNECT.firstDelayMs; // open again: the next failure starts over
        for await (const update of stream) {
          latest.publish(update.symbol, {
            price: update.price,
            sequence: update.sequence,
            timestamp: update.timestamp,
          });
        }
      } catch (cause) {
        if (stopped.signal.aborted) return;
        error = cause;
      }
      stream = undefined;
      if (stopped.signal.aborted) return;
      // rejects with an AbortError when the app closes: the loop's condition then ends it
      await delay(delayMs, undefined, { signal: stopped.signal }).catch(() => {});
      delayMs = Math.min(delayMs * 2, PRICES_RECONNECT.maxDelayMs);
      reconnects += 1;
    }
  })();
  const feed = serveFeedNamespace(options.io, {
    ...PRICES,
    authenticate: options.authenticate,
    feed: latest,
  });
  return {
    feed,
    get error() {
      return error;
    },
    get connected() {
      return stream !== undefined;
    },
    get reconnects() {
      return reconnects;
    },
    close() {
      stopped.abort();
      feed.close();
      stream?.cancel();
    },
  };
}
