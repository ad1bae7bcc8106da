import { defineConfig, type ViteUserConfig } from 'vitest/config';

/** Which implementation the exercise specs grade; see packages/testkit/src/target.ts. */
const targetKind = (process.env.SOCKETLAB_TARGET ?? 'solutions').split(':')[0] || 'solutions';

/**
 * The vitest configuration every stage and app shares.
 *
 * Sibling workspace packages resolve to their TypeScript sources through the
 * `@socketlab/source` export condition, so nothing is built before a test.
 * Each run writes machine-readable totals to `.reports/test-<target>.json`,
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
      testTimeout: 20_000,
      hookTimeout: 20_000,
      reporters: ['default', 'json'],
      outputFile: { json: `.reports/test-${targetKind}.json` },
      // Two cores here: keep the worker count modest so socket tests do not starve each other.
      maxWorkers: 2,
    },
  });
}
