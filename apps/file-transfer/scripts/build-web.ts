/**
 * Bundles the upload page (web/) for the browser with esbuild: web/src/main.ts with
 * @noble/hashes into app.js, web/styles.css into app.css, and web/index.html beside them,
 * minified with source maps. The default output is dist/web/, which the web receiver serves;
 * tests and the benchmark build into a temp dir.
 *
 *   pnpm exec tsx scripts/build-web.ts [outDir]
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';

const web = fileURLToPath(new URL('../web/', import.meta.url));

/** Where `pnpm build` puts the page (what `defaultWebRoot()` finds). */
export const DEFAULT_WEB_OUT_DIR = fileURLToPath(new URL('../dist/web/', import.meta.url));

/** Builds the page into `outDir` (created if missing): index.html, app.js, app.css and their maps. */
export async function buildWeb(outDir: string = DEFAULT_WEB_OUT_DIR): Promise<void> {
  await mkdir(outDir, { recursive: true });
  const common: BuildOptions = {
    bundle: true,
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
    target: ['es2022', 'chrome109', 'firefox115', 'safari16'],
  };
  await Promise.all([
    // platform 'browser': an import that pulls in a node: module fails the build here.
    build({
      ...common,
      entryPoints: [resolve(web, 'src/main.ts')],
      outfile: resolve(outDir, 'app.js'),
      format: 'esm',
      platform: 'browser',
    }),
    build({
      ...common,
      entryPoints: [resolve(web, 'styles.css')],
      outfile: resolve(outDir, 'app.css'),
    }),
    copyFile(resolve(web, 'index.html'), resolve(outDir, 'index.html')),
  ]);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2] ?? DEFAULT_WEB_OUT_DIR;
  await buildWeb(outDir);
  console.log(`built the page into ${outDir}`);
}
