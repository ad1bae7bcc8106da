/**
 * `@socketlab/distributed`, stage 5 of socketlab: scaling sockets out on real engines.
 * Everything public is re-exported here by name.
 */

export {
  DISTRIBUTED_ERROR_CODES,
  DistributedError,
  type DistributedErrorCode,
} from './errors.ts';
export {
  type ConflatedSink,
  ConflatingBuffer,
  type ConflatingBufferOptions,
  ConflatingFeed,
  type ConflatingFeedOptions,
  type ConflatingFeedServer,
  type ConflatingFeedServerOptions,
  type ConflationOverflow,
  type ConflationStats,
  decodeFeedUpdate,
  type FeedConnectionStats,
  type FeedSubscription,
  type FeedUpdate,
  type OfferResult,
  type SocketIoFeed,
  type SocketIoFeedOptions,
  type SocketIoFeedStats,
  type StreamingClock,
  serveConflatingFeed,
  serveConflatingFeedOverSocketIo,
  writeConflated,
} from './streaming/index.ts';
