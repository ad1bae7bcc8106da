/**
 * The client's side of auth: a refused connection as a typed error, and refreshing a token.
 */
import type { Socket as ClientSocket } from 'socket.io-client';
import { REALTIME_ERROR_CODES, RealtimeError, type RealtimeErrorCode } from '../errors.ts';
import { explainCertificateError } from './certificates.ts';
import { AUTH_REFRESH_EVENT, type AuthRefreshAck } from './session.ts';

/** How long {@link refreshToken} waits for the server's answer. @default 5000 */
export const DEFAULT_REFRESH_TIMEOUT_MS = 5_000;

const isCode = (value: unknown): value is RealtimeErrorCode =>
  typeof value === 'string' && (REALTIME_ERROR_CODES as readonly string[]).includes(value);

/**
 * Turns a `connect_error` into something a UI can show: a {@link RealtimeError} with `code` and
 * `data.reason` when a server middleware refused the connection (`err.data` from the server) or
 * a certificate failed (see `explainCertificateError`); `undefined` for anything else (the
 * server is down, a network error: the client's reconnection retries those by itself).
 * @example
 * socket.on('connect_error', (err) => {
 *   const failure = explainConnectError(err);
 *   if (failure?.code === 'REALTIME_ERR_AUTH') showSignIn(failure.data.reason, failure.message);
 * });
 */
export function explainConnectError(err: unknown): RealtimeError | undefined {
  const data = (err as { data?: { code?: unknown; reason?: unknown } } | null)?.data;
  if (data !== null && typeof data === 'object' && isCode(data.code)) {
    const message = (err as { message?: unknown }).message;
    const reason = typeof data.reason === 'string' ? data.reason : 'unknown';
    return new RealtimeError(data.code, typeof message === 'string' ? message : reason, {
      reason,
      cause: err,
    });
  }
  return explainCertificateError(err);
}

/**
 * Sends a fresh token on an open connection (`auth:refresh`) and resolves with the new expiry
 * (ms since the epoch). Set `socket.auth` to the new token too, so a reconnection uses it.
 * @throws {RealtimeError} `REALTIME_ERR_AUTH` (the server refused it: `data.reason`), or
 * `REALTIME_ERR_ACK_TIMEOUT` when no answer came in `timeoutMs`.
 */
export async function refreshToken(
  socket: ClientSocket,
  token: string,
  timeoutMs = DEFAULT_REFRESH_TIMEOUT_MS,
): Promise<number> {
  let answer: AuthRefreshAck;
  try {
    answer = (await socket
      .timeout(timeoutMs)
      .emitWithAck(AUTH_REFRESH_EVENT, token)) as AuthRefreshAck;
  } catch (error) {
    throw new RealtimeError(
      'REALTIME_ERR_ACK_TIMEOUT',
      `no answer to ${AUTH_REFRESH_EVENT} in ${timeoutMs} ms`,
      {
        cause: error,
      },
    );
  }
  if (answer?.ok === true) return answer.expiresAt;
  const reason = typeof answer?.error?.reason === 'string' ? answer.error.reason : 'unknown';
  throw new RealtimeError('REALTIME_ERR_AUTH', answer?.message ?? reason, { reason });
}
