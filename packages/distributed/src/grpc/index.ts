/** gRPC streams (D5): other areas import this area only through this file. */
export {
  type ConnectGrpcPriceFeedOptions,
  connectGrpcPriceFeed,
  GRPC_PRICE_CLIENT_DEFAULTS,
  type GrpcPriceClientOptions,
  GrpcPriceStream,
  type RequestGrpcPriceOptions,
  requestGrpcPrice,
} from './client.ts';
export {
  PRICE_FEED_DESCRIPTOR,
  PRICE_FEED_LOADER_OPTIONS,
  PRICE_FEED_SERVICE_NAME,
  PRICE_SYMBOL_MAX_LENGTH,
  PRICE_SYMBOL_PATTERN,
  type PriceFeedDescriptor,
  type PriceUpdate,
  priceFeedService,
  type SubscribeRequest,
} from './descriptor.ts';
export { GrpcPriceFeed, serveGrpcPriceFeed } from './server.ts';
export {
  GRPC_PRICE_FEED_DEFAULTS,
  type GrpcPriceFeedEvents,
  type GrpcPriceFeedOptions,
  type GrpcPriceFeedStats,
  type GrpcRejection,
  type GrpcStreamCloseReason,
  type GrpcStreamStats,
} from './server-options.ts';
export {
  GRPC_STATUS_TO_ERROR_CODE,
  GrpcStatusError,
  type GrpcStatusName,
} from './status.ts';
