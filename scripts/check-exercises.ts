/**
 * The honesty check (`pnpm check:exercises`), in the spirit of `rustlings dev check`.
 *
 * For every exercise of every stage it proves that the spec means something: the spec passes
 * against the reference solution and fails against the untouched starter, and, where the manifest
 * names a program in another language (`cmdExample`), passes against that program over the wire.
 * It also checks that each exercise has its lesson, at least one hint, a `// TODO:` in its starter,
 * a mirrored solution and a manifest entry, and that nothing in exercises/ is left out of the manifest.
 *
 *   pnpm check:exercises [--stage basics] [--report .reports/honesty.json]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readHints } from '../packages/testkit/src/lesson.ts';
import { countsByFile, ROOT, readReport, readStages, type Stage } from './lib/workspace.ts';

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
starter in exercises/, and pass against the manifest's cmdExample program if one is named.
Also checks each exercise has a lesson, hints, a // TODO: and a manifest entry.
  --stage NAME   check one stage only (e.g. basics)
  --report FILE  also write the results as JSON (read by pnpm verify for the totals)`);
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

function vitest(stage: Stage, target: string, files: string[]): ReturnType<typeof readReport> {
  const out = mkdtempSync(path.join(os.tmpdir(), 'socketlab-honesty-'));
  const json = path.join(out, 'report.json');
  try {
    const result = spawnSync(
      'pnpm',
      ['exec', 'vitest', 'run', '--reporter=json', `--outputFile.json=${json}`, ...files],
      {
        cwd: stage.dir,
        env: { ...process.env, SOCKETLAB_TARGET: target, FORCE_COLOR: '0' },
        stdio: ['ignore', 'ignore', 'pipe'],
        encoding: 'utf8',
        timeout: 300_000,
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const report = readReport(json);
    if (!report) {
      const said = `${result.error?.message ?? ''}\n${result.stderr ?? ''}`
        .trim()
        .split('\n')
        .slice(-15);
      console.log(
        `    vitest (SOCKETLAB_TARGET=${target}) wrote no report. It said:\n      ${said.join('\n      ')}`,
      );
    }
    return report;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
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

function checkStructure(stage: Stage): void {
  const { dir, manifest } = stage;
  const stageIds = new Set<string>();
  const listed = new Set(manifest.exercises.map((e) => e.id));
  const folders = existsSync(path.join(dir, 'exercises'))
    ? readdirSync(path.join(dir, 'exercises'), { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
    : [];
  for (const folder of folders) {
    if (!listed.has(folder)) {
      record(
        `${manifest.name}/${folder}`,
        false,
        'has a folder in exercises/ but no entry in stage.json',
      );
    }
  }
  const solutionFolders = existsSync(path.join(dir, 'solutions'))
    ? readdirSync(path.join(dir, 'solutions'))
    : [];
  for (const folder of solutionFolders) {
    if (!listed.has(folder)) {
      record(
        `${manifest.name}/${folder}`,
        false,
        'has a folder in solutions/ but no exercise of that name',
      );
    }
  }
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
}

function checkSpecs(stage: Stage): void {
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
  const solved = vitest(stage, 'solutions', specs);
  const starters = vitest(stage, 'exercises', specs);
  const solvedCounts = solved ? countsByFile(solved, dir) : undefined;
  const starterCounts = starters ? countsByFile(starters, dir) : undefined;
  for (const spec of specs) {
    const id = path.basename(path.dirname(spec));
    const s = solvedCounts?.get(spec);
    const st = starterCounts?.get(spec);
    const againstSolution =
      s === undefined
        ? 'did not run'
        : s.fileError
          ? `failed to load: ${s.fileError.split('\n')[0]}`
          : `${s.passed} passed, ${s.failed} failed`;
    record(
      `${manifest.name}/${id} passes against its solution`,
      s !== undefined && !s.fileError && s.failed === 0 && s.passed > 0,
      againstSolution,
    );
    const failing = st ? st.failed + (st.fileError ? 1 : 0) : 0;
    record(
      `${manifest.name}/${id} fails against its untouched starter`,
      st !== undefined && failing > 0,
      st === undefined
        ? 'did not run'
        : failing > 0
          ? `${st.failed} of ${st.passed + st.failed} tests fail${st.passed > 0 ? ` (${st.passed} pass against the stub: make sure they test something a stub cannot do)` : ''}`
          : `all ${st.passed} tests PASS against the stub: the spec tests nothing a stub cannot do`,
    );
  }
  for (const exercise of manifest.exercises) {
    if (!exercise.cmdExample) continue;
    const spec = `exercises/${exercise.id}/exercise.test.ts`;
    const report = vitest(stage, `cmd:${exercise.cmdExample}`, [spec]);
    const c = report ? countsByFile(report, dir).get(spec) : undefined;
    record(
      `${manifest.name}/${exercise.id} grades \`${exercise.cmdExample}\` over the wire`,
      c !== undefined && !c.fileError && c.failed === 0 && c.passed > 0,
      c === undefined
        ? 'did not run'
        : c.fileError
          ? `failed to load: ${c.fileError.split('\n')[0]}`
          : `${c.passed} passed, ${c.failed} failed`,
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
  checkSpecs(stage);
}
const failed = checks.filter((c) => !c.ok);
console.log(`\nhonesty check: ${checks.length - failed.length} of ${checks.length} checks hold`);
if (values.report) {
  const file = path.resolve(ROOT, values.report);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(
    file,
    `${JSON.stringify({ passed: checks.length - failed.length, failed: failed.length, checks }, null, 2)}\n`,
  );
}
process.exit(failed.length === 0 ? 0 : 1);
