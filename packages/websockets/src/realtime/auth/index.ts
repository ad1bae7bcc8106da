export {
  type ApiKeyPrincipal,
  type ApiKeyStore,
  generateApiKey,
  hashApiKey,
  MAX_API_KEY_LENGTH,
  verifyApiKey,
} from './api-keys.ts';
export {
  CERTIFICATE_ERROR_CODES,
  type CertificateFailureReason,
  explainCertificateError,
} from './certificates.ts';
export { DEFAULT_REFRESH_TIMEOUT_MS, explainConnectError, refreshToken } from './client.ts';
export {
  checkJwtOptions,
  DEFAULT_MAX_TOKEN_LENGTH,
  type JwtKey,
  type JwtVerifyOptions,
  type VerifiedClaims,
  verifyJwt,
} from './jwt.ts';
export {
  type AuthContext,
  type AuthMiddleware,
  type AuthOptions,
  type AuthSocketData,
  authenticate,
  createAuthMiddleware,
  type HandshakeCredentials,
} from './middleware.ts';
export {
  AUTH_FAILURE_MESSAGES,
  AUTH_FAILURE_REASONS,
  type AuthFailureReason,
  isAuthFailureReason,
} from './reasons.ts';
export {
  AUTH_EXPIRED_EVENT,
  AUTH_REFRESH_EVENT,
  type AuthClock,
  type AuthRefreshAck,
  type TokenExpiryOptions,
  type UseAuthOptions,
  useAuth,
  watchTokenExpiry,
} from './session.ts';
