/**
 * Unix domain sockets (T11): path checks, listen with stale-file recovery, connect.
 *
 * Other areas import this area only through this file. It exports what the package entry
 * makes public and what sibling areas need; `src/index.ts` chooses the public names.
 */
export {
  checkUnixSocketPath,
  UNIX_MAX_PATH_BYTES,
  UNIX_SUN_PATH_BYTES,
  UNIX_SUN_PATH_BYTES_BSD,
  type UnixSocketAddress,
} from './path.ts';
export {
  connectUnix,
  DEFAULT_UNIX_CLOSE_TIMEOUT_MS,
  DEFAULT_UNIX_CONNECT_TIMEOUT_MS,
  DEFAULT_UNIX_PROBE_TIMEOUT_MS,
  DEFAULT_UNIX_SOCKET_MODE,
  listenUnix,
  type UnixConnectOptions,
  type UnixListenOptions,
  type UnixSocketServer,
} from './socket.ts';
