/**
 * Grading: runs exercise specs against one target in their own vitest process and turns vitest's
 * JSON report into a result per exercise (passed and failed tests, the first failure with the
 * lesson section it names). The one place that does this: `socketlab`, `pnpm matrix` and the
 * honesty check (`scripts/check-exercises.ts`) all grade through it.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { VitestReport } from '../../../scripts/lib/workspace.ts';
import type { Exercise } from './repo.ts';

/** How long one vitest run may take before it is killed (and what it graded counts as timed out). */
export const DEFAULT_GRADE_TIMEOUT_MS = 120_000;

export interface RunSpecsOptions {
  /** The stage folder: vitest and the stage's vitest config are found from here. */
  dir: string;
  /** Spec files, relative to `root`. */
  specs: readonly string[];
  /** `SOCKETLAB_TARGET`: `solutions`, `exercises`, `cmd:<command>` or `addr:<host>:<port>`. */
  target: string;
  /**
   * The tree vitest runs in (`--root`): a scratch copy of the stage holding someone else's
   * exercises, for instance.
   * @default dir
   */
  root?: string;
  /**
   * Kills the run (its whole process group) after this long.
   * @default DEFAULT_GRADE_TIMEOUT_MS
   */
  timeoutMs?: number;
  /** Kills the run when aborted. */
  signal?: AbortSignal;
}

/** What one vitest run produced. */
export interface SpecRun {
  /** vitest's JSON report; missing when vitest could not start or was killed. */
  report?: VitestReport;
  /** What vitest printed (stdout and stderr), for when there is no report. */
  output: string;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
}

/** vitest's own launcher, as installed for the stage at `dir`. */
function vitestBin(dir: string): string {
  const require = createRequire(path.join(dir, 'package.json'));
  return path.join(path.dirname(require.resolve('vitest/package.json')), 'vitest.mjs');
}

/** The stage's vitest config file, if it has one. */
function vitestConfig(dir: string): string | undefined {
  return ['vitest.config.ts', 'vitest.config.mts', 'vitest.config.js']
    .map((name) => path.join(dir, name))
    .find((file) => existsSync(file));
}

/** The environment of a graded run: ours, minus the variables of a vitest we may be running in. */
function gradingEnv(target: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('VITEST') && key !== 'TEST' && key !== 'NODE_ENV') env[key] = value;
  }
  return { ...env, SOCKETLAB_TARGET: target, FORCE_COLOR: '0', NO_COLOR: '1' };
}

/**
 * Runs `specs` once against `target` in a vitest process of their own (its own process group,
 * killed whole on timeout or abort) and reads its JSON report.
 */
export function runSpecs(options: RunSpecsOptions): Promise<SpecRun> {
  const started = performance.now();
  const root = options.root ?? options.dir;
  const out = mkdtempSync(path.join(os.tmpdir(), 'socketlab-grade-'));
  const reportFile = path.join(out, 'report.json');
  const config = vitestConfig(options.dir);
  const args = [
    vitestBin(options.dir),
    'run',
    '--reporter=json',
    `--outputFile.json=${reportFile}`,
    ...(config ? ['--config', realpathSync(config)] : []),
    '--root',
    root,
    ...options.specs,
  ];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: gradingEnv(options.target),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: process.platform !== 'win32',
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-64 * 1024);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let timedOut = false;
  let aborted = false;
  const kill = (): void => {
    try {
      if (child.pid !== undefined && process.platform !== 'win32')
        process.kill(-child.pid, 'SIGKILL');
      else child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, options.timeoutMs ?? DEFAULT_GRADE_TIMEOUT_MS);
  const onAbort = (): void => {
    aborted = true;
    kill();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  return new Promise((resolve) => {
    const finish = (): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      let report: VitestReport | undefined;
      try {
        if (!timedOut && !aborted && existsSync(reportFile)) {
          report = JSON.parse(readFileSync(reportFile, 'utf8')) as VitestReport;
        }
      } catch {
        report = undefined; // A half-written report: as good as none.
      }
      rmSync(out, { recursive: true, force: true });
      resolve({
        ...(report ? { report } : {}),
        output,
        timedOut,
        aborted,
        durationMs: performance.now() - started,
      });
    };
    child.once('close', finish);
    child.once('error', (error) => {
      output += `\n${error.message}`;
      child.removeListener('close', finish);
      finish();
    });
  });
}

/** One test of a spec and how it went. */
export interface TestOutcome {
  /** Its full name: describe titles and the test title, space-joined. */
  name: string;
  status: 'passed' | 'failed' | 'skipped';
}

/** The first failure of a spec, as a learner should see it. */
export interface FirstFailure {
  /** The failing test's full name, or `the spec` when the spec itself could not run. */
  test: string;
  /** The whole failure message (what was sent, expected and received), without stack frames. */
  message: string;
  /** The lesson section the message points to (`Read "<section>" in <lesson>.`), if it does. */
  section?: string;
  /** The lesson to read, relative to the stage: `exercises/<id>/README.md`. */
  lesson: string;
}

/** How an exercise's spec went: `error` when it could not run, `missing` when it has no spec. */
export type GradeStatus = 'passed' | 'failed' | 'error' | 'timeout' | 'missing';

