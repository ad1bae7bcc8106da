/**
 * Tokens to users with stage 4's JWT verifier (W7): the `sub` of a token that verifies.
 * @see https://www.rfc-editor.org/rfc/rfc7519
 */
import { checkJwtOptions, type JwtVerifyOptions, verifyJwt } from '@socketlab/websockets/realtime';
import type { NotificationAuthenticate } from './service.ts';

/**
 * An `authenticate` for {@link createNotificationService} that accepts a JWT verified by stage 4's
 * `verifyJwt` (allow-listed algorithms, issuer, audience, expiry) and names its `sub`.
 * @throws {TypeError} or {RangeError} for bad JWT options (stage 4's `checkJwtOptions`).
 * @example
 * const authenticate = jwtAuthenticate({ algorithms: ['HS256'], key: secret, issuer: 'auth', audience: 'notifications' });
 */
export function jwtAuthenticate(options: JwtVerifyOptions): NotificationAuthenticate {
  checkJwtOptions(options);
  return async (token) => {
    try {
      return (await verifyJwt(token, options)).sub;
    } catch {
      return undefined;
    }
  };
}
