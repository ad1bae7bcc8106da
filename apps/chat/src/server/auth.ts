/**
 * Who a connection is: guest tokens (HS256 JWTs this server signs for a nickname) and the
 * handshake check, stage 4's `createAuthMiddleware`, plus the chat's own claim, `name`.
 * @see RFC 7519 (JSON Web Token), RFC 7518 §3.2 (HS256), RFC 8725 (JWT best practices)
 */

import { createHmac, randomBytes } from 'node:crypto';
import { checkInteger } from '@socketlab/internal';
import {
  AUTH_FAILURE_MESSAGES,
  type AuthSocketData,
  createAuthMiddleware,
  type JwtVerifyOptions,
  RealtimeError,
} from '@socketlab/websockets/realtime';
import type { Socket } from 'socket.io';
import { type ChatUser, NICK_PATTERN, type SessionResponse } from '../contract.ts';

/** The `iss` and `aud` every token must carry (guest tokens do; a JWT signed elsewhere must too). */
export const CHAT_TOKEN_ISSUER = 'socketlab-chat';
export const CHAT_TOKEN_AUDIENCE = 'socketlab-chat';
/** How long a guest token lasts by default, in ms: 12 h. */
export const DEFAULT_TOKEN_TTL_MS = 12 * 60 * 60 * 1000;

/** What the chat keeps on `socket.data` once a connection is accepted. */
export interface ChatSocketData extends Partial<AuthSocketData> {
  user?: ChatUser;
}

/** The tokens of one server: issues guest tokens, and checks every handshake. */
export interface ChatAuth {
  /** A guest token for `nick`; `via: 'tcp'` for the nc gateway's users (a signed claim). */
  issueGuestToken(nick: string, via?: ChatUser['via']): SessionResponse;
  /** `io.use` middlewares, in order: the JWT, then the chat's claims. */
  readonly middlewares: readonly ((socket: Socket, next: (err?: Error) => void) => void)[];
}

const base64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

/** Signs `claims` as a compact HS256 JWS (RFC 7515 §7.1, RFC 7518 §3.2). */
export function signHs256(claims: Record<string, unknown>, secret: string): string {
  const head = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(JSON.stringify(claims))}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

/** The refusal of a handshake whose token verified but does not name a usable chat user. */
function claimsRefused(detail: string): RealtimeError {
  return new RealtimeError(
    'REALTIME_ERR_AUTH',
    `${AUTH_FAILURE_MESSAGES['claims-invalid']}: ${detail}`,
    { reason: 'claims-invalid' },
  );
}

/**
 * Makes the server's token handling. Without `jwtSecret` a random per-process secret signs guest
 * tokens, so only tokens this process issued are accepted (and none survive a restart).
 * @throws {TypeError} for a `jwtSecret` shorter than 32 bytes (stage 4's rule for HS256).
 * @throws {RangeError} for a `tokenTtlMs` that is not a whole number ≥ 1000.
 */
export function createChatAuth(
  options: {
    jwtSecret?: string | undefined;
    tokenTtlMs?: number | undefined;
    now?: () => number;
  } = {},
): ChatAuth {
  const secret = options.jwtSecret ?? randomBytes(32).toString('base64url');
  const ttlMs = checkInteger('tokenTtlMs', options.tokenTtlMs ?? DEFAULT_TOKEN_TTL_MS, 1000);
  const now = options.now ?? Date.now;
  const jwt: JwtVerifyOptions = {
    algorithms: ['HS256'],
    key: secret,
    issuer: CHAT_TOKEN_ISSUER,
    audience: CHAT_TOKEN_AUDIENCE,
    now,
  };
  const verify = createAuthMiddleware({ jwt }); // checks the options: a short secret throws here

  const claimsToUser = (socket: Socket, next: (err?: Error) => void): void => {
    const data = socket.data as ChatSocketData;
    const claims = data.auth?.method === 'jwt' ? data.auth.claims : undefined;
    const name: unknown = claims?.name;
    if (claims === undefined) {
      next(claimsRefused('no verified token'));
      return;
    }
    if (typeof name !== 'string' || !NICK_PATTERN.test(name)) {
      next(claimsRefused('the name claim must be a nickname of 1–16 letters, digits, _ or -'));
      return;
    }
    // `via` is a claim this server signs (the nc gateway's tokens): a client cannot claim it.
    const via = claims.via === 'tcp' ? 'tcp' : 'web';
    data.user = { id: claims.sub, nick: name, via };
    next();
  };

  return {
    issueGuestToken(nick, via = 'web') {
      if (typeof nick !== 'string' || !NICK_PATTERN.test(nick)) {
        throw new RealtimeError(
          'REALTIME_ERR_PAYLOAD',
          'a nickname is 1–16 letters, digits, "_" or "-"',
        );
      }
      const issuedAt = now();
      const expiresAt = issuedAt + ttlMs;
      const user: ChatUser = {
        id: `guest:${randomBytes(9).toString('base64url')}`,
        nick,
        via,
      };
      const token = signHs256(
        {
          sub: user.id,
          name: nick,
          ...(via === 'tcp' ? { via } : {}),
          iss: CHAT_TOKEN_ISSUER,
          aud: CHAT_TOKEN_AUDIENCE,
          iat: Math.floor(issuedAt / 1000),
          exp: Math.floor(expiresAt / 1000),
        },
        secret,
      );
      return { token, user, expiresAt: Math.floor(expiresAt / 1000) * 1000 };
    },
    middlewares: [verify as (socket: Socket, next: (err?: Error) => void) => void, claimsToUser],
  };
}
