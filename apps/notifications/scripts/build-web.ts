/**
 * Bundles the dashboard (web/) for the browser: web/src/main.ts with socket.io-client into app.js,
 * web/styles.css into app.css, web/index.html beside them (internal's `buildWebPage`, esbuild).
 * The default output is dist/web/, which the server serves; tests build into a temp dir.
 *
 *   pnpm exec tsx scripts/build-web.ts [outDir]
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWebPage } from '@socketlab/internal/web-page';

const web = fileURLToPath(new URL('../web/', import.meta.url));

/** Where `pnpm build` and `pnpm start` put the page. */
export const DEFAULT_WEB_OUT_DIR = fileURLToPath(new URL('../dist/web/', import.meta.url));

/** Builds the dashboard into `outDir` (created if missing). */
export const buildWeb = (outDir: string = DEFAULT_WEB_OUT_DIR): Promise<void> =>
  buildWebPage(web, outDir);

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2] ?? DEFAULT_WEB_OUT_DIR;
  await buildWeb(outDir);
  console.log(`built the dashboard into ${outDir}`);
}
