/**
 * `@socketlab/websockets/realtime`: real time on Socket.IO, next to the hand-written WebSocket of
 * the main entry — typed events and acknowledgements, auth, rate limits, binary encodings, a game
 * server and the chat and notification pieces the apps use. A subpath of its own, so importing the
 * RFC 6455 library never loads socket.io. Everything public is re-exported here by name.
 */

export { REALTIME_ERROR_CODES, RealtimeError, type RealtimeErrorCode } from './errors.ts';
export {
  type AckArgs,
  type AckEventNames,
  type AckRefusal,
  type AckReply,
  checkPayload,
  connectRealtimeClient,
  createRealtimeServer,
  DEFAULT_MAX_EVENT_BYTES,
  DEFAULT_MAX_EVENT_DEPTH,
  type ExampleClientToServerEvents,
  type ExampleMessage,
  type ExampleServerToClientEvents,
  type ExampleSocketData,
  emitWithAckTimeout,
  isAckRefusal,
  type PayloadGuardOptions,
  type PayloadLimits,
  payloadGuard,
  REALTIME_CLIENT_DEFAULTS,
  REALTIME_SERVER_DEFAULTS,
  type RealtimeClientOptions,
  type RealtimeEventsMap,
  type RealtimeServerOptions,
} from './socket-io/index.ts';
