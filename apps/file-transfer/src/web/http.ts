/**
 * The receiver's HTTP side: the built page (a fixed list of files, nothing else from disk),
 * `GET /api/info`, the received files at `GET /api/files`, and each one at `GET /files/<name>`
 * as an attachment. With a code phrase, the list and downloads need it too (`?code=`).
 */
import { createReadStream } from 'node:fs';
import { lstat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { PAGE_CONTENT_SECURITY_POLICY } from '@socketlab/internal';
import type { CodeGuard } from './code-guard.ts';
import type { ReceiverInfo } from './protocol.ts';
import { checkUploadName, type UploadStore } from './upload-store.ts';

/** The page's files (what scripts/build-web.ts writes), by URL path, with their types. */
const PAGE_FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.js.map': { file: 'app.js.map', type: 'application/json; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  '/app.css.map': { file: 'app.css.map', type: 'application/json; charset=utf-8' },
};

const SECURITY_HEADERS = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };

/** What the handler needs from the receiver. */
export interface HttpContext {
  store: UploadStore;
  webRoot: string;
  /** Checks the code phrase, when the receiver has one (wrong guesses count per address). */
  codeGuard: CodeGuard | undefined;
  info: ReceiverInfo;
}

function sendBody(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

const sendJson = (res: ServerResponse, status: number, value: unknown) =>
  sendBody(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
const sendText = (res: ServerResponse, status: number, text: string) =>
  sendBody(res, status, 'text/plain; charset=utf-8', `${text}\n`);

/** `Content-Disposition` for a download: an ASCII fallback and the UTF-8 name (RFC 6266 §4.3). */
export function contentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

async function serveStream(
  res: ServerResponse,
  file: string,
  headers: Record<string, string | number>,
  missing = 'not found',
): Promise<void> {
  const stats = await lstat(file).catch(() => undefined);
  if (!stats?.isFile()) return sendText(res, 404, missing);
  res.writeHead(200, { ...SECURITY_HEADERS, 'content-length': stats.size, ...headers });
  createReadStream(file)
    .once('error', () => res.destroy())
    .pipe(res);
}

/** Makes the `request` listener of the receiver's HTTP server. */
export function createHttpHandler(
  context: HttpContext,
): (req: IncomingMessage, res: ServerResponse) => void {
  const allowed = (req: IncomingMessage, url: URL): boolean => {
    try {
      context.codeGuard?.check(req.socket.remoteAddress, url.searchParams.get('code') ?? undefined);
      return true;
    } catch {
      return false;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://receiver.invalid');
    } catch {
      return sendText(res, 400, 'bad request');
    }
    if (req.method !== 'GET') {
      res.setHeader('allow', 'GET');
      return sendText(res, 405, 'only GET here: files are uploaded over the WebSocket at /upload');
    }
    const page = PAGE_FILES[url.pathname];
    if (page !== undefined) {
      const html = page.type.startsWith('text/html');
      return serveStream(
        res,
        path.join(context.webRoot, page.file),
        {
          'content-type': page.type,
          'cache-control': 'no-cache',
          ...(html ? { 'content-security-policy': PAGE_CONTENT_SECURITY_POLICY } : {}),
        },
        `the upload page is not built here (${context.webRoot}): run pnpm build, or pnpm start, in apps/file-transfer`,
      );
    }
    if (url.pathname === '/api/info') return sendJson(res, 200, context.info);
    if (url.pathname === '/api/files') {
      if (!allowed(req, url))
        return sendJson(res, 403, { error: 'the code phrase is wrong or missing' });
      return sendJson(res, 200, await context.store.list());
    }
    if (url.pathname.startsWith('/files/')) {
      if (!allowed(req, url)) return sendText(res, 403, 'the code phrase is wrong or missing');
      let name: string;
      try {
        name = checkUploadName(decodeURIComponent(url.pathname.slice('/files/'.length)));
      } catch {
        return sendText(res, 404, 'not found');
      }
      return serveStream(res, path.join(context.store.root, name), {
        'content-type': 'application/octet-stream',
        'content-disposition': contentDisposition(name),
        'cache-control': 'no-store',
      });
    }
    return sendText(res, 404, 'not found');
  };

  return (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendText(res, 500, 'internal error');
      else res.destroy();
    });
  };
}
