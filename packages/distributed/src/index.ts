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
  bridgeNatsToSocketIo,
  DEFAULT_MAX_NATS_PAYLOAD_BYTES,
  type DurableConsumerOptions,
  decodeBrokerJson,
  ensureDurableConsumer,
  ensureStream,
  isPublishSubject,
  type NatsBridge,
  type NatsBridgeOptions,
  type NatsBridgeStats,
  type NatsInbound,
  type NatsPublishAck,
  type NatsRequestOptions,
  type NatsRoute,
  type ReplayedMessage,
  type ReplayOptions,
  replayFrom,
  requestNats,
  SOCKET_ID_HEADER,
  subjectMatches,
} from './nats/index.ts';
