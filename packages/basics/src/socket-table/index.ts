/**
 * The machine's socket table (B9): /proc/net parsed, filtered and printed the way `ss` prints it.
 *
 * Other areas import this area only through this file; `src/index.ts` chooses the public names.
 */
export {
  decodeProcNetAddress,
  type ParseProcNetOptions,
  type ProcNetWarning,
  parseProcNet,
  SOCKET_PROTOCOLS,
  type SocketProtocol,
  type SocketState,
  type SocketTableEntry,
  type SocketTimerKind,
  type UdpSocketState,
} from './proc-net.ts';
export {
  type FormatSocketTableOptions,
  filterSockets,
  formatSocketTable,
  normalizeSocketState,
  type ReadSocketTableOptions,
  readSocketTable,
  type SocketFilter,
  ssStateName,
} from './table.ts';
