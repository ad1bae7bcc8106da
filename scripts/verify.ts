/**
 * `pnpm verify`: everything CI checks, in one command, ending with one line alone:
 * `N passed, M failed` — the totals of every test vitest ran (from its own JSON reports) plus the
 * honesty and packaging checks, each counted once.
 *
 *   pnpm verify                  typecheck, lint, build, all tests, honesty check, curriculum, packaging,
 *                                and a quick run of every benchmark
 *   pnpm verify --runtime-only   build, tests, honesty and packaging only (a second Node version)
 *   pnpm verify --force          ignore turbo's cache
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, readJson, readReport } from './lib/workspace.ts';

const { values } = parseArgs({
  options: {
    'runtime-only': { type: 'boolean', default: false },
    force: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(`usage: pnpm verify [--runtime-only] [--force]

Runs what CI runs and ends with "N passed, M failed".
  --runtime-only  skip typecheck, lint and the curriculum check (for a second Node version)
  --force         do not use turbo's cache`);
  process.exit(0);
}

const reports = path.join(ROOT, '.reports');
mkdirSync(reports, { recursive: true });
const steps: Array<{ name: string; ok: boolean }> = [];

function step(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): void {
  console.log(`\n━━ ${name}: ${cmd} ${args.join(' ')}`);
  const result = spawnSync(cmd, args, {
    cwd: ROOT,
    stdio: 'inherit',
    // turbo hashes this (globalEnv): results from one Node version are never reused for another.
    env: { ...process.env, SOCKETLAB_NODE_VERSION: process.version, ...env },
  });
  steps.push({ name, ok: result.status === 0 });
}

const workspaceDirs = ['packages', 'apps']
  .map((group) => path.join(ROOT, group))
  .filter((dir) => existsSync(dir))
  .flatMap((dir) => readdirSync(dir).map((name) => path.join(dir, name)))
  .filter((dir) => existsSync(path.join(dir, 'package.json')));
const withTests = workspaceDirs.filter(
  (dir) =>
    readJson<{ scripts?: Record<string, string> }>(path.join(dir, 'package.json')).scripts?.test,
);
// Stale reports must never be counted: turbo restores them from its cache, or vitest writes them anew.
for (const dir of withTests)
  rmSync(path.join(dir, '.reports', 'test-solutions.json'), { force: true });

const tasks = values['runtime-only']
  ? ['build', 'test']
  : ['typecheck', 'lint', 'build', 'test', '//#typecheck:root', '//#lint:root'];
step('turbo', 'pnpm', [
  'exec',
  'turbo',
  'run',
  ...tasks,
  '--continue',
  ...(values.force ? ['--force'] : []),
]);
step('honesty check', 'pnpm', [
  'exec',
  'tsx',
  'scripts/check-exercises.ts',
  '--report',
  '.reports/honesty.json',
]);
step('packages', 'pnpm', [
  'exec',
  'tsx',
  'scripts/check-package.ts',
  '--report',
  '.reports/packages.json',
]);
if (!values['runtime-only']) {
  step('curriculum', 'pnpm', ['exec', 'tsx', 'scripts/curriculum.ts', '--strict']);
  // Benchmarks are not tests, but a benchmark that no longer runs is a defect: a short run of
  // every one (BENCH_QUICK=1) proves they still work. Figures from it mean nothing.
  step('benchmarks (quick run)', 'pnpm', ['bench'], { BENCH_QUICK: '1' });
}

let passed = 0;
let failed = 0;
const missing: string[] = [];
for (const dir of withTests) {
  const report = readReport(path.join(dir, '.reports', 'test-solutions.json'));
  if (!report) {
    missing.push(path.relative(ROOT, dir));
    failed += 1;
    continue;
  }
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  // A spec file that fails to load has no tests in it: count it as one failure.
  failed += report.testResults.filter(
    (f) => f.status === 'failed' && f.assertionResults.length === 0,
  ).length;
}
for (const file of ['honesty.json', 'packages.json']) {
  const result = existsSync(path.join(reports, file))
    ? readJson<{ passed: number; failed: number }>(path.join(reports, file))
    : { passed: 0, failed: 1 };
  passed += result.passed;
  failed += result.failed;
}

console.log('\n━━ summary');
for (const s of steps) console.log(`  ${s.ok ? '✓' : '✗'} ${s.name}`);
for (const dir of missing)
  console.log(`  ✗ ${dir}: its tests wrote no report (they did not run to the end)`);
writeFileSync(
  path.join(reports, `verify-node${process.versions.node.split('.')[0]}.json`),
  `${JSON.stringify({ node: process.version, passed, failed, steps }, null, 2)}\n`,
);
const ok = steps.every((s) => s.ok) && failed === 0;
console.log(`${passed} passed, ${failed} failed`);
process.exit(ok ? 0 : 1);
