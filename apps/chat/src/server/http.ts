/**
 * The app's HTTP side (Socket.IO answers its own path before this runs): the built page from
 * `webRoot`, a guest login at `POST /api/session`, and `GET /health`. Files are served only from
 * inside `webRoot` (no `..`, no symbolic link out of it), with their content type; a request
 * body is read up to a limit.
 */

import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';
import { PAGE_CONTENT_SECURITY_POLICY } from '@socketlab/internal';
import { addressKey, KeyedLimiter, RealtimeError } from '@socketlab/websockets/realtime';
import type { ChatErrorCode, HttpRefusal, SessionResponse } from '../contract.ts';
import { clientAddress } from './limits.ts';

/** The largest `POST /api/session` body read, in bytes. */
export const SESSION_MAX_BODY_BYTES = 1024;

/** Content types of the files the page is built into. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
});

/** What the HTTP handler needs from the app. */
export interface HttpContext {
  /** The built page's folder, or undefined when it is not built. */
  readonly webRoot: string | undefined;
  issueGuestToken(nick: string): SessionResponse;
  /** Believe `X-Forwarded-For` for the client's address (see `clientAddress`). */
  readonly trustProxy: boolean;
  health(): { ok: boolean; [key: string]: unknown };
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

function refuse(res: ServerResponse, status: number, code: ChatErrorCode, reason: string): void {
  const body: HttpRefusal = { error: { code, reason } };
  sendJson(res, status, body);
}

function sendText(res: ServerResponse, status: number, text: string, head = false): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(head ? undefined : text);
}

/** Reads a request body, at most `maxBytes`: undefined when it is longer. */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      req.resume();
      resolve(undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        req.resume();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/** The file `pathname` names inside `root`, or undefined when it names none (or one outside). */
async function fileIn(root: string, pathname: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.split(/[/\\]/).includes('..')) return undefined;
  const relative = decoded === '/' ? 'index.html' : decoded.replace(/^\/+/, '');
  try {
    const real = await realpath(join(root, relative));
    if (!real.startsWith(root + sep)) return undefined;
    return (await stat(real)).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Makes the `request` listener of the app's HTTP server.
 * @example http.createServer(createHttpHandler({ webRoot, issueGuestToken, health }))
 */
export function createHttpHandler(
  context: HttpContext,
): (req: IncomingMessage, res: ServerResponse) => void {
  // Guest logins per address: 10 at once, then one every 2 s.
  const logins = new KeyedLimiter({ capacity: 10, refillPerSecond: 0.5 });
  let root: Promise<string | undefined> | undefined;
  const webRoot = () => {
    root ??=
      context.webRoot === undefined
        ? Promise.resolve(undefined)
        : realpath(context.webRoot).catch(() => undefined);
    return root;
  };

  const session = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const taken = logins.take(
      addressKey(
        clientAddress(req.headers['x-forwarded-for'], req.socket.remoteAddress, context.trustProxy),
      ),
    );
    if (!taken.allowed) {
      res.setHeader('retry-after', String(Math.ceil(taken.waitMs / 1000)));
      return refuse(
        res,
        429,
        'REALTIME_ERR_RATE_LIMITED',
        `too many logins: retry in ${Math.ceil(taken.waitMs / 1000)} s`,
      );
    }
    const body = await readBody(req, SESSION_MAX_BODY_BYTES);
    if (body === undefined) {
      return refuse(
        res,
        413,
        'REALTIME_ERR_LIMIT',
        `the body is larger than ${SESSION_MAX_BODY_BYTES} bytes`,
      );
    }
    let request: unknown;
    try {
      request = JSON.parse(body.toString('utf8'));
    } catch {
      return refuse(res, 400, 'REALTIME_ERR_PAYLOAD', 'the body is not JSON: send {"nick":"…"}');
    }
    try {
      const nick = (request as { nick?: unknown } | null)?.nick;
      sendJson(res, 200, context.issueGuestToken(nick as string));
    } catch (error) {
      if (!(error instanceof RealtimeError)) throw error;
      refuse(res, 400, error.code, error.message);
    }
  };

  const serveFile = async (req: IncomingMessage, res: ServerResponse, pathname: string) => {
    const head = req.method === 'HEAD';
    const root = await webRoot();
    if (root === undefined) {
      return sendText(res, 404, 'the page is not built: run `pnpm build` in apps/chat\n', head);
    }
    const file = await fileIn(root, pathname);
    if (file === undefined) return sendText(res, 404, 'not found\n', head);
    const { size } = await stat(file);
    const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': type,
      'content-length': size,
      'cache-control': type.startsWith('text/html') ? 'no-cache' : 'public, max-age=300',
      ...(type.startsWith('text/html')
        ? { 'content-security-policy': PAGE_CONTENT_SECURITY_POLICY }
        : {}),
    });
    if (head) return void res.end();
    createReadStream(file)
      .once('error', () => res.destroy())
      .pipe(res);
  };

  return (req, res) => {
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      return sendText(res, 400, 'bad request\n');
    }
    let work: Promise<void> | void;
    if (pathname === '/api/session') {
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        return refuse(res, 405, 'REALTIME_ERR_PAYLOAD', 'POST {"nick":"…"} to /api/session');
      }
      work = session(req, res);
    } else if (pathname === '/health') {
      const health = context.health();
      work = sendJson(res, health.ok ? 200 : 503, health);
    } else if (pathname.startsWith('/api/')) {
      work = refuse(res, 404, 'REALTIME_ERR_PAYLOAD', `no such API: ${pathname.slice(0, 40)}`);
    } else if (req.method === 'GET' || req.method === 'HEAD') {
      work = serveFile(req, res, pathname);
    } else {
      res.setHeader('allow', 'GET, HEAD');
      work = sendText(res, 405, 'method not allowed\n');
    }
    Promise.resolve(work).catch(() => {
      if (!res.headersSent) sendText(res, 500, 'internal error\n');
      else res.destroy();
    });
  };
}
