/** The opening handshake (RFC 6455 §4), pure: head readers, checks and answers for both sides. */
export {
  acceptKey,
  isValidWebSocketKey,
  WEBSOCKET_GUID,
  WEBSOCKET_KEY_BYTES,
  WEBSOCKET_VERSION,
  webSocketKeyFrom,
} from './accept-key.ts';
export {
  type ClientHandshake,
  type ClientHandshakeOptions,
  createClientHandshake,
  type ExpectedUpgrade,
  type UpgradeResponseResult,
  validateUpgradeResponse,
} from './client.ts';
export {
  createRequestHeadReader,
  createResponseHeadReader,
  DEFAULT_MAX_HEAD_BYTES,
  DEFAULT_MAX_HEADERS,
  type HeadReader,
  type HeadReaderOptions,
  type HeadResult,
  type HttpHead,
  type HttpRequestHead,
  type HttpResponseHead,
} from './head-reader.ts';
export { type ExtensionOffer, type HeaderFields, parseExtensions } from './http-syntax.ts';
export {
  buildRejectResponse,
  buildUpgradeResponse,
  type UpgradeResponseOptions,
} from './responses.ts';
export {
  type UpgradeAccepted,
  type UpgradeRejected,
  type UpgradeRejectReason,
  type UpgradeRequestOptions,
  validateUpgradeRequest,
} from './validate-request.ts';
