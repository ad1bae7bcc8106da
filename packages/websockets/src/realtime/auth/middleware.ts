/**
 * The handshake middleware: credentials from `socket.handshake.auth`, never from the URL.
 * @see https://socket.io/docs/v4/middlewares/ (Socket.IO middlewares)
 * @see https://socket.io/docs/v4/client-options/#auth (the client's `auth` option)
 */
import type { Socket } from 'socket.io';
import { RealtimeError } from '../errors.ts';
import { type ApiKeyStore, verifyApiKey } from './api-keys.ts';
import {
  authError,
  checkJwtOptions,
  type JwtVerifyOptions,
  type VerifiedClaims,
  verifyJwt,
} from './jwt.ts';

/** Who a connection is, once the middleware accepted it: `socket.data.auth`. */
export type AuthContext =
  | {
      method: 'jwt';
      /** The token's `sub`. */
      subject: string;
      /** Every verified claim. */
      claims: VerifiedClaims;
      /** When the token expires, in milliseconds since the epoch (`exp` × 1000). */
      expiresAt: number;
    }
  | { method: 'api-key'; subject: string; scopes: readonly string[] };

/** What the middleware puts on `socket.data`: type your `Server<…, …, …, AuthSocketData>` with it. */
export interface AuthSocketData {
  auth: AuthContext;
}

/** Options of {@link createAuthMiddleware}: at least one of `jwt` and `apiKeys`. */
export interface AuthOptions {
  /** Accept a JWT in `auth.token`, verified this way. */
  jwt?: JwtVerifyOptions;
  /** Accept an API key in `auth.apiKey`, looked up in this store. */
  apiKeys?: ApiKeyStore;
}

/** Words that make a query parameter's name say it is a credential (`access_token`, `apiKey`). */
const CREDENTIAL_WORDS = new Set([
  'token',
  'key',
  'apikey',
  'auth',
  'authorization',
  'jwt',
  'secret',
  'password',
  'passwd',
  'pwd',
  'bearer',
  'session',
  'credential',
  'credentials',
]);

/**
 * Whether a query parameter's name says it is a credential: one of its words (split at `_`, `-`,
 * `.` and lower-to-upper case changes) is a credential word, so `access_token`, `api-key` and
 * `apiKey` are, and `monkey` or `tokenizer` are not.
 */
export function isCredentialName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[\s_.-]+/);
  return words.some((word) => CREDENTIAL_WORDS.has(word));
}

/** The Socket.IO middleware shape: `io.use(middleware)` or `namespace.use(middleware)`. */
export type AuthMiddleware = (socket: Socket, next: (err?: RealtimeError) => void) => void;

/**
 * Authenticates the handshake with the `token` (a JWT) or `apiKey` of the client's `auth` payload
 * (`io(url, { auth: { token } })`). A credential in the query string is refused
 * (`token-in-query`), even next to a good one: URLs are logged by proxies and servers. On success
 * `socket.data.auth` is an {@link AuthContext}; on failure the client's `connect_error` has
 * `err.data = { code: 'REALTIME_ERR_AUTH', reason }` (an {@link AuthFailureReason}).
 * @throws {TypeError} at once for bad options (see `checkJwtOptions`), or neither method given.
 * @example
 * io.use(createAuthMiddleware({ jwt: { algorithms: ['ES256'], key: publicKey, issuer: 'https://id.example', audience: 'chat' } }));
 */
export function createAuthMiddleware(options: AuthOptions): AuthMiddleware {
  const { jwt, apiKeys } = options;
  if (jwt === undefined && apiKeys === undefined) {
    throw new TypeError('createAuthMiddleware: give jwt options, an apiKeys store, or both');
  }
  if (jwt !== undefined) checkJwtOptions(jwt);
  return (socket, next) => {
    authenticate(socket.handshake, options).then(
      (auth) => {
        (socket.data as Partial<AuthSocketData>).auth = auth;
        next();
      },
      // Only a RealtimeError reaches the client: a store or key getter that threw (a database
      // down) must not show its message to whoever is connecting.
      (error: unknown) =>
        next(error instanceof RealtimeError ? error : authError('unavailable', error)),
    );
  };
}

/** The part of a Socket.IO handshake the middleware reads. */
export interface HandshakeCredentials {
  auth: Record<string, unknown>;
  query: Record<string, unknown>;
}

/**
 * What the middleware does, without a socket: checks the query string, then the `auth` payload.
 * @throws {RealtimeError} `REALTIME_ERR_AUTH` with the reason.
 */
export async function authenticate(
  handshake: HandshakeCredentials,
  { jwt, apiKeys }: AuthOptions,
): Promise<AuthContext> {
  if (Object.keys(handshake.query ?? {}).some(isCredentialName)) {
    throw authError('token-in-query');
  }
  const auth = (handshake.auth ?? {}) as { token?: unknown; apiKey?: unknown };
  if (auth.token !== undefined && jwt !== undefined) {
    const claims = await verifyJwt(auth.token, jwt);
    return { method: 'jwt', subject: claims.sub, claims, expiresAt: claims.exp * 1000 };
  }
  if (auth.apiKey !== undefined && apiKeys !== undefined) {
    const { subject, scopes = [] } = await verifyApiKey(auth.apiKey, apiKeys);
    return { method: 'api-key', subject, scopes };
  }
  throw authError('missing');
}
