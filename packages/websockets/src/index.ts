/**
 * `@socketlab/websockets`, stage 4 of socketlab: WebSockets written from RFC 6455.
 * Everything public is re-exported here by name.
 */
export {
  WEBSOCKET_ERROR_CODES,
  WebSocketError,
  type WebSocketErrorCode,
} from './errors.ts';
