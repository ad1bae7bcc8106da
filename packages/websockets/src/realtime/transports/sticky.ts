/**
 * The key a load balancer routes Socket.IO requests by, so that every request of one Engine.IO
 * session reaches the server that holds it.
 *
 * Why it is needed: with HTTP long polling, one session is many HTTP requests (a GET that waits
 * for data, a POST per batch sent, then the upgrade request). Only the server that answered the
 * handshake knows the session id (`sid`); any other answers `400 {"code":1,"message":"Session ID
 * unknown"}`. A balancer must send every request carrying a sid to the server that issued it.
 *
 * @see https://socket.io/docs/v4/using-multiple-nodes/
 */

/** The part of a request {@link stickyRouteKey} reads (Node's `IncomingMessage` has it). */
export interface StickyRequest {
  readonly url?: string | undefined;
  readonly headers: { readonly cookie?: string | undefined };
}

/** Options of {@link stickyRouteKey}. */
export interface StickyRouteKeyOptions {
  /**
   * The cookie that carries the sid when the server sets one (`new Server({ cookie: { name } })`
   * sets it to the sid on the handshake); read when the URL has no `sid`. @default 'io'
   */
  readonly cookieName?: string;
}

/** The longest sid accepted (Engine.IO's own are 20 characters). */
export const STICKY_MAX_SID_LENGTH = 128;
/** The longest URL or cookie header looked at; anything past it is ignored. */
const MAX_SCANNED = 8192;
const SID_PATTERN = /^[A-Za-z0-9_-]+$/;

function validSid(value: string | null | undefined): string | undefined {
  if (!value || value.length > STICKY_MAX_SID_LENGTH || !SID_PATTERN.test(value)) return undefined;
  return value;
}

/**
 * Extracts the Engine.IO session id of a request, for a balancer to route by: the `sid` query
 * parameter (every polling request and the WebSocket upgrade of an open session carry it), else
 * the sid cookie. Returns `undefined` for a request that starts a session (the handshake, or a
 * WebSocket-only connection, which is one TCP connection and needs no stickiness), so the
 * balancer may pick any server for it and must then remember which one issued the sid.
 *
 * Never throws on what a client sent: a sid that is not 1–128 characters of `[A-Za-z0-9_-]`, a
 * URL or cookie header past 8 KiB, or a malformed one gives `undefined`.
 *
 * @see https://github.com/socketio/engine.io-protocol#urls
 * @example
 * ```ts
 * stickyRouteKey({ url: '/socket.io/?EIO=4&transport=polling&sid=Ab3_x', headers: {} }); // 'Ab3_x'
 * stickyRouteKey({ url: '/socket.io/?EIO=4&transport=polling', headers: { cookie: 'io=Ab3_x' } }); // 'Ab3_x'
 * ```
 */
export function stickyRouteKey(
  request: StickyRequest,
  options: StickyRouteKeyOptions = {},
): string | undefined {
  const cookieName = options.cookieName ?? 'io';
  if (typeof cookieName !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(cookieName)) {
    throw new TypeError(
      `cookieName must be a cookie name (an HTTP token), got ${String(cookieName)}`,
    );
  }
  const url = request?.url;
  if (typeof url === 'string' && url.length <= MAX_SCANNED) {
    const query = url.indexOf('?');
    if (query !== -1) {
      const hash = url.indexOf('#', query);
      const params = new URLSearchParams(url.slice(query + 1, hash === -1 ? undefined : hash));
      const sids = params.getAll('sid');
      // Two different sids is a confused or hostile client: no key rather than a guess.
      if (sids.length === 1) return validSid(sids[0]);
      if (sids.length > 1) return undefined;
    }
  }
  const cookie = request?.headers?.cookie;
  if (typeof cookie === 'string' && cookie.length <= MAX_SCANNED) {
    for (const pair of cookie.split(';')) {
      const equals = pair.indexOf('=');
      if (equals === -1 || pair.slice(0, equals).trim() !== cookieName) continue;
      let value = pair.slice(equals + 1).trim();
      if (value.startsWith('"') && value.endsWith('"') && value.length >= 2)
        value = value.slice(1, -1);
      return validSid(value);
    }
  }
  return undefined;
}
