/**
 * Bundling a benchmark's child script for plain `node`: a subpath of its own
 * (`@socketlab/testkit/bundle`), so only a package that bundles loads esbuild (an optional peer).
 * A bundled child runs without a TypeScript loader, whose hooks thread (a V8 isolate of its own)
 * would lengthen its start-up and move its RSS while it is measured.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Options of {@link bundleForNode}. */
export interface BundleOptions {
  /** Packages loaded from node_modules at run time instead of bundled. @default [] */
  readonly external?: readonly string[];
}

/**
 * Bundles `entry` (with the workspace's sources, through the `@socketlab/source` condition) to
 * `<packageDir>/node_modules/.cache/socketlab-bench/<name>.mjs`, an ES module for Node 20.
 * @returns the bundle's path.
 */
export async function bundleForNode(
  entry: URL,
  packageDir: URL,
  options: BundleOptions = {},
): Promise<string> {
  const outDir = fileURLToPath(new URL('node_modules/.cache/socketlab-bench/', packageDir));
  mkdirSync(outDir, { recursive: true });
  const name = fileURLToPath(entry).replace(/^.*\//, '').replace(/\.ts$/, '');
  const outfile = `${outDir}${name}.mjs`;
  await build({
    entryPoints: [fileURLToPath(entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@socketlab/source'],
    external: [...(options.external ?? [])],
    logLevel: 'warning',
  });
  return outfile;
}
