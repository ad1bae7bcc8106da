/**
 * `@socketlab/distributed`, stage 5 of socketlab: scaling sockets out on real engines.
 * Everything public is re-exported here by name.
 */

export {
  DISTRIBUTED_ERROR_CODES,
  DistributedError,
  type DistributedErrorCode,
} from './errors.ts';
// mqtt and queues (D4): MQTT telemetry, RabbitMQ work queues.
export {
  createTelemetryClient,
  isValidTopicFilter,
  isValidTopicName,
  type LastWill,
  MAX_TOPIC_BYTES,
  matchTopic,
  type Reading,
  TelemetryClient,
  type TelemetryClientEvents,
  type TelemetryClientOptions,
  type TelemetryQos,
  TelemetryStream,
  type TelemetryStreamEvents,
} from './mqtt/index.ts';
export {
  type Consumer,
  createWorkQueue,
  DEAD_LETTER_ERROR_HEADER,
  DEAD_LETTER_REASON_HEADER,
  type DeadLetter,
  type DeadLetterReason,
  type Job,
  type JobHandler,
  RETRY_COUNT_HEADER,
  WorkQueue,
  type WorkQueueEvents,
  type WorkQueueNames,
  type WorkQueueOptions,
  workQueueNames,
} from './queues/index.ts';
