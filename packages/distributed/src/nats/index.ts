export {
  bridgeNatsToSocketIo,
  type NatsBridge,
  type NatsBridgeOptions,
  type NatsBridgeStats,
  type NatsInbound,
  type NatsPublishAck,
  type NatsRoute,
  SOCKET_ID_HEADER,
} from './bridge.ts';
export {
  JETSTREAM_FEED_DEFAULTS,
  type JetStreamCatchUpAck,
  type JetStreamFeed,
  type JetStreamFeedMessage,
  type JetStreamFeedOptions,
  type JetStreamFeedRoute,
  type JetStreamFeedStats,
  serveJetStreamFeed,
} from './catch-up.ts';
export {
  type JetStreamFeedTracker,
  type JetStreamFeedTrackerOptions,
  type JetStreamFeedTrackerStats,
  trackJetStreamFeed,
} from './catch-up-client.ts';
export {
  type DurableConsumerOptions,
  ensureDurableConsumer,
  ensureStream,
  type ReplayedMessage,
  type ReplayOptions,
  replayFrom,
} from './jetstream.ts';
export {
  DEFAULT_MAX_NATS_PAYLOAD_BYTES,
  decodeBrokerJson,
  isPublishSubject,
  subjectMatches,
} from './payload.ts';
export { type NatsRequestOptions, requestNats } from './request.ts';
