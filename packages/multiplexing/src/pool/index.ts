/**
 * The client-side connection pool (M9): a bounded set of connections to one server, lent one
 * borrower at a time, with a FIFO wait queue, health checks, idle eviction and a graceful close.
 *
 * Other areas import this area only through this file; `src/index.ts` chooses the public names.
 */
export {
  createFramedPoolConnector,
  createTcpPoolConnector,
  PooledFramedConnection,
  type PooledFramedConnectionEvents,
} from './connectors.ts';
export {
  CONNECTION_POOL_DEFAULTS,
  type ConnectionPoolOptions,
  isConnectionLevelError,
  type PoolableConnection,
  type PoolConnectAttempt,
  type PoolConnector,
} from './options.ts';
export { ConnectionPool, createConnectionPool } from './pool.ts';
export {
  type ConnectionPoolEvents,
  type ConnectionPoolStats,
  POOL_DESTROY_REASONS,
  type PoolCloseReport,
  type PoolDestroyReason,
} from './types.ts';
