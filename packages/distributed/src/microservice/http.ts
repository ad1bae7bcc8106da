/**
 * The REST edge, on `node:http` alone: a JSON body read within a byte limit (413), only as
 * `application/json` (415), parsed without trusting it (400); every answer JSON, every refusal
 * `{ error, message }` with a stable `error` code. A small table of routes is all the routing
 * this service needs.
 * @see https://www.rfc-editor.org/rfc/rfc9110#name-status-codes
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The `error` of a refusal, with its status. */
export const HTTP_ERRORS = Object.freeze({
  INVALID_JSON: 400,
  INVALID_NOTIFICATION: 400,
  INVALID_QUERY: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_REQUESTS: 429,
  UNAVAILABLE: 503,
});

/** One of the {@link HTTP_ERRORS} codes a refusal's body carries. */
export type HttpErrorCode = keyof typeof HTTP_ERRORS;

/**
 * A refusal on its way to the client: its status follows from `code`; `headers` go with it
 * (`Retry-After` on a 429).
 * @example throw new HttpRefusal('TOO_MANY_REQUESTS', 'slow down', { 'retry-after': '2' });
 */
export class HttpRefusal extends Error {
  override name = 'HttpRefusal';
  constructor(
    readonly code: HttpErrorCode,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** Writes `value` as JSON with `status`. */
export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body);
}

/** Answers a refusal: `{ error, message }` with the status of its code. */
export function sendRefusal(res: ServerResponse, refusal: HttpRefusal): void {
  const status = HTTP_ERRORS[refusal.code];
  // a body left unread (too large) is not drained: the connection closes after the answer
  const headers: Record<string, string> = {
    ...refusal.headers,
    ...(status === 413 ? { connection: 'close' } : {}),
  };
  if (status === 405) headers.allow = refusal.message.replace(/^.*: /, '');
  sendJson(res, status, { error: refusal.code, message: refusal.message }, headers);
}

/**
 * Reads a JSON request body of at most `maxBytes`, refusing it as soon as it is known to be too
 * large (by `Content-Length`, or while it streams in).
 * @throws {HttpRefusal} `UNSUPPORTED_MEDIA_TYPE`, `PAYLOAD_TOO_LARGE` or `INVALID_JSON`.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpRefusal(
      'UNSUPPORTED_MEDIA_TYPE',
      `send the body as Content-Type: application/json (got ${JSON.stringify(type?.slice(0, 60) ?? '')})`,
    );
  }
  const tooLarge = () => new HttpRefusal('PAYLOAD_TOO_LARGE', `the body is over ${maxBytes} bytes`);
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpRefusal(
      'INVALID_JSON',
      `the body is not JSON: ${error instanceof Error ? error.message.slice(0, 120) : 'parse error'}`,
    );
  }
}

/** The token of `Authorization: Bearer <token>`, if any. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const match = /^Bearer +([\x21-\x7e]{1,8192})$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

/**
 * The request's URL, or `undefined` when it does not parse (an absolute-form target such as
 * `http://[` reaches the listener as it came, and `new URL` throws on it).
 */
export function requestUrl(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://service.invalid');
  } catch {
    return undefined;
  }
}

/** A route: a method and path, and its handler (which may throw an {@link HttpRefusal}). */
export interface Route {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> | void;
}

/**
 * A request listener over `routes`: 404 for an unknown path, 405 (with `Allow`) for a known path
 * and another method, and a refusal thrown by a handler answered as JSON; any other error is a
 * 503, never a crash.
 */
export function routeRequests(
  routes: readonly Route[],
  onError: (error: unknown) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = requestUrl(req);
    if (url === undefined) {
      sendRefusal(res, new HttpRefusal('NOT_FOUND', 'the request target is not a URL'));
      return;
    }
    const forPath = routes.filter((route) => route.path === url.pathname);
    const route = forPath.find((r) => r.method === req.method);
    const run = async (): Promise<void> => {
      if (forPath.length === 0) throw new HttpRefusal('NOT_FOUND', `no route ${url.pathname}`);
      if (route === undefined) {
        throw new HttpRefusal(
          'METHOD_NOT_ALLOWED',
          `allowed: ${forPath
            .map((r) => r.method)
            .sort()
            .join(', ')}`,
        );
      }
      await route.handle(req, res, url);
    };
    run().catch((error: unknown) => {
      if (error instanceof HttpRefusal) {
        sendRefusal(res, error);
        return;
      }
      onError(error);
      sendRefusal(res, new HttpRefusal('UNAVAILABLE', 'the service could not handle this now'));
    });
  };
}
