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
  askInstances,
  type ClusterOperations,
  createScaledEmitter,
  createScaledServer,
  SCALING_DEFAULTS,
  type ScaledEmitter,
  type ScaledEmitterOptions,
  type ScaledServer,
  type ScaledServerOptions,
  type ScalingAdapter,
} from './scaling/index.ts';