/** The structured result of grading one exercise against one target. */
export interface ExerciseGrade {
  /** `<stage>/<id>`. */
  key: string;
  stage: string;
  exercise: string;
  target: string;
  status: GradeStatus;
  passed: number;
  failed: number;
  tests: TestOutcome[];
  firstFailure?: FirstFailure;
  /** How long the vitest run that graded it took (shared by every exercise it graded). */
  durationMs: number;
}

/** A failure message without stack frames and trailing blank lines. */
export function cleanFailureMessage(raw: string): string {
  return raw
    .split('\n')
    .filter((line) => !/^\s+at\s/.test(line) && !/^\s*❯\s/.test(line))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The last `Read "<section>" in <lesson>.` of a failure message. */
export function lessonPointer(message: string): { section: string; lesson: string } | undefined {
  const matches = [...message.matchAll(/Read "([^"]+)" in (\S+?\.md)\./g)];
  const last = matches.at(-1);
  return last?.[1] && last[2] ? { section: last[1], lesson: last[2] } : undefined;
}

function failure(test: string, raw: string, lesson: string): FirstFailure {
  const message = cleanFailureMessage(raw);
  const pointer = lessonPointer(message);
  return {
    test,
    message,
    lesson: pointer?.lesson ?? lesson,
    ...(pointer ? { section: pointer.section } : {}),
  };
}

/** The grade of one exercise from a run that included its spec. */
export function gradeFromRun(
  exercise: Pick<Exercise, 'key' | 'id' | 'spec'> & { stage: { manifest: { name: string } } },
  run: SpecRun,
  target: string,
  root: string,
): ExerciseGrade {
  const base = {
    key: exercise.key,
    stage: exercise.stage.manifest.name,
    exercise: exercise.id,
    target,
    durationMs: run.durationMs,
  };
  const lesson = `exercises/${exercise.id}/README.md`;
  const realRoot = realpathSync(root);
  const file = run.report?.testResults.find((f) => {
    const relative = path.relative(realRoot, f.name);
    return relative === exercise.spec || path.relative(root, f.name) === exercise.spec;
  });
  if (!file) {
    const why = run.timedOut
      ? 'the spec did not finish in time: a server that never answers, or a loop that never ends?'
      : run.aborted
        ? 'the run was stopped'
        : `the spec did not run. vitest said:\n${run.output.trim().split('\n').slice(-20).join('\n')}`;
    return {
      ...base,
      status: run.timedOut ? 'timeout' : 'error',
      passed: 0,
      failed: 0,
      tests: [],
      firstFailure: failure('the spec', why, lesson),
    };
  }
  const tests: TestOutcome[] = file.assertionResults.map((a) => ({
    name: a.fullName,
    status: a.status === 'passed' ? 'passed' : a.status === 'failed' ? 'failed' : 'skipped',
  }));
  const passed = tests.filter((t) => t.status === 'passed').length;
  const failed = tests.filter((t) => t.status === 'failed').length;
  if (tests.length === 0 && file.status === 'failed') {
    return {
      ...base,
      status: 'error',
      passed,
      failed,
      tests,
      firstFailure: failure('the spec', file.message ?? 'the spec failed to load', lesson),
    };
  }
  const first = file.assertionResults.find((a) => a.status === 'failed');
  return {
    ...base,
    status: failed === 0 && passed > 0 ? 'passed' : 'failed',
    passed,
    failed,
    tests,
    ...(first
      ? { firstFailure: failure(first.fullName, first.failureMessages?.[0] ?? '', lesson) }
      : failed === 0 && passed === 0
        ? { firstFailure: failure('the spec', 'the spec ran no test', lesson) }
        : {}),
  };
}

export interface GradeOptions {
  /** The tree to grade in, when it is not the stage itself (a scratch copy). @default the stage folder */
  root?: string;
  /** @default DEFAULT_GRADE_TIMEOUT_MS */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Grades exercises of ONE stage against `target` in one vitest run, and returns one structured
 * result per exercise, in the order given. An exercise without a spec is `missing`.
 */
export async function gradeExercises(
  exercises: readonly Exercise[],
  target: string,
  options: GradeOptions = {},
): Promise<ExerciseGrade[]> {
  const stage = exercises[0]?.stage;
  if (!stage) return [];
  if (exercises.some((e) => e.stage.dir !== stage.dir)) {
    throw new Error('gradeExercises grades one stage at a time');
  }
  const root = options.root ?? stage.dir;
  const present = exercises.filter((e) => existsSync(path.join(root, e.spec)));
  const run: SpecRun =
    present.length > 0
      ? await runSpecs({
          dir: stage.dir,
          root,
          specs: present.map((e) => e.spec),
          target,
          ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        })
      : { output: '', timedOut: false, aborted: false, durationMs: 0 };
  return exercises.map((exercise) =>
    present.includes(exercise)
      ? gradeFromRun(exercise, run, target, root)
      : {
          key: exercise.key,
          stage: stage.manifest.name,
          exercise: exercise.id,
          target,
          status: 'missing',
          passed: 0,
          failed: 0,
          tests: [],
          durationMs: 0,
        },
  );
}
