/**
 * `pnpm verify`: everything CI checks, in one command, ending with one line alone:
 * `N passed, M failed` — the totals of every test vitest ran (from its own JSON reports) plus the
 * checks of each stage's honesty task and each published package's check:package task (turbo
 * tasks, cached like the tests), each counted once.
 *
 *   pnpm verify                  typecheck, lint, build, all tests, honesty check, curriculum, packaging,
 *                                Markdown links, and a quick run of every benchmark
 *   pnpm verify --runtime-only   build, tests, honesty and packaging only (a second Node version)
 *   pnpm verify --force          ignore turbo's cache
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, readJson, readReport, readWorkspace } from './lib/workspace.ts';

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
  --runtime-only  skip typecheck, lint, the curriculum and link checks and the benchmarks (for a second Node version)
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

const workspace = readWorkspace();
/** The workspace packages that have `script`, and the report that script leaves in each. */
const reportsOf = (script: string, report: string): string[] =>
  workspace
    .filter((p) => p.manifest.scripts?.[script])
    .map((p) => path.join(p.dir, '.reports', report));
const testReports = reportsOf('test', 'test-solutions.json');
/** The honesty check of each stage and the packaging check of each published package. */
const checkReports = [
  ...reportsOf('honesty', 'honesty.json'),
  ...reportsOf('check:package', 'package.json'),
];
// Stale reports must never be counted: turbo restores them from its cache, or the task writes them anew.
for (const file of [...testReports, ...checkReports]) rmSync(file, { force: true });

/** Where `turbo run --summarize` writes one JSON file a run. */
const TURBO_RUNS = path.join(ROOT, '.turbo', 'runs');

/**
 * The slowest tasks of the newest turbo run summary, as `name  seconds` lines: CI's time budget
 * is watched from these (a task that grows shows up here before the whole run is too long).
 */
