/**
 * A token's life after the handshake: the connection ends when the token expires, unless the
 * client sends a fresh one for the same subject first.
 */
import type { Namespace, Server, Socket } from 'socket.io';
import { RealtimeError } from '../errors.ts';
import { authError, type JwtVerifyOptions, verifyJwt } from './jwt.ts';
import {
  type AuthContext,
  type AuthOptions,
  type AuthSocketData,
  createAuthMiddleware,
} from './middleware.ts';
import { AUTH_FAILURE_MESSAGES } from './reasons.ts';

/** The event a client emits with a new token, acknowledged with an {@link AuthRefreshAck}. */
export const AUTH_REFRESH_EVENT = 'auth:refresh';
/** The event the server emits, with `{ code, reason, message }`, just before it disconnects an expired connection. */
export const AUTH_EXPIRED_EVENT = 'auth:expired';

/** The acknowledgement of `auth:refresh`. */
export type AuthRefreshAck =
  | { ok: true; expiresAt: number }
  | { ok: false; error: { code: 'REALTIME_ERR_AUTH'; reason: string }; message: string };

/** The clock of the expiry timers (stage 3's shape; testkit's `ManualClock` fits). */
export interface AuthClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Options of {@link watchTokenExpiry}. */
export interface TokenExpiryOptions {
  /** Verifies refreshed tokens; without it `auth:refresh` is not offered. */
  jwt?: JwtVerifyOptions;
  /** @default the system clock */
  clock?: AuthClock;
}

/** Node's longest timer: a later expiry is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const systemClock: AuthClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Disconnects `socket` when its token (`socket.data.auth.expiresAt`, plus `jwt`'s clock
 * tolerance) expires, after emitting
 * `auth:expired`; with `jwt`, answers `auth:refresh` (a new token, same `sub`) by moving the
 * deadline. The timer is cleared on disconnect. Does nothing for API-key connections.
 * @example io.on('connection', (socket) => watchTokenExpiry(socket, { jwt }));
 */
export function watchTokenExpiry(
  socket: Socket,
  { jwt, clock = systemClock }: TokenExpiryOptions = {},
): void {
  const data = socket.data as Partial<AuthSocketData>;
  if (data.auth?.method !== 'jwt') return;
  let timer: unknown;
  // The handshake accepted the token up to `clockToleranceSeconds` past exp: so does the timer.
  const toleranceMs = (jwt?.clockToleranceSeconds ?? 0) * 1000;
  const arm = (): void => {
    clock.clearTimeout(timer);
    const auth = data.auth as Extract<AuthContext, { method: 'jwt' }>;
    const deadline = auth.expiresAt + toleranceMs;
    const left = deadline - clock.now();
    timer = clock.setTimeout(
      () => {
        if (deadline > clock.now()) return arm();
        socket.emit(AUTH_EXPIRED_EVENT, {
          code: 'REALTIME_ERR_AUTH',
          reason: 'expired',
          message: AUTH_FAILURE_MESSAGES.expired,
        });
        socket.disconnect();
      },
      Math.min(Math.max(left, 0), MAX_TIMER_MS),
    );
  };
  arm();
  socket.once('disconnect', () => clock.clearTimeout(timer));
  if (jwt === undefined) return;
  const refreshOptions: JwtVerifyOptions = { ...jwt, now: jwt.now ?? (() => clock.now()) };
  socket.on(AUTH_REFRESH_EVENT, (token: unknown, ack: unknown) => {
    if (typeof ack !== 'function') return;
    const reply = ack as (answer: AuthRefreshAck) => void;
    const current = data.auth as Extract<AuthContext, { method: 'jwt' }>;
    verifyJwt(token, refreshOptions)
      .then((claims) => {
        if (claims.sub !== current.subject) throw authError('subject-changed');
        data.auth = { method: 'jwt', subject: claims.sub, claims, expiresAt: claims.exp * 1000 };
        if (socket.connected) arm();
        reply({ ok: true, expiresAt: claims.exp * 1000 });
      })
      .catch((error: unknown) => {
        const { reason } = error instanceof RealtimeError ? error.data : { reason: 'unavailable' };
        const message =
          error instanceof RealtimeError ? error.message : AUTH_FAILURE_MESSAGES.unavailable;
        reply({ ok: false, error: { code: 'REALTIME_ERR_AUTH', reason }, message });
      });
  });
}

/** Options of {@link useAuth}. */
export interface UseAuthOptions extends AuthOptions {
  /** @default the system clock */
  clock?: AuthClock;
}

/**
 * Both halves on a server or namespace: `createAuthMiddleware` on the handshake and
 * `watchTokenExpiry` (with refresh when `jwt` is given) on each connection.
 * @example useAuth(io, { jwt: { algorithms: ['HS256'], key: secret, issuer: 'me', audience: 'chat' } });
 */
export function useAuth(target: Server | Namespace, options: UseAuthOptions): void {
  const clock = options.clock;
  const jwt =
    options.jwt && clock && options.jwt.now === undefined
      ? { ...options.jwt, now: () => clock.now() }
      : options.jwt;
  target.use(createAuthMiddleware({ ...options, ...(jwt ? { jwt } : {}) }));
  target.on('connection', (socket: Socket) =>
    watchTokenExpiry(socket, { ...(jwt ? { jwt } : {}), ...(clock ? { clock } : {}) }),
  );
}
