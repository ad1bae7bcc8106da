import { defineConfig, type Options } from 'tsup';

/**
 * The build every published stage library shares: ESM plus `.d.ts` from `src/index.ts` only.
 * `@socketlab/internal` (private plumbing: option checks, quoting) is bundled into `dist/`, so a
 * published package never depends on it; a stage lists it in `devDependencies` only.
 */
export function libraryConfig(overrides: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    dts: true,
    sourcemap: true,
    clean: true,
    treeshake: true,
    removeNodeProtocol: false,
    noExternal: ['@socketlab/internal'],
    ...overrides,
  });
}

/**
 * The build every app shares: its server and command line (`src/index.ts`, `src/cli.ts`) as ESM,
 * `@socketlab/internal` bundled in; the apps' pages are bundled by their `scripts/build-web.ts`,
 * into `dist/web`, which is why `clean` stays off.
 */
export function appConfig(overrides: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts', 'src/cli.ts'],
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    clean: false,
    noExternal: ['@socketlab/internal'],
    removeNodeProtocol: false,
    ...overrides,
  });
}
