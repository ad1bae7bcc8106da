/**
 * Bundles the dashboard (web/) for the browser: web/src/main.ts with socket.io-client into app.js,
 * web/styles.css into app.css, web/index.html beside them (the apps' shared `buildWebPage`).
 * The default output is dist/web/, which the server serves; tests build into a temp dir.
 *
 *   pnpm exec tsx scripts/build-web.ts [outDir]
 */
import { fileURLToPath } from 'node:url';
import { buildWebPage, runWebPageScript } from '@socketlab/internal/web-page';

/** Where `pnpm build` and `pnpm start` put the page. */
export const DEFAULT_WEB_OUT_DIR = fileURLToPath(new URL('../dist/web/', import.meta.url));

/** Builds the dashboard into `outDir` (created if missing). */
export const buildWeb = (outDir: string = DEFAULT_WEB_OUT_DIR): Promise<void> =>
  buildWebPage(fileURLToPath(new URL('../web/', import.meta.url)), outDir);

await runWebPageScript(import.meta.url, buildWeb, DEFAULT_WEB_OUT_DIR);
