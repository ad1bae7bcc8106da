/**
 * A price feed from a gRPC stream (stage 5's `PriceFeed.Subscribe`, grpc-js), pushed to the
 * subscribers of the Socket.IO namespace `/prices` with conflation: the latest price per symbol.
 * Reading the gRPC stream is its flow control; a slow Socket.IO subscriber holds one price per
 * symbol. The stream is read until the app closes; if it fails, the feed keeps the last prices.
 */
import {
  ConflatingFeed,
  connectGrpcPriceFeed,
  type NotificationAuthenticate,
  type SocketIoFeed,
} from '@socketlab/distributed';
import type { Server } from 'socket.io';
import { PRICES, type PriceValue } from '../contract.ts';
import { serveFeedNamespace } from './feed-namespace.ts';

/** A running price feed. */
export interface Prices {
  readonly feed: SocketIoFeed;
  /** Set when the gRPC stream ended with an error. */
  readonly error: unknown;
  close(): void;
}

/** Connects to the gRPC price feed at `address` for `symbols` and serves it on `/prices`. */
export async function attachPrices(options: {
  io: Server;
  authenticate: NotificationAuthenticate;
  address: string;
  symbols: readonly string[];
}): Promise<Prices> {
  const latest = new ConflatingFeed<string, PriceValue>({ maxKeys: 1_000 });
  const stream = await connectGrpcPriceFeed({ address: options.address, symbols: options.symbols });
  let error: unknown;
  void (async () => {
    try {
      for await (const update of stream) {
        latest.publish(update.symbol, {
          price: update.price,
          sequence: update.sequence,
          timestamp: update.timestamp,
        });
      }
    } catch (cause) {
      error = cause;
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
    close() {
      feed.close();
      stream.cancel();
    },
  };
}
