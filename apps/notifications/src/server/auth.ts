/**
 * Who is calling. Senders hold API keys (stage 4's `verifyApiKey`: only the keys' SHA-256 hashes
 * are kept, compared in constant time); users hold JWTs (HS256) the app issues to a sender for a
 * user (`POST /tokens`, as Pusher's auth endpoint does), checked by stage 5's `jwtAuthenticate`
 * (stage 4's `verifyJwt`: allow-listed algorithm, issuer, audience, expiry).
 * @see RFC 7519 (JSON Web Token), RFC 7518 §3.2 (HS256), RFC 8725 (JWT best practices)
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  bearerToken,
  jwtAuthenticate,
  type NotificationAuthenticate,
  RECIPIENT_PATTERN,
} from '@socketlab/distributed';
import {
  type ApiKeyPrincipal,
  hashApiKey,
  MAX_API_KEY_LENGTH,
  verifyApiKey,
} from '@socketlab/websockets/realtime';
import { API_KEY_HEADER, type TokenResponse } from '../contract.ts';

/** The `iss` and `aud` of user tokens. */
export const NOTIFY_TOKEN_ISSUER = 'socketlab-notify';
export const NOTIFY_TOKEN_AUDIENCE = 'socketlab-notify';
/** How long a user token lasts by default: 12 h. */
export const DEFAULT_TOKEN_TTL_MS = 12 * 60 * 60 * 1000;

/** The name a key is known by in histories and metrics: never the key itself. */
export const apiKeyName = (key: string): string => `key-${hashApiKey(key).slice(0, 8)}`;

/** The API keys of one server. */
export interface ApiKeys {
  /** The key a request carries (`X-API-Key`, or `Authorization: Bearer`), if any. */
  presented(req: IncomingMessage): string | undefined;
  /** The sender's name for a presented key, or `undefined` for a wrong one. */
  check(presented: string | undefined): Promise<string | undefined>;
}

/**
 * The API keys `keys` (each 16 to {@link MAX_API_KEY_LENGTH} printable ASCII characters).
 * @throws {RangeError} for a key that is too short or too long, or none at all.
 */
export function createApiKeys(keys: readonly string[]): ApiKeys {
  if (keys.length === 0) throw new RangeError('give at least one API key');
  const store = new Map<string, ApiKeyPrincipal>();
  for (const key of keys) {
    if (!/^[\x21-\x7e]+$/.test(key) || key.length < 16 || key.length > MAX_API_KEY_LENGTH) {
      throw new RangeError(
        `an API key is 16 to ${MAX_API_KEY_LENGTH} printable ASCII characters, got one of ${key.length}`,
      );
    }
    store.set(hashApiKey(key), { subject: apiKeyName(key) });
  }
  return {
    presented(req) {
      const header = req.headers[API_KEY_HEADER];
      return typeof header === 'string' && header !== '' ? header : bearerToken(req);
    },
    async check(presented) {
      try {
        return (await verifyApiKey(presented, store)).subject;
      } catch {
        return undefined;
      }
    },
  };
}

const base64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

/** Signs `claims` as a compact HS256 JWS (RFC 7515 §7.1, RFC 7518 §3.2). */
function signHs256(claims: Record<string, unknown>, secret: string): string {
  const head = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(JSON.stringify(claims))}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

/** The user tokens of one server. */
export interface UserTokens {
  /** A token for `user` (a valid user id). @throws {RangeError} for an invalid one. */
  issue(user: string): TokenResponse;
  /** Token → user, for sockets, SSE and history. */
  readonly authenticate: NotificationAuthenticate;
}

/**
 * Issues and checks user tokens. Without `secret` a random per-process secret signs them, so only
 * tokens this process issued are accepted; instances behind one balancer share `secret`.
 * @throws {TypeError} for a secret shorter than 32 bytes (stage 4's rule for HS256).
 */
export function createUserTokens(
  options: { secret?: string | undefined; ttlMs?: number; now?: () => number } = {},
): UserTokens {
  const secret = options.secret ?? randomBytes(32).toString('base64url');
  const ttlMs = options.ttlMs ?? DEFAULT_TOKEN_TTL_MS;
  const now = options.now ?? Date.now;
  const authenticate = jwtAuthenticate({
    algorithms: ['HS256'],
    key: secret,
    issuer: NOTIFY_TOKEN_ISSUER,
    audience: NOTIFY_TOKEN_AUDIENCE,
    now,
  });
  return {
    authenticate,
    issue(user) {
      if (!RECIPIENT_PATTERN.test(user)) {
        throw new RangeError('a user id is 1 to 64 of A-Z a-z 0-9 _ . : @ -');
      }
      const iat = Math.floor(now() / 1000);
      const exp = iat + Math.floor(ttlMs / 1000);
      const token = signHs256(
        { sub: user, iss: NOTIFY_TOKEN_ISSUER, aud: NOTIFY_TOKEN_AUDIENCE, iat, exp },
        secret,
      );
      return { user, token, expiresAt: exp * 1000 };
    },
  };
}
