/**
 * JWT verification with jose's `jwtVerify`, every failure mapped to a {@link AuthFailureReason}.
 * @see RFC 7519 (JSON Web Token), RFC 8725 (JWT Best Current Practices)
 */
import {
  type CryptoKey,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
  type KeyObject,
} from 'jose';
import { RealtimeError } from '../errors.ts';
import { AUTH_FAILURE_MESSAGES, type AuthFailureReason } from './reasons.ts';

/** Algorithms verified with a shared secret (RFC 7518 §3.2). */
const HMAC = new Set(['HS256', 'HS384', 'HS512']);
/** Bytes of secret at least as long as each HMAC's hash (RFC 7518 §3.2). */
const HMAC_MIN_SECRET_BYTES = 32;
/** The longest token accepted, in characters: a bound before any parsing. @default 8192 */
export const DEFAULT_MAX_TOKEN_LENGTH = 8192;

/** A verification key: a secret (HS*), a public key (ES*, RS*, PS*, EdDSA), or a key set (JWKS). */
export type JwtKey = Uint8Array | string | CryptoKey | KeyObject | JWTVerifyGetKey;

/** How {@link verifyJwt} checks a token. */
export interface JwtVerifyOptions {
  /**
   * The allow-list of `alg` values; required, never `none`, and of one family matching `key`:
   * HS* for a secret, asymmetric ones for a public key (so an HS256 token "signed" with the public
   * key, the key-confusion attack, is refused as `algorithm-not-allowed`).
   */
  algorithms: readonly string[];
  /** The key: a secret (string or bytes, at least 32 bytes), a public key, or a JWKS getter. */
  key: JwtKey;
  /** The expected `iss`. */
  issuer: string | readonly string[];
  /** This service's name, which the token's `aud` must contain. */
  audience: string | readonly string[];
  /** Leeway for `exp` and `nbf`, in seconds, for clocks that disagree. @default 0 */
  clockToleranceSeconds?: number;
  /** The longest token accepted, in characters. @default 8192 */
  maxTokenLength?: number;
  /** The clock, in milliseconds since the epoch (inject one in tests). @default Date.now */
  now?: () => number;
}

/** The claims a verified token carries: a `sub` and an `exp` always (the verifier requires them). */
export type VerifiedClaims = JWTPayload & { sub: string; exp: number };

/** The reason and message of a refusal, as a `RealtimeError`. */
export function authError(reason: AuthFailureReason, cause?: unknown): RealtimeError {
  return new RealtimeError('REALTIME_ERR_AUTH', AUTH_FAILURE_MESSAGES[reason], {
    reason,
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Checks `options` once, when a verifier is made: bad options are a server bug, thrown at once.
 * @throws {TypeError} no algorithms, `none`, a mix of HMAC and asymmetric, a short secret,
 * no issuer or audience.
 */
export function checkJwtOptions(options: JwtVerifyOptions): void {
  const { algorithms, key, issuer, audience } = options;
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw new TypeError('jwt.algorithms: give the allow-list of algorithms, e.g. ["ES256"]');
  }
  if (algorithms.some((alg) => alg.toLowerCase() === 'none')) {
    throw new TypeError('jwt.algorithms: "none" is never allowed (RFC 8725 §3.1)');
  }
  const hmac = algorithms.filter((alg) => HMAC.has(alg)).length;
  if (hmac !== 0 && hmac !== algorithms.length) {
    throw new TypeError(
      'jwt.algorithms: do not mix HMAC (HS*) and asymmetric algorithms (RFC 8725 §2.1)',
    );
  }
  const isSecret = typeof key === 'string' || key instanceof Uint8Array;
  if (isSecret !== hmac > 0) {
    throw new TypeError(
      isSecret
        ? 'jwt.key: a secret verifies HS* algorithms only'
        : 'jwt.key: a public key or JWKS verifies asymmetric algorithms only (not HS*)',
    );
  }
  if (isSecret) {
    const bytes = typeof key === 'string' ? Buffer.byteLength(key) : key.byteLength;
    if (bytes < HMAC_MIN_SECRET_BYTES) {
      throw new TypeError(`jwt.key: an HMAC secret needs at least ${HMAC_MIN_SECRET_BYTES} bytes`);
    }
  }
  if (issuer === undefined || audience === undefined) {
    throw new TypeError('jwt.issuer and jwt.audience are required (RFC 8725 §3.8, §3.9)');
  }
}

/** Maps a jose error (or anything else thrown while verifying) to a reason. */
export function reasonOfJoseError(error: unknown): AuthFailureReason {
  const { code, claim } = (error ?? {}) as { code?: unknown; claim?: unknown };
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'nbf') return 'not-yet-valid';
      if (claim === 'aud') return 'wrong-audience';
      if (claim === 'iss') return 'wrong-issuer';
      return 'claims-invalid';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'bad-signature';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'algorithm-not-allowed';
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'unknown-key';
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
      return 'unavailable';
    default:
      // jose reports everything wrong with the token itself with a code of its own (ERR_JWS_INVALID,
      // ERR_JWT_INVALID, ERR_JOSE_NOT_SUPPORTED …); anything else (a JWKS fetch that failed, a key
      // getter that threw) is the server's trouble, not the client's token.
      return typeof code === 'string' && /^ERR_J(OSE|WS|WT|WK)/.test(code)
        ? 'malformed'
        : 'unavailable';
  }
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Verifies a compact JWT: signature with an allowed algorithm, `iss`, `aud`, `exp` (required),
 * `nbf`, and a string `sub` (required).
 * @returns the verified claims.
 * @throws {RealtimeError} `REALTIME_ERR_AUTH` whose `data.reason` says why (never the token).
 * @example
 * const claims = await verifyJwt(token, { algorithms: ['ES256'], key: publicKey, issuer: 'https://id.example', audience: 'chat' });
 */
export async function verifyJwt(
  token: unknown,
  options: JwtVerifyOptions,
): Promise<VerifiedClaims> {
  const max = options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
  if (typeof token !== 'string' || token.length > max || !COMPACT_JWS.test(token)) {
    throw authError('malformed');
  }
  const now = options.now ?? Date.now;
  let payload: JWTPayload;
  try {
    const key =
      typeof options.key === 'string' ? new TextEncoder().encode(options.key) : options.key;
    const verifyOptions = {
      algorithms: [...options.algorithms],
      issuer: typeof options.issuer === 'string' ? options.issuer : [...options.issuer],
      audience: typeof options.audience === 'string' ? options.audience : [...options.audience],
      clockTolerance: options.clockToleranceSeconds ?? 0,
      currentDate: new Date(now()),
      requiredClaims: ['exp', 'sub'],
    };
    // jose's overloads take either a key or a getter; both go to the same function.
    ({ payload } =
      typeof key === 'function'
        ? await jwtVerify(token, key, verifyOptions)
        : await jwtVerify(token, key, verifyOptions));
  } catch (error) {
    throw authError(reasonOfJoseError(error), error);
  }
  if (typeof payload.sub !== 'string' || payload.sub === '' || typeof payload.exp !== 'number') {
    throw authError('claims-invalid');
  }
  return payload as VerifiedClaims;
}
