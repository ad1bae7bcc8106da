/**
 * Bundles an app's browser page with esbuild, the same way for every app: `web/src/main.ts` (and
 * what it imports) into `app.js`, `web/styles.css` into `app.css`, and `web/index.html` copied
 * beside them, minified with source maps. Apps call it from their `scripts/build-web.ts` (run by
 * `pnpm build` and `pnpm start`, and by browser tests into a temp dir). Not in the main entry:
 * only build scripts load esbuild.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';

/** Browsers the pages support: anything from early 2023 on. */
export const WEB_PAGE_TARGETS = ['es2022', 'chrome109', 'firefox115', 'safari16'];

/**
 * Builds the page in `webDir` into `outDir` (created if missing): index.html, app.js, app.css
 * and their source maps.
 * @throws the esbuild error when the page does not build: a type of import the browser cannot
 *   load (a `node:` module) fails here, not in a person's browser.
 */
export async function buildWebPage(webDir: string, outDir: string): Promise<void> {
  await mkdir(outDir, { recursive: true });
  const common: BuildOptions = {
    bundle: true,
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
    target: WEB_PAGE_TARGETS,
  };
  await Promise.all([
    build({
      ...common,
      entryPoints: [resolve(webDir, 'src/main.ts')],
      outfile: resolve(outDir, 'app.js'),
      format: 'esm',
      platform: 'browser',
    }),
    build({
      ...common,
      entryPoints: [resolve(webDir, 'styles.css')],
      outfile: resolve(outDir, 'app.css'),
    }),
    copyFile(resolve(webDir, 'index.html'), resolve(outDir, 'index.html')),
  ]);
}

/**
 * The command-line end of a `scripts/build-web.ts`: when `scriptUrl` (its `import.meta.url`) is
 * the script node was started with, builds into the first argument or `defaultOutDir` and says
 * where. Imported by a test, it does nothing.
 */
export async function runWebPageScript(
  scriptUrl: string,
  buildPage: (outDir: string) => Promise<void>,
  defaultOutDir: string,
): Promise<void> {
  if (process.argv[1] === undefined || resolve(process.argv[1]) !== fileURLToPath(scriptUrl))
    return;
  const outDir = process.argv[2] ?? defaultOutDir;
  await buildPage(outDir);
  console.log(`built the page into ${outDir}`);
}
