/**
 * Bundles an app's browser page with esbuild: `<webDir>/src/main.ts` (with its imports, e.g.
 * socket.io-client) into `app.js`, `<webDir>/styles.css` into `app.css`, and `<webDir>/index.html`
 * copied beside them, minified with source maps. A subpath of its own
 * (`@socketlab/internal/web-page`), so nothing else of this package loads esbuild.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type BuildOptions, build } from 'esbuild';

/** Builds the page of `webDir` into `outDir` (created if missing). */
export async function buildWebPage(webDir: string, outDir: string): Promise<void> {
  await mkdir(outDir, { recursive: true });
  const common: BuildOptions = {
    bundle: true,
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
    target: ['es2022', 'chrome109', 'firefox115', 'safari16'],
  };
  await Promise.all([
    build({
      ...common,
      entryPoints: [resolve(webDir, 'src/main.ts')],
      outfile: resolve(outDir, 'app.js'),
      format: 'esm',
      // For the browser: an import that pulls in a node: module fails the build here.
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
