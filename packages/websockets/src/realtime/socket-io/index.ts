// Socket.IO done carefully: typed event maps, safe server defaults, acks with timeouts, payload
// checks before relaying (src/realtime/socket-io/).
export {
  type AckArgs,
  type AckEventNames,
  type AckReply,
  emitWithAckTimeout,
  isAckRefusal,
} from './ack.ts';
export {
  connectRealtimeClient,
  REALTIME_CLIENT_DEFAULTS,
  type RealtimeClientOptions,
} from './client.ts';
export type {
  AckRefusal,
  ExampleClientToServerEvents,
  ExampleMessage,
  ExampleServerToClientEvents,
  ExampleSocketData,
  RealtimeEventsMap,
} from './event-map.ts';
export {
  SOCKET_IO_LOAD_DEFAULTS,
  type SocketIoLoadOptions,
  socketIoLoadConnector,
} from './load.ts';
export {
  checkPayload,
  DEFAULT_MAX_EVENT_BYTES,
  DEFAULT_MAX_EVENT_DEPTH,
  type PayloadGuardOptions,
  type PayloadLimits,
  payloadGuard,
} from './payload.ts';
export {
  createRealtimeServer,
  REALTIME_SERVER_DEFAULTS,
  type RealtimeServerOptions,
} from './server.ts';
