export { createNatsBackend, type NatsBackendOptions } from './nats.ts';
export {
  createRedisBackend,
  REDIS_BACKEND_DEFAULTS,
  type RedisBackendOptions,
} from './redis.ts';
