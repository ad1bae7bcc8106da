/**
 * The honesty check (`pnpm check:exercises`), in the spirit of `rustlings dev check`.
 *
 * For every exercise of every stage it proves that the spec means something: the spec passes
 * against the reference solution, every one of its tests fails against the untouched starter
 * (except those the manifest lists in `passesAgainstStarter`, each with a written reason, and
 * those must still pass there so the list cannot go stale), and, where the manifest names a
 * program in another language (`cmdExample`), the spec passes against that program over the wire.
 * The stage's generated type test (each solution's module assignable to its starter's) must be
 * up to date.
 * It also checks that each exercise has its lesson, at least one hint, a `// TODO:` in its starter,
 * a mirrored solution and a manifest entry, and that nothing in exercises/ is left out of the manifest.
 *
 * Each stage runs it as its own turbo task (`honesty`, cached on that stage's files):
 *   pnpm check:exercises                               every stage, through turbo
 *   pnpm exec tsx scripts/check-exercises.ts [--stage basics] [--report FILE]   directly
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runSpecs } from '../packages/socketlab/src/grade.ts';
import { readHints } from '../packages/testkit/src/lesson.ts';
import { solutionTypesFile, solutionTypesSource } from './lib/solution-types.ts';
import {
  countsByFile,
  readJson,
  readStages,
  type Stage,
  type StageManifest,
  type VitestReport,
} from './lib/workspace.ts';

const { values } = parseArgs({
  options: {
    stage: { type: 'string' },
    report: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(`usage: pnpm check:exercises [--stage NAME] [--report FILE]

Proves every exercise spec honest: it must pass against solutions/, fail against the untouched
starter in exercises/ (every test, bar those stage.json lists in passesAgainstStarter with a
reason), and pass against the manifest's cmdExample program if one is named.
Also checks each exercise has a lesson, hints, a // TODO: and a manifest entry.
  --stage NAME   check one stage only (e.g. basics)
  --report FILE  also write the results as JSON, relative to the current folder
                 (read by pnpm verify for the totals)`);
  process.exit(0);
}

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}
const checks: Check[] = [];
const record = (name: string, ok: boolean, detail: string): void => {
  checks.push({ name, ok, detail });
  console.log(`${ok ? '  ✓' : '  ✗'} ${name}: ${detail}`);
};

/** Runs `files` of `stage` against `target` through the shared grading module (its own process). */
async function vitest(
  stage: Stage,
  target: string,
  files: string[],
): Promise<VitestReport | undefined> {
  const run = await runSpecs({ dir: stage.dir, specs: files, target, timeoutMs: 300_000 });
  if (!run.report) {
    const said = (run.timedOut ? 'timed out after 300 s' : run.output)
      .trim()
      .split('\n')
      .slice(-15);
    console.log(
      `    vitest (SOCKETLAB_TARGET=${target}) wrote no report. It said:\n      ${said.join('\n      ')}`,
    );
  }
  return run.report;
}

function starterChanges(stage: Stage): string[] {
  try {
    const changed = execFileSync(
      'git',
      ['status', '--porcelain', '--', ':(glob)exercises/*/exercise.ts'],
      {
        cwd: stage.dir,
        encoding: 'utf8',
      },
    );
    return changed.split('\n').filter(Boolean);
  } catch {
    return []; // Not a git checkout (an exported tree): nothing to compare against.
  }
}

/**
 * The files a cmdExample command runs (its words that are files of the stage) must be inputs of
 * the stage's `honesty` turbo task (its turbo.json), or the cached check would not re-run when
 * the program changes.
 */
function cmdExampleInputs(stage: Stage, command: string | undefined): string[] {
  if (!command) return [];
  const files = command
    .split(/\s+/)
    .filter(
      (word) =>
        existsSync(path.join(stage.dir, word)) && statSync(path.join(stage.dir, word)).isFile(),
    );
  if (files.length === 0) return [`its cmdExample \`${command}\` names no file of the stage`];
  const turboFile = path.join(stage.dir, 'turbo.json');
  const inputs = existsSync(turboFile)
    ? (readJson<{ tasks?: Record<string, { inputs?: string[] }> }>(turboFile).tasks?.honesty
        ?.inputs ?? [])
    : [];
  return files
    .filter((file) => !inputs.includes(file))
    .map((file) => `turbo.json's honesty inputs lack ${file}, which its cmdExample runs`);
}

