export {
  type ClusterOperations,
  createScaledEmitter,
  type ScaledEmitter,
  type ScaledEmitterOptions,
} from './emitter.ts';
export { askInstances } from './instances.ts';
export {
  createScaledServer,
  SCALING_DEFAULTS,
  type ScaledServer,
  type ScaledServerOptions,
  type ScalingAdapter,
  type StreamsAdapterReadyOptions,
  waitForStreamsAdapter,
} from './server.ts';
