export {
  type ConcurrencyAnswer,
  type ConcurrencyCall,
  type ConcurrencyClient,
  type ConcurrencyClientOptions,
  connectConcurrencyClient,
} from './client.ts';
export {
  CONCURRENCY_MODELS,
  CONCURRENCY_SERVER_DEFAULTS,
  type ConcurrencyModel,
  type ConcurrencyServer,
  type ConcurrencyServerOptions,
} from './options.ts';
export {
  CONCURRENCY_LIMITS,
  CONCURRENCY_REQUEST_KINDS,
  type ConcurrencyRequest,
  type ConcurrencyResponse,
  formatConcurrencyRequest,
  formatConcurrencyResponse,
  parseConcurrencyRequest,
  parseConcurrencyResponse,
} from './protocol.ts';
export { listenConcurrencyServer } from './server.ts';
export { hashRounds } from './work.ts';
export {
  WORKER_POOL_DEFAULTS,
  WorkerPool,
  type WorkerPoolOptions,
  type WorkerPoolStats,
} from './worker-pool.ts';
export { servePoolTasks } from './worker-side.ts';
