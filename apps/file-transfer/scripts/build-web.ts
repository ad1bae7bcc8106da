/**
 * Bundles the upload page (web/) for the browser: web/src/main.ts with @noble/hashes into
 * app.js, web/styles.css into app.css, and web/index.html beside them (the apps' shared
 * `buildWebPage`). The default output is dist/web/, which the web receiver serves; tests and the
 * benchmark build into a temp dir.
 *
 *   pnpm exec tsx scripts/build-web.ts [outDir]
 */
import { fileURLToPath } from 'node:url';
import { buildWebPage, runWebPageScript } from '@socketlab/internal/web-page';

/** Where `pnpm build` puts the page (what `defaultWebRoot()` finds). */
export const DEFAULT_WEB_OUT_DIR = fileURLToPath(new URL('../dist/web/', import.meta.url));

/** Builds the page into `outDir` (created if missing): index.html, app.js, app.css and their maps. */
export const buildWeb = (outDir: string = DEFAULT_WEB_OUT_DIR): Promise<void> =>
  buildWebPage(fileURLToPath(new URL('../web/', import.meta.url)), outDir);

await runWebPageScript(import.meta.url, buildWeb, DEFAULT_WEB_OUT_DIR);
