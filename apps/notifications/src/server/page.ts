/**
 * The dashboard's files: a fixed list of names (no path from the request reaches the file system),
 * read from the directory scripts/build-web.ts wrote, with their content types; the page itself
 * with a content security policy.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HttpRefusal, type NotificationRoute } from '@socketlab/distributed';
import { PAGE_CONTENT_SECURITY_POLICY } from '@socketlab/internal';

const FILES = Object.freeze({
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/app.js.map': ['app.js.map', 'application/json; charset=utf-8'],
  '/app.css': ['app.css', 'text/css; charset=utf-8'],
  '/app.css.map': ['app.css.map', 'application/json; charset=utf-8'],
} as const);

/** Routes that serve the dashboard from `webDir`. */
export function createPageRoutes(webDir: string): NotificationRoute[] {
  return Object.entries(FILES).map(([path, [file, type]]) => ({
    method: 'GET' as const,
    path,
    async handle(_req, res) {
      let content: Buffer;
      try {
        content = await readFile(join(webDir, file));
      } catch {
        throw new HttpRefusal(
          'NOT_FOUND',
          `the dashboard is not built: run pnpm build (or pnpm start) in apps/notifications`,
        );
      }
      res.writeHead(200, {
        'content-type': type,
        'content-length': String(content.length),
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
        ...(path === '/'
          ? {
              'content-security-policy': PAGE_CONTENT_SECURITY_POLICY,
              'referrer-policy': 'no-referrer',
            }
          : {}),
      });
      res.end(content);
    },
  }));
}
