/**
 * The socket lifecycle made visible (B1, B8): the 5-tuple, typed lifecycle events, a line echo server and client that report every step, serial against concurrent servers, and a terminal formatter.
 *
 * Other areas import this area only through this file; `src/index.ts` chooses the public names.
 */
export {
  type BlockingDemonstration,
  type BlockingEchoServerOptions,
  createConcurrentEchoServer,
  createSerialEchoServer,
  demonstrateBlocking,
} from './blocking.ts';
export {
  connectEchoClient,
  EchoClient,
  type EchoClientOptions,
  type EchoOnceResult,
  echoOnce,
} from './echo-client.ts';
export {
  createEchoServer,
  type EchoSchedule,
  EchoServer,
  type EchoServerEvents,
  type EchoServerOptions,
} from './echo-server.ts';
export {
  type AcceptEvent,
  type BindEvent,
  type CloseEvent,
  type ConnectEvent,
  type CreateEvent,
  type ErrorEvent,
  type FiveTuple,
  fiveTuple,
  type HalfCloseEvent,
  LIFECYCLE_STEPS,
  type LifecycleClock,
  type LifecycleCloseReason,
  type LifecycleEvent,
  type LifecycleEventBase,
  type LifecycleSide,
  type LifecycleStep,
  type ListenEvent,
  type ReceiveEvent,
  type SendEvent,
} from './event.ts';
export {
  type FormatLifecycleEventOptions,
  formatLifecycleEvent,
} from './format.ts';
export { listenServer } from './listen.ts';
