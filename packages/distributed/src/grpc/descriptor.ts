/**
 * The price-feed service definition, loaded from a JSON descriptor held in this module rather than
 * from a `.proto` file read at run time: the built package then has nothing to find on disk.
 * `price-feed.proto` beside this file is the same contract written for people; a test proves the
 * two agree.
 * @see https://grpc.io/docs/what-is-grpc/core-concepts/
 */
import type * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** The fully qualified name of the service, as it appears in every call's `:path`. */
export const PRICE_FEED_SERVICE_NAME = 'socketlab.pricefeed.PriceFeed';

/** The longest symbol the feed accepts, in characters. */
export const PRICE_SYMBOL_MAX_LENGTH = 16;

/** What a symbol looks like: an upper-case letter, then letters, digits, `.` or `-`. */
export const PRICE_SYMBOL_PATTERN = /^[A-Z][A-Z0-9.-]{0,15}$/;

/** A protobuf.js JSON descriptor, the type proto-loader's `fromJSON` takes. */
export type PriceFeedDescriptor = Parameters<typeof protoLoader.fromJSON>[0];

/**
 * The service and its messages as a protobuf.js JSON descriptor (the shape `protobufjs`'s
 * `Root.toJSON()` produces), the same as `src/grpc/price-feed.proto`.
 */
export const PRICE_FEED_DESCRIPTOR: PriceFeedDescriptor = {
  nested: {
    socketlab: {
      nested: {
        pricefeed: {
          nested: {
            PriceFeed: {
              methods: {
                Subscribe: {
                  requestType: 'SubscribeRequest',
                  requestStream: true,
                  responseType: 'PriceUpdate',
                  responseStream: true,
                  comment:
                    'subscribe/unsubscribe in, prices out, conflated while the reader is slow',
                },
                GetPrice: {
                  requestType: 'PriceRequest',
                  responseType: 'PriceUpdate',
                  comment:
                    'the latest price of one symbol; waits for a first price until the deadline',
                },
              },
            },
            Action: { values: { ACTION_UNSPECIFIED: 0, SUBSCRIBE: 1, UNSUBSCRIBE: 2 } },
            SubscribeRequest: {
              fields: {
                action: { type: 'Action', id: 1 },
                symbols: { rule: 'repeated', type: 'string', id: 2 },
              },
            },
            PriceRequest: { fields: { symbol: { type: 'string', id: 1 } } },
            PriceUpdate: {
              fields: {
                symbol: { type: 'string', id: 1 },
                price: { type: 'double', id: 2 },
                sequence: { type: 'uint32', id: 3 },
                timestamp: { type: 'double', id: 4 },
              },
            },
          },
        },
      },
    },
  },
};

/**
 * How proto-loader turns messages into objects here: enums as their names, absent fields as their
 * defaults (an empty `symbols` array, `ACTION_UNSPECIFIED`), so a handler never meets `undefined`.
 */
export const PRICE_FEED_LOADER_OPTIONS: protoLoader.Options = Object.freeze({
  enums: String,
  defaults: true,
  arrays: true,
  oneofs: false,
});

/** What a client sends on `Subscribe`. */
export interface SubscribeRequest {
  action: 'ACTION_UNSPECIFIED' | 'SUBSCRIBE' | 'UNSUBSCRIBE';
  symbols: string[];
}

/** One price, as the server sends it on `Subscribe` and answers `GetPrice` with. */
export interface PriceUpdate {
  /** The instrument, e.g. `'ACME'`. */
  symbol: string;
  /** Its latest price. */
  price: number;
  /** The feed's own counter, one per published price across all symbols: gaps mean conflation. */
  sequence: number;
  /** When the server published it, in milliseconds since the Unix epoch. */
  timestamp: number;
}

/** The two method definitions of the service, as grpc-js wants them for `addService`. */
export function priceFeedService(): grpc.ServiceDefinition {
  const definition = protoLoader.fromJSON(PRICE_FEED_DESCRIPTOR, PRICE_FEED_LOADER_OPTIONS);
  return definition[PRICE_FEED_SERVICE_NAME] as grpc.ServiceDefinition;
}
