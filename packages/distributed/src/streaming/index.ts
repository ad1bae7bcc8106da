/** Streaming with conflation (D12): other areas import this area only through this file. */
export {
  ConflatingBuffer,
  type ConflatingBufferOptions,
  type ConflationOverflow,
  type ConflationStats,
  type OfferResult,
  type StreamingClock,
} from './conflating-buffer.ts';
export {
  ConflatingFeed,
  type ConflatingFeedOptions,
  type FeedSubscription,
} from './feed.ts';
export {
  type SocketIoFeed,
  type SocketIoFeedOptions,
  type SocketIoFeedStats,
  serveConflatingFeedOverSocketIo,
} from './socket-io-feed.ts';
export {
  type ConflatedSink,
  type ConflatingFeedServer,
  type ConflatingFeedServerOptions,
  decodeFeedUpdate,
  type FeedConnectionStats,
  type FeedUpdate,
  serveConflatingFeed,
  writeConflated,
} from './tcp-feed.ts';
