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
