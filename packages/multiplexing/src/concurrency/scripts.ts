/**
 * Where the worker and cluster entry scripts are, and how to start one, from the TypeScript
 * sources (vitest, `tsx --conditions=@socketlab/source`) as well as from the built `dist/`.
 *
 * - From the sources, this file is `src/concurrency/scripts.ts` and the scripts are `.ts` beside
 *   it. Node 20 cannot run TypeScript and a worker thread does not inherit the parent's module
 *   hooks, so a `.ts` worker starts with a small bootstrap that loads it through tsx's
 *   `tsImport`; a `.ts` cluster worker gets `--import tsx`. Both resolve sibling packages with the
 *   `@socketlab/source` condition, as the tests do.
 * - From `dist/`, this code sits in `dist/index.js` or a shared chunk beside it, and tsup built
 *   the scripts to `dist/concurrency/<name>.js`: plain Node runs them.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

const FROM_SOURCE = import.meta.url.endsWith('.ts');
const SOURCE_CONDITION = '--conditions=@socketlab/source';

/** The URL of one of this area's entry scripts, from the sources or from `dist/`. */
export function concurrencyScript(name: 'pool-worker' | 'cluster-worker'): URL {
  return FROM_SOURCE
    ? new URL(`./${name}.ts`, import.meta.url)
    : new URL(`./concurrency/${name}.js`, import.meta.url);
}

/** True when `script` is TypeScript and needs tsx to run. */
export function isTypeScript(script: URL): boolean {
  return /\.[cm]?ts$/.test(script.pathname);
}

function tsxEntry(subpath: '.' | './esm/api'): string {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve('tsx/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    exports: Record<string, string | { import: { default: string } }>;
  };
  const target = manifest.exports[subpath];
  const file = typeof target === 'string' ? target : target?.import.default;
  if (file === undefined) throw new Error(`tsx has no "${subpath}" export`);
  return new URL(file, pathToFileURL(manifestPath)).href;
}

/**
 * Starts `script` in a worker thread: directly when it is JavaScript, through tsx's `tsImport`
 * (with the `@socketlab/source` condition) when it is TypeScript.
 */
export function startWorkerThread(script: URL, options: WorkerOptions = {}): Worker {
  if (!isTypeScript(script)) return new Worker(script, options);
  const api = JSON.stringify(tsxEntry('./esm/api'));
  const bootstrap = `import(${api}).then((tsx) => tsx.tsImport(${JSON.stringify(script.href)}, ${JSON.stringify(import.meta.url)}))`;
  return new Worker(bootstrap, {
    ...options,
    eval: true,
    execArgv: [...(options.execArgv ?? []), SOURCE_CONDITION],
  });
}

/**
 * What `cluster.setupPrimary` needs to run `script` in a child process: its path, and the Node
 * options that let it run TypeScript when it is (`--import tsx` and the source condition).
 */
export function clusterExec(script: URL): { exec: string; execArgv: string[] } {
  const exec = fileURLToPath(script);
  if (!isTypeScript(script)) return { exec, execArgv: [...process.execArgv] };
  return { exec, execArgv: ['--import', tsxEntry('.'), SOURCE_CONDITION] };
}
