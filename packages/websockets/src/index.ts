/**
 * `@socketlab/websockets`, stage 4 of socketlab: WebSockets written from RFC 6455.
 * Everything public is re-exported here by name.
 */
export {
  WEBSOCKET_ERROR_CODES,
  WebSocketError,
  type WebSocketErrorCode,
} from './errors.ts';

// The opening handshake (RFC 6455 §4), pure: src/handshake/.
export {
  acceptKey,
  buildRejectResponse,
  buildUpgradeResponse,
  type ClientHandshake,
  type ClientHandshakeOptions,
  createClientHandshake,
  createRequestHeadReader,
  createResponseHeadReader,
  DEFAULT_MAX_HEAD_BYTES,
  DEFAULT_MAX_HEADERS,
  type ExpectedUpgrade,
  type ExtensionOffer,
  type HeaderFields,
  type HeadReader,
  type HeadReaderOptions,
  type HeadResult,
  type HttpHead,
  type HttpRequestHead,
  type HttpResponseHead,
  isValidWebSocketKey,
  type UpgradeAccepted,
  type UpgradeRejected,
  type UpgradeRejectReason,
  type UpgradeRequestOptions,
  type UpgradeResponseOptions,
  type UpgradeResponseResult,
  validateUpgradeRequest,
  validateUpgradeResponse,
  WEBSOCKET_GUID,
  WEBSOCKET_KEY_BYTES,
  WEBSOCKET_VERSION,
  webSocketKeyFrom,
} from './handshake/index.ts';
