import os from 'node:os';
import { defineConfig, type ViteUserConfig } from 'vitest/config';
import { resolveTarget } from './packages/testkit/src/target.ts';

/**
 * The vitest configuration every stage and app shares.
 *
 * Sibling workspace packages resolve to their TypeScript sources through the
 * `@socketlab/source` export condition, so nothing is built before a test.
 * Each run writes machine-readable totals to `.reports/test-<target>.json` (the target kind that
 * testkit's `resolveTarget` reads from `SOCKETLAB_TARGET`: solutions, exercises, cmd or addr),
 * which `pnpm verify` adds up into the closing `N passed, M failed` line.
 */
export function stageConfig(overrides: { include?: string[] } = {}): ViteUserConfig {
  return defineConfig({
    ssr: {
      resolve: {
        conditions: ['@socketlab/source', 'module', 'node', 'development|production'],
      },
    },
    test: {
      include: overrides.include ?? ['test/**/*.test.ts', 'exercises/**/*.test.ts'],
      environment: 'node',
      // A backstop only: every wait inside a test is bounded by its own, shorter timeout with a
      // message that says what did not happen. Under CI, with both cores busy running every
      // stage, importing a spec's target alone has taken over 20 s, so the backstop is wider there.
      testTimeout: process.env.CI ? 60_000 : 20_000,
      hookTimeout: process.env.CI ? 60_000 : 20_000,
      reporters: ['default', 'json'],
      outputFile: { json: `.reports/test-${resolveTarget().kind}.json` },
      // One worker per core the machine offers: socket tests that outnumber the cores starve each other.
      maxWorkers: os.availableParallelism(),
    },
  });
}
