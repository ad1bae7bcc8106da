// biome-ignore-all lint/correctness/noUnusedImports: starter stubs; your code will use them
// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter
import { jwtVerify } from 'jose';
import type { Socket } from 'socket.io';
import { RealtimeError } from '../../src/realtime/errors.ts';

/**
 * Why a handshake was refused: the `reason` your error carries in `err.data`
 * (exercises/08-jwt-middleware/README.md, "Reasons a client can show").
 */
export type JwtRefusalReason =
  | 'missing'
  | 'malformed'
  | 'expired'
  | 'not-yet-valid'
  | 'bad-signature'
  | 'algorithm-not-allowed'
  | 'wrong-audience'
  | 'wrong-issuer'
  | 'token-in-query';

/** Options of {@link createJwtMiddleware}: tokens are HS256, signed with `secret`. */
export interface JwtMiddlewareOptions {
  /** The HMAC secret (at least 32 bytes). */
  secret: string;
  /** The expected `iss`. */
  issuer: string;
  /** This service's name: the token's `aud` must name it. */
  audience: string;
  /** Seconds of leeway for `exp` and `nbf`. @default 0 */
  clockToleranceSeconds?: number;
}

/** The Socket.IO middleware shape: `io.use(middleware)`. */
export type JwtMiddleware = (socket: Socket, next: (err?: Error) => void) => void;

/**
 * A Socket.IO handshake middleware (exercises/08-jwt-middleware/README.md): reads the JWT from
 * `socket.handshake.auth.token`, verifies it with jose, and on success puts its claims on
 * `socket.data.claims` and calls `next()`; otherwise calls
 * `next(new RealtimeError('REALTIME_ERR_AUTH', message, { reason }))`.
 * @example io.use(createJwtMiddleware({ secret, issuer: 'https://id.example', audience: 'chat' }));
 */
export function createJwtMiddleware(options: JwtMiddlewareOptions): JwtMiddleware {
  // TODO: refuse a credential in the query string first: socket.handshake.query.token (or any
  //       parameter named like token/key/auth) → reason 'token-in-query', even if auth has one too.
  // TODO: socket.handshake.auth.token: absent → 'missing'; not a string → 'malformed'.
  // TODO: jwtVerify(token, secretBytes, { algorithms: ['HS256'], issuer, audience, clockTolerance })
  //       and map each jose error's `code` (and `claim`) to a JwtRefusalReason.
  // TODO: success → socket.data.claims = payload; next().
  throw new Error('not implemented yet: read exercises/08-jwt-middleware/README.md');
}
