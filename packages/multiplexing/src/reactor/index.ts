export {
  listenReactorEcho,
  type ReactorEchoOptions,
  type ReactorEchoServer,
  type ReactorEchoStats,
} from './echo.ts';
export { REACTOR_DEFAULTS, Reactor, type ReactorOptions } from './reactor.ts';
export { DEFAULT_MAX_READ_BYTES, SocketDemultiplexer } from './socket-demultiplexer.ts';
export type { ReactorTimerId } from './timers.ts';
export {
  type Demultiplexer,
  READINESS,
  type ReactorClock,
  type ReactorHandle,
  type ReactorHandler,
  type Readiness,
  type ReadyEvent,
  type TurnSummary,
} from './types.ts';
