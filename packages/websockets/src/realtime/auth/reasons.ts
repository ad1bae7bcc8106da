/**
 * Why a handshake's (or a refresh's) credentials were refused: the stable `reason` of a
 * `REALTIME_ERR_AUTH` error, which a client receives in `connect_error`'s `err.data.reason` and
 * can branch on or show. A reason never holds the token, a key or a secret.
 */
export const AUTH_FAILURE_REASONS = [
  /** No `token` or `apiKey` in the handshake's `auth` payload. */
  'missing',
  /** Not a compact JWS (three base64url parts), not JSON inside, too long, or not a string. */
  'malformed',
  /** The token's `exp` has passed (beyond the clock tolerance). */
  'expired',
  /** The token's `nbf` is still in the future (beyond the clock tolerance). */
  'not-yet-valid',
  /** The signature does not verify with the server's key: forged, or signed with another key. */
  'bad-signature',
  /** The token names no key the server knows (`kid` not in the JWKS). */
  'unknown-key',
  /** The token's `alg` is not in the server's allow-list (`none`, or HS256 where ES256 is expected). */
  'algorithm-not-allowed',
  /** The token's `aud` does not name this service. */
  'wrong-audience',
  /** The token's `iss` is not the expected issuer. */
  'wrong-issuer',
  /** A claim the server requires is missing or has the wrong type (`sub`, `exp`). */
  'claims-invalid',
  /** A credential was sent in the URL's query string, which ends up in logs: it is refused. */
  'token-in-query',
  /** The API key is not in the server's key store. */
  'unknown-api-key',
  /** A refresh token names another subject than the connection's. */
  'subject-changed',
  /** The server could not check the credentials (a key store or JWKS that failed): try again later. */
  'unavailable',
] as const;

/** One of {@link AUTH_FAILURE_REASONS}. */
export type AuthFailureReason = (typeof AUTH_FAILURE_REASONS)[number];

/** True when `value` is one of {@link AUTH_FAILURE_REASONS}. */
export function isAuthFailureReason(value: unknown): value is AuthFailureReason {
  return typeof value === 'string' && (AUTH_FAILURE_REASONS as readonly string[]).includes(value);
}

/** What a person reads for each reason: what happened and what to do. */
export const AUTH_FAILURE_MESSAGES: Readonly<Record<AuthFailureReason, string>> = {
  missing: 'no credentials: send a token (or an API key) in the handshake auth payload',
  malformed: 'the token is not a well-formed JWT: sign in again',
  expired: 'the token has expired: refresh it (or sign in again) and reconnect',
  'not-yet-valid': 'the token is not valid yet: check the clocks of the issuer and this machine',
  'bad-signature': 'the token signature does not verify: it was not issued for this server',
  'unknown-key': 'the token is signed with a key this server does not know: sign in again',
  'algorithm-not-allowed': 'the token is signed with an algorithm this server does not accept',
  'wrong-audience': 'the token was issued for another service (audience)',
  'wrong-issuer': 'the token was issued by an issuer this server does not trust',
  'claims-invalid': 'the token lacks a claim this server requires (subject, expiry)',
  'token-in-query':
    'credentials in the URL query string are refused (URLs end up in logs): send them in the handshake auth payload',
  'unknown-api-key': 'the API key is not known: check it, or ask for a new one',
  'subject-changed': 'a refreshed token must be for the same user as the connection',
  unavailable: 'the server could not check the credentials right now: try again later',
};
