/**
 * Bundles the chat page (web/) for the browser: web/src/main.ts with socket.io-client into
 * app.js, web/styles.css into app.css, and web/index.html beside them (the apps' shared
 * `buildWebPage`). The default output is dist/web/, which the server serves; tests build into a
 * temp dir.
 *
 *   pnpm exec tsx scripts/build-web.ts [outDir]
 */
import { fileURLToPath } from 'node:url';
import { buildWebPage, runWebPageScript } from '@socketlab/internal/web-page';

/** Where `pnpm build` and `pnpm start` put the page. */
export const DEFAULT_WEB_OUT_DIR = fileURLToPath(new URL('../dist/web/', import.meta.url));

/** Builds the page into `outDir` (created if missing): index.html, app.js, app.css and their maps. */
export const buildWeb = (outDir: string = DEFAULT_WEB_OUT_DIR): Promise<void> =>
  buildWebPage(fileURLToPath(new URL('../web/', import.meta.url)), outDir);

await runWebPageScript(import.meta.url, buildWeb, DEFAULT_WEB_OUT_DIR);
