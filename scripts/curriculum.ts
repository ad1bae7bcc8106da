/**
 * `pnpm curriculum`: which curriculum topics are covered, by which lesson, exercise, library
 * module and tests, and which are not yet. Coverage is computed from the stage manifests and the
 * files they name (and, where tests have run, from their results), never claimed by hand.
 *
 *   pnpm curriculum            the table for people
 *   pnpm curriculum --json     one JSON document for tools
 *   pnpm curriculum --strict   exit 1 if a stage that exists leaves a topic uncovered
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  countsByFile,
  type PackageManifest,
  readCurriculum,
  readJson,
  readReport,
  readStages,
  type Stage,
} from './lib/workspace.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    strict: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(`usage: pnpm curriculum [--json] [--strict]

Prints every curriculum topic (curriculum.json) with what covers it: a lesson, library code with
its tests (and their last results from .reports/, when tests have run), an exercise.
  --json    print one JSON document instead of the table
  --strict  exit 1 when a stage package exists but leaves one of its topics uncovered`);
  process.exit(0);
}

type Need = 'lesson' | 'code' | 'exercise';
interface Coverage {
  id: string;
  title: string;
  stage: string;
  kind: string;
  requires: Need[];
  lessons: string[];
  exercises: string[];
  code: Array<{ module: string; tests: Array<{ file: string; passed?: number; failed?: number }> }>;
  missing: string[];
  status: 'covered' | 'partial' | 'not started';
}

const curriculum = readCurriculum();
const stages = new Map<string, Stage>(readStages().map((s) => [s.manifest.name, s]));
const problems = new Set<string>();

const rows: Coverage[] = curriculum.topics.map((topic) => {
  const stage = stages.get(topic.stage);
  const row: Coverage = {
    id: topic.id,
    title: topic.title,
    stage: topic.stage,
    kind: topic.kind,
    requires: topic.requires,
    lessons: [],
    exercises: [],
    code: [],
    missing: [],
    status: 'not started',
  };
  if (!stage) {
    row.missing = [...topic.requires];
    return row;
  }
  const { dir, manifest } = stage;
  const exists = (rel: string): boolean => {
    const ok = existsSync(path.join(dir, rel));
    if (!ok) problems.add(`${manifest.name}: stage.json names ${rel}, which does not exist`);
    return ok;
  };
  const report = readReport(path.join(dir, '.reports', 'test-solutions.json'));
  const counts = report ? countsByFile(report, dir) : undefined;

  for (const lesson of manifest.lessons) {
    if (lesson.covers.includes(topic.id) && exists(lesson.file)) row.lessons.push(lesson.file);
  }
  for (const exercise of manifest.exercises) {
    if (!exercise.covers.includes(topic.id)) continue;
    const folder = `exercises/${exercise.id}`;
    const complete = [
      `${folder}/README.md`,
      `${folder}/exercise.ts`,
      `${folder}/exercise.test.ts`,
      `solutions/${exercise.id}/exercise.ts`,
    ].every(exists);
    if (complete) {
      row.exercises.push(exercise.id);
      row.lessons.push(`${folder}/README.md`);
    }
  }
  for (const lib of manifest.library) {
    if (!lib.covers.includes(topic.id) || !exists(lib.module)) continue;
    const tests = lib.tests.filter(exists).map((file) => {
      const c = counts?.get(file);
      return c ? { file, passed: c.passed, failed: c.failed } : { file };
    });
    if (tests.length > 0) row.code.push({ module: lib.module, tests });
  }
  const have: Record<Need, boolean> = {
    lesson: row.lessons.length > 0,
    exercise: row.exercises.length > 0,
    code:
      row.code.length > 0 &&
      row.code.every((c) => c.tests.every((t) => t.failed === undefined || t.failed === 0)),
  };
  row.missing = topic.requires.filter((need) => !have[need]);
  row.status = row.missing.length === 0 ? 'covered' : 'partial';
  return row;
});

if (values.json) {
  console.log(JSON.stringify({ topics: rows, problems: [...problems] }, null, 2));
} else {
  const tick = (ok: boolean): string => (ok ? '✓' : '✗');
  for (const stageInfo of curriculum.stages) {
    const mine = rows.filter((r) => r.stage === stageInfo.name);
    const covered = mine.filter((r) => r.status === 'covered').length;
    const present = stages.has(stageInfo.name);
    console.log(
      `\nStage ${stageInfo.stage} — ${stageInfo.name} (${stageInfo.package}): ${covered}/${mine.length} covered${present ? '' : ' — stage not started yet'}`,
    );
    if (!present) {
      console.log(`  not yet: ${mine.map((r) => r.id).join(' ')}`);
      continue;
    }
    for (const r of mine) {
      console.log(`  ${tick(r.status === 'covered')} ${r.id.padEnd(4)} ${r.title}  [${r.kind}]`);
      for (const lesson of r.lessons) console.log(`        lesson    ${lesson}`);
      for (const c of r.code) {
        const results = c.tests
          .map((t) =>
            t.passed === undefined
              ? `${t.file} (not run yet)`
              : `${t.file} (${t.passed} passed, ${t.failed} failed)`,
          )
          .join(', ');
        console.log(`        code      ${c.module} — tests: ${results}`);
      }
      for (const exercise of r.exercises) console.log(`        exercise  exercises/${exercise}`);
      if (r.missing.length > 0) console.log(`        MISSING   ${r.missing.join(', ')}`);
    }
  }
  const total = rows.filter((r) => r.status === 'covered').length;
  console.log(`\n${total}/${rows.length} curriculum topics covered.`);
  if (rows.some((r) => r.code.some((c) => c.tests.some((t) => t.passed === undefined)))) {
    console.log('Some test results are unknown: run `pnpm test` first to see them here.');
  }
}

// A stage marked in progress (stage.json's `inProgress`, which says what is still to come) is
// listed above with what it lacks but fails nothing yet; a finished stage must cover every topic.
// Its package may already be published (what exists is released as it lands), but then its
// README must say what is still to come, so nobody takes the stage for finished.
const inProgress = new Set(
  [...stages.values()].filter((s) => s.manifest.inProgress).map((s) => s.manifest.name),
);
for (const name of inProgress) {
  const stage = stages.get(name);
  const pkg = stage && readJson<PackageManifest>(path.join(stage.dir, 'package.json'));
  const readme = stage ? path.join(stage.dir, 'README.md') : '';
  if (
    pkg?.private !== true &&
    !(existsSync(readme) && /still to come/i.test(readFileSync(readme, 'utf8')))
  ) {
    problems.add(
      `${name}: stage.json says inProgress and its package is published, but its README does not say what is still to come`,
    );
  }
  if (!values.json) {
    console.log(
      `\n${name} is in progress (not checked by --strict yet): ${stage?.manifest.inProgress}`,
    );
  }
}
for (const problem of problems) console.error(`problem: ${problem}`);
const uncovered = rows.filter((r) => r.status === 'partial' && !inProgress.has(r.stage));
if (values.strict && (uncovered.length > 0 || problems.size > 0)) {
  console.error(
    `curriculum: ${uncovered.length} topic(s) of started stages are not fully covered: ${uncovered
      .map((r) => `${r.id} (missing ${r.missing.join(', ')})`)
      .join('; ')}`,
  );
  process.exit(1);
}