function checkStructure(stage: Stage): void {
  const { dir, manifest } = stage;
  const stageIds = new Set<string>();
  const listed = new Set(manifest.exercises.map((e) => e.id));
  const folders = existsSync(path.join(dir, 'exercises'))
    ? readdirSync(path.join(dir, 'exercises'), { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
    : [];
  const recordUnlisted = (names: readonly string[], problem: string): void => {
    for (const folder of names) {
      if (!listed.has(folder)) record(`${manifest.name}/${folder}`, false, problem);
    }
  };
  recordUnlisted(folders, 'has a folder in exercises/ but no entry in stage.json');
  const solutionFolders = existsSync(path.join(dir, 'solutions'))
    ? readdirSync(path.join(dir, 'solutions'))
    : [];
  recordUnlisted(solutionFolders, 'has a folder in solutions/ but no exercise of that name');
  for (const exercise of manifest.exercises) {
    const name = `${manifest.name}/${exercise.id}`;
    const folder = path.join(dir, 'exercises', exercise.id);
    const problems: string[] = [];
    for (const file of ['README.md', 'exercise.ts', 'exercise.test.ts']) {
      if (!existsSync(path.join(folder, file)))
        problems.push(`exercises/${exercise.id}/${file} is missing`);
    }
    if (!existsSync(path.join(dir, 'solutions', exercise.id, 'exercise.ts'))) {
      problems.push(`solutions/${exercise.id}/exercise.ts is missing`);
    }
    if (stageIds.has(exercise.id)) problems.push('is listed twice in stage.json');
    stageIds.add(exercise.id);
    if (!exercise.title) problems.push('has no title in stage.json');
    if (!exercise.covers?.length) problems.push('covers no curriculum id in stage.json');
    // The lesson's numbered "## Hints" are the hints' one source (stage.json has none).
    if (existsSync(path.join(folder, 'README.md')) && readHints(folder).length === 0)
      problems.push('its lesson has no "## Hints" section with a numbered hint');
    problems.push(...cmdExampleInputs(stage, exercise.cmdExample));
    const starter = path.join(folder, 'exercise.ts');
    if (existsSync(starter) && !readFileSync(starter, 'utf8').includes('// TODO:')) {
      problems.push('its starter has no "// TODO:" edit point');
    }
    record(
      `${name} structure`,
      problems.length === 0,
      problems.length ? problems.join('; ') : 'lesson, hints, TODO, spec, solution, manifest entry',
    );
  }
  const typesFile = solutionTypesFile(stage);
  const current = existsSync(typesFile) ? readFileSync(typesFile, 'utf8') : undefined;
  const rel = path.relative(dir, typesFile);
  record(
    `${manifest.name} solution types`,
    current === solutionTypesSource(stage),
    current === undefined
      ? `${rel} is missing: run pnpm solution-types`
      : current === solutionTypesSource(stage)
        ? `${rel} lists every exercise (typecheck proves each solution fits its starter)`
        : `${rel} is stale: run pnpm solution-types`,
  );
}

type Exercise = StageManifest['exercises'][number];

/** The results of one spec file (path relative to the stage) in a vitest report. */
const specResults = (stage: Stage, report: VitestReport | undefined, spec: string) =>
  report?.testResults.find((f) => path.relative(stage.dir, f.name) === spec);

/**
 * Every test of a spec must fail against the untouched starter, unless stage.json lists it in
 * `passesAgainstStarter` with a reason; a listed test must still pass there (no stale entries).
 */
function checkAgainstStarter(
  stage: Stage,
  exercise: Exercise,
  spec: string,
  report: VitestReport | undefined,
): void {
  const name = `${stage.manifest.name}/${exercise.id} fails against its untouched starter`;
  const file = specResults(stage, report, spec);
  if (!file) {
    record(name, false, 'did not run');
    return;
  }
  const tests = file.assertionResults;
  const passing = new Set(tests.filter((t) => t.status === 'passed').map((t) => t.fullName));
  const allowed = exercise.passesAgainstStarter ?? [];
  const problems: string[] = [];
  for (const entry of allowed) {
    if (!entry.why?.trim())
      problems.push(`passesAgainstStarter "${entry.test}" gives no reason (why)`);
    if (!passing.has(entry.test))
      problems.push(
        `passesAgainstStarter "${entry.test}" no longer passes against the starter: remove it from stage.json`,
      );
  }
  const listed = new Set(allowed.map((e) => e.test));
  for (const test of passing) {
    if (!listed.has(test))
      problems.push(
        `"${test}" PASSES against the stub: make it test something a stub cannot do, or list it in stage.json's passesAgainstStarter with the reason`,
      );
  }
  const failing = tests.filter((t) => t.status === 'failed').length;
  const loadError = file.status === 'failed' && tests.length === 0;
  if (!loadError && failing === 0)
    problems.push('no test fails against the stub: the spec tests nothing a stub cannot do');
  const summary = loadError
    ? 'the spec fails to load against the stub'
    : `${failing} of ${tests.length} tests fail${passing.size > 0 ? `, ${passing.size} pass with a written reason` : ''}`;
  record(name, problems.length === 0, problems.length ? problems.join('\n      ') : summary);
}

/** Whether every test of `spec` passed in `report`, and the names and first lines of failures. */
function allPass(stage: Stage, report: VitestReport | undefined, spec: string): [boolean, string] {
  const c = report ? countsByFile(report, stage.dir).get(spec) : undefined;
  if (c === undefined) return [false, 'did not run'];
  if (c.fileError) return [false, `failed to load: ${c.fileError.split('\n')[0]}`];
  const failures = (specResults(stage, report, spec)?.assertionResults ?? [])
    .filter((a) => a.status === 'failed')
    .map((a) => `\n      ✗ ${a.fullName}: ${a.failureMessages?.[0]?.split('\n')[0] ?? ''}`);
  return [
    c.failed === 0 && c.passed > 0,
    `${c.passed} passed, ${c.failed} failed${failures.join('')}`,
  ];
}

async function checkSpecs(stage: Stage): Promise<void> {
  const { dir, manifest } = stage;
  const specs = manifest.exercises
    .map((e) => `exercises/${e.id}/exercise.test.ts`)
    .filter((f) => existsSync(path.join(dir, f)));
  if (specs.length === 0) return;
  const changed = starterChanges(stage);
  if (changed.length > 0) {
    record(
      `${manifest.name} starters`,
      false,
      `the honesty check grades untouched starters, but these starters have changes:\n      ${changed.join('\n      ')}\n    run it in a clean clone, or stash your work first (git stash)`,
    );
    return;
  }
  const solved = await vitest(stage, 'solutions', specs);
  const starters = await vitest(stage, 'exercises', specs);
  for (const spec of specs) {
    const id = path.basename(path.dirname(spec));
    record(`${manifest.name}/${id} passes against its solution`, ...allPass(stage, solved, spec));
  }
  for (const exercise of manifest.exercises) {
    const spec = `exercises/${exercise.id}/exercise.test.ts`;
    if (specs.includes(spec)) checkAgainstStarter(stage, exercise, spec, starters);
  }
  for (const exercise of manifest.exercises) {
    if (!exercise.cmdExample) continue;
    const spec = `exercises/${exercise.id}/exercise.test.ts`;
    record(
      `${manifest.name}/${exercise.id} grades \`${exercise.cmdExample}\` over the wire`,
      ...allPass(stage, await vitest(stage, `cmd:${exercise.cmdExample}`, [spec]), spec),
    );
  }
}

const stages = readStages().filter((s) => !values.stage || s.manifest.name === values.stage);
if (stages.length === 0) {
  console.error(values.stage ? `no stage named ${values.stage}` : 'no stage has a stage.json yet');
  process.exit(1);
}
for (const stage of stages) {
  console.log(`${stage.packageName}`);
  checkStructure(stage);
  await checkSpecs(stage);
}
const failed = checks.filter((c) => !c.ok);
console.log(`\nhonesty check: ${checks.length - failed.length} of ${checks.length} checks hold`);
if (values.report) {
  const file = path.resolve(values.report);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(
    file,
    `${JSON.stringify({ passed: checks.length - failed.length, failed: failed.length, checks }, null, 2)}\n`,
  );
}
process.exit(failed.length === 0 ? 0 : 1);
