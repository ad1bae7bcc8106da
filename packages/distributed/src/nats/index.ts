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
