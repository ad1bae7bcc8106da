import { defineConfig, type Options } from 'tsup';

/** The build every published stage library shares: ESM plus `.d.ts` from `src/index.ts` only. */
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
    ...overrides,
  });
}
