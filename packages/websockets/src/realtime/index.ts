/**
 * `@socketlab/websockets/realtime`: real time on Socket.IO, next to the hand-written WebSocket of
 * the main entry — typed events and acknowledgements, auth, rate limits, binary encodings, a game
 * server and the chat and notification pieces the apps use. A subpath of its own, so importing the
 * RFC 6455 library never loads socket.io. Everything public is re-exported here by name.
 */

export {
  type ApiKeyPrincipal,
  type ApiKeyStore,
  AUTH_EXPIRED_EVENT,
  AUTH_FAILURE_MESSAGES,
  AUTH_FAILURE_REASONS,
  AUTH_REFRESH_EVENT,
  type AuthClock,
  type AuthContext,
  type AuthFailureReason,
  type AuthMiddleware,
  type AuthOptions,
  type AuthRefreshAck,
  type AuthSocketData,
  authenticate,
  CERTIFICATE_ERROR_CODES,
  type CertificateFailureReason,
  checkJwtOptions,
  createAuthMiddleware,
  DEFAULT_MAX_TOKEN_LENGTH,
  DEFAULT_REFRESH_TIMEOUT_MS,
  explainCertificateError,
  explainConnectError,
  generateApiKey,
  type HandshakeCredentials,
  hashApiKey,
  isAuthFailureReason,
  type JwtKey,
  type JwtVerifyOptions,
  MAX_API_KEY_LENGTH,
  refreshToken,
  type TokenExpiryOptions,
  type UseAuthOptions,
  useAuth,
  type VerifiedClaims,
  verifyApiKey,
  verifyJwt,
  watchTokenExpiry,
} from './auth/index.ts';
export { REALTIME_ERROR_CODES, RealtimeError, type RealtimeErrorCode } from './errors.ts';
