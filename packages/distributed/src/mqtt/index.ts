export {
  createTelemetryClient,
  type LastWill,
  TelemetryClient,
  type TelemetryClientEvents,
  type TelemetryClientOptions,
  type TelemetryQos,
} from './telemetry-client.ts';
export { type Reading, TelemetryStream, type TelemetryStreamEvents } from './telemetry-stream.ts';
export { isValidTopicFilter, isValidTopicName, MAX_TOPIC_BYTES, matchTopic } from './topics.ts';
