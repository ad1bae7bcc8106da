/**
 * TCP that opens, closes and fails right (T1, T2, T4): server, client, connection, typed errors, TIME-WAIT.
 *
 * Other areas import this area only through this file. It exports what the package entry
 * makes public and what sibling areas need; `src/index.ts` chooses the public names.
 */
export {
  connectTcpClient,
  DEFAULT_TCP_CONNECT_TIMEOUT_MS,
  type TcpClientOptions,
  type TcpSocketFactory,
} from './client.ts';
export { whenConnected } from './connect.ts';
export {
  TcpConnection,
  type TcpConnectionEvents,
  type TcpConnectionOptions,
  type TcpEndOptions,
} from './connection.ts';
export {
  formatTcpPeer,
  type TcpCloseReason,
  type TcpErrorContext,
  type TcpOperation,
  toTcpError,
} from './errors.ts';
export { checkTcpTimeout } from './options.ts';
export {
  createTcpServer,
  DEFAULT_TCP_CLOSE_TIMEOUT_MS,
  DEFAULT_TCP_MAX_CONNECTIONS,
  TcpServer,
  type TcpServerEvents,
  type TcpServerOptions,
} from './server.ts';
export {
  findTimeWait,
  type TimeWaitQuery,
} from './time-wait.ts';