function slowestTasks(count: number): string[] {
  if (!existsSync(TURBO_RUNS)) return [];
  const newest = readdirSync(TURBO_RUNS)
    .filter((f) => f.endsWith('.json'))
    .map((f) => path.join(TURBO_RUNS, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (newest === undefined) return [];
  const summary = readJson<{
    tasks: Array<{
      taskId: string;
      cache: { status: string };
      execution?: { startTime: number; endTime: number };
    }>;
  }>(newest);
  return summary.tasks
    .filter((t) => t.execution !== undefined && t.cache.status !== 'HIT')
    .map((t) => ({
      id: t.taskId,
      seconds: ((t.execution?.endTime ?? 0) - (t.execution?.startTime ?? 0)) / 1000,
    }))
    .sort((a, b) => b.seconds - a.seconds)
    .slice(0, count)
    .map((t) => `  ${t.id.padEnd(44)} ${t.seconds.toFixed(1)} s`);
}

/** One turbo run of `tasks` over every package, cached unless --force; then its slowest tasks. */
const turbo = (name: string, tasks: string[]): void => {
  step(name, 'pnpm', [
    'exec',
    'turbo',
    'run',
    ...tasks,
    '--continue',
    '--summarize',
    ...(values.force ? ['--force'] : []),
  ]);
  const slowest = slowestTasks(8);
  if (slowest.length > 0)
    console.log(`\nslowest tasks of "${name}" (not from cache):\n${slowest.join('\n')}`);
};

// At most four tasks at once: every package's tests at once (ten, turbo's default) put a load
// of 25 on two cores, and tests that spawn a program (tsx compiling it) or a browser waited
// 45 s and more for it to start. Each vitest already runs one worker per core.
turbo(
  'turbo',
  values['runtime-only']
    ? ['build', 'test', '--concurrency=4']
    : [
        'typecheck',
        'lint',
        'build',
        'test',
        '//#typecheck:root',
        '//#lint:root',
        '--concurrency=4',
      ],
);
// The per-package checks run after the tests, one task at a time (as the scripts did before they
// were turbo tasks): on two cores, the honesty check's vitest runs would otherwise compete with
// builds and packing for time, and its timing-sensitive specs fail under that load. (Not `--only`:
// it drops the dependencies' hashes, so a change to testkit would not re-run a stage's check.)
turbo('honesty and packaging checks (turbo)', ['honesty', 'check:package', '--concurrency=1']);
if (!values['runtime-only']) {
  step('curriculum', 'pnpm', ['exec', 'tsx', 'scripts/curriculum.ts', '--strict']);
  // Lessons, READMEs and manifests name paths and sections: every relative link must resolve.
  step('links', 'pnpm', ['exec', 'tsx', 'scripts/check-links.ts']);
  // Benchmarks are not tests, but a benchmark that no longer runs is a defect: a short run of
  // every one (BENCH_QUICK=1) proves they still work. Figures from it mean nothing.
  step('benchmarks (quick run)', 'pnpm', ['bench'], { BENCH_QUICK: '1' });
}

let passed = 0;
let failed = 0;
const missing: string[] = [];
/**
 * Every failed test as `file › name: first line of the message`: the summary and the closing
 * lines of CI repeat them, because a log is often read from its tail.
 */
const failures: string[] = [];
const firstLine = (message: string | undefined): string =>
  (message ?? '')
    .split('\n')
    .find((l) => l.trim() !== '')
    ?.trim()
    .slice(0, 200) ?? '';
for (const file of testReports) {
  const report = readReport(file);
  if (!report) {
    missing.push(path.relative(ROOT, file));
    failed += 1;
    continue;
  }
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  const loadFailures = report.testResults.filter(
    (f) => f.status === 'failed' && f.assertionResults.length === 0,
  ).length;
  if (report.success === false && report.numFailedTests === 0 && loadFailures === 0) {
    // Every test passed, yet the run failed: vitest caught an unhandled error or rejection.
    failed += 1;
    failures.push(
      `${path.relative(ROOT, file)}: vitest caught an error outside any test (an unhandled rejection or error: its "Unhandled Errors" output is above)`,
    );
  }
  for (const f of report.testResults) {
    const where = path.relative(ROOT, f.name);
    // A spec file that fails to load has no tests in it: count it as one failure.
    if (f.status === 'failed' && f.assertionResults.length === 0) {
      failed += 1;
      failures.push(`${where}: ${firstLine(f.message) || 'the spec file failed to load'}`);
    }
    for (const a of f.assertionResults)
      if (a.status === 'failed')
        failures.push(`${where} › ${a.fullName}: ${firstLine(a.failureMessages?.[0])}`);
  }
}
for (const file of checkReports) {
  if (!existsSync(file)) {
    missing.push(path.relative(ROOT, file));
    failed += 1;
    continue;
  }
  const result = readJson<{
    passed: number;
    failed: number;
    checks?: Array<{ name: string; ok: boolean; detail?: string }>;
  }>(file);
  passed += result.passed;
  failed += result.failed;
  const where = path.relative(ROOT, file);
  for (const c of result.checks ?? [])
    if (!c.ok) failures.push(`${where} › ${c.name}: ${firstLine(c.detail)}`);
}
for (const file of missing)
  failures.push(`${file} was not written (its task did not run to the end)`);
// A step can fail with no failed test to name (typecheck, lint, links, a benchmark …): name the step,
// so CI's closing lines, which are often all of the log that is read, say what to look at.
for (const s of steps) if (!s.ok) failures.push(`step "${s.name}" failed (its output is above)`);

console.log('\n━━ summary');
for (const s of steps) console.log(`  ${s.ok ? '✓' : '✗'} ${s.name}`);
if (failures.length > 0)
  console.log(`\nwhat failed:\n${failures.map((f) => `  ✗ ${f}`).join('\n')}`);
// A step that failed with no failed test to show for it (typecheck, lint, links …) counts as
// one failure each, so the closing line never reads "0 failed" for a run that failed.
if (failed === 0) failed = steps.filter((s) => !s.ok).length;
writeFileSync(
  path.join(reports, `verify-node${process.versions.node.split('.')[0]}.json`),
  `${JSON.stringify({ node: process.version, passed, failed, steps, failures }, null, 2)}\n`,
);
const ok = failed === 0;
console.log(`${passed} passed, ${failed} failed`);
process.exit(ok ? 0 : 1);
