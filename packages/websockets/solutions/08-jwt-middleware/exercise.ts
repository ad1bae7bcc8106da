import type {
  JwtMiddleware,
  JwtMiddlewareOptions,
  JwtRefusalReason,
} from '../../exercises/08-jwt-middleware/exercise.ts';
import { authenticate, checkJwtOptions, type JwtVerifyOptions } from '../../src/realtime/index.ts';

export type { JwtMiddleware, JwtMiddlewareOptions, JwtRefusalReason };

/**
 * The library's `authenticate` (src/realtime/auth/middleware.ts), which `createAuthMiddleware`
 * runs, with the options of the exercise: HS256 only, the claims on `socket.data.claims`.
 */
export function createJwtMiddleware(options: JwtMiddlewareOptions): JwtMiddleware {
  const jwt: JwtVerifyOptions = {
    algorithms: ['HS256'],
    key: options.secret,
    issuer: options.issuer,
    audience: options.audience,
    clockToleranceSeconds: options.clockToleranceSeconds ?? 0,
  };
  checkJwtOptions(jwt);
  return (socket, next) => {
    authenticate(socket.handshake, { jwt }).then(
      (auth) => {
        socket.data.claims = auth.method === 'jwt' ? auth.claims : undefined;
        next();
      },
      (error: Error) => next(error),
    );
  };
}
