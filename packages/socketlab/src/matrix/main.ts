/**
 * `pnpm matrix`: grades every stage × exercise for the reference solutions, the untouched
 * starters and each student checkout, and writes one report in HTML, JSON and JUnit XML.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  type CliIo,
  CliUsageError,
  EXIT_USAGE,
  parseCommandArgs,
  parseIntegerOption,
} from '../command.ts';
import { checkTarget } from '../commands/verify.ts';
import { allExercises, discoverStages, findRoot } from '../repo.ts';
import { matrixHtml } from './html.ts';
import { matrixJUnit } from './junit.ts';
import { DEFAULT_MATRIX_TIME_LIMIT_MS, type MatrixResult, runMatrix } from './run.ts';
import { findStudents, type Subject } from './subjects.ts';

export const MATRIX_HELP = `usage: pnpm matrix [--students DIR] [--stage S] [--exercises IDS] [--target T] [--jobs N]
                   [--time-limit SECONDS] [--out DIR]

Grades every exercise of every stage against the reference solutions, the untouched starters
(from git HEAD) and each student checkout under DIR (one folder per student: a clone of the
repository, or just its packages/<stage>/exercises trees). Each exercise of each student runs in
its own process, killed at the time limit. Writes report.html, report.json and junit.xml.
Exit code 1 when a reference solution fails or an untouched starter passes; 2 on misuse.
  --students DIR       the folder of student checkouts
  --stage S            only this stage (its name or number); repeatable
  --exercises IDS      only these exercises, comma-separated (02-addresses,03 …)
  --target T           which rows: solutions, starters, students, or a program (cmd:… / addr:…);
                       repeatable (default: solutions, starters and, with --students, students)
  --jobs N             exercises graded at once (default: the number of cores)
  --time-limit SECONDS per exercise and subject (default ${DEFAULT_MATRIX_TIME_LIMIT_MS / 1000})
  --out DIR            where the reports go (default .reports/matrix in the repository)`;

/** How the matrix shows progress: a bar redrawn in place on a terminal. */
export interface ProgressOutput {
  readonly tty: boolean;
  write(text: string): void;
}

export async function matrixMain(
  argv: string[],
  io: CliIo,
  progress?: ProgressOutput,
): Promise<number> {
  try {
    return await matrix(argv, io, progress);
  } catch (error) {
    if (error instanceof CliUsageError) {
      io.err(`pnpm matrix: ${error.message}\nRun 'pnpm matrix --help' for its usage.`);
      return EXIT_USAGE;
    }
    io.err(`pnpm matrix: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
}

async function matrix(argv: string[], io: CliIo, progress?: ProgressOutput): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      students: { type: 'string' },
      stage: { type: 'string', multiple: true },
      exercises: { type: 'string' },
      target: { type: 'string', multiple: true },
      jobs: { type: 'string' },
      'time-limit': { type: 'string' },
      out: { type: 'string' },
    },
    false,
  );
  if (values.help) {
    io.out(MATRIX_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new CliUsageError(`unexpected ${positionals.join(' ')}`);
  const jobs = parseIntegerOption('jobs', values.jobs ?? String(os.availableParallelism()), 1, 64);
  const timeLimitMs =
    parseIntegerOption(
      'time-limit',
      values['time-limit'] ?? String(DEFAULT_MATRIX_TIME_LIMIT_MS / 1000),
      1,
      3600,
    ) * 1000;
  const root = findRoot(io.env);
  const all = discoverStages(root);
  const stages = values.stage
    ? values.stage.map((name) => {
        const stage = all.find(
          (s) => s.manifest.name === name || String(s.manifest.stage) === name,
        );
        if (!stage)
          throw new CliUsageError(
            `no stage ${name}: the stages are ${all.map((s) => s.manifest.name).join(', ')}`,
          );
        return stage;
      })
    : all;
  const wanted = values.exercises
    ?.split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  const exercises = allExercises(stages).filter(
    (e) => !wanted || wanted.some((id) => e.id === id || e.id.startsWith(`${id}-`)),
  );
  if (exercises.length === 0)
    throw new CliUsageError('no exercise matches --stage and --exercises');

  const targets = values.target ?? [
    'solutions',
    'starters',
    ...(values.students ? ['students'] : []),
  ];
  const subjects: Subject[] = [];
  for (const target of targets) {
    if (target === 'solutions' || target === 'starters')
      subjects.push({ name: target, kind: target });
    else if (target === 'students') {
      if (!values.students) throw new CliUsageError('--target students needs --students DIR');
      subjects.push(...findStudents(path.resolve(values.students), stages));
    } else {
      if ((await checkTarget(target)) !== 'wire') {
        throw new CliUsageError(
          `--target ${target}: use solutions, starters, students, cmd:… or addr:…`,
        );
      }
      subjects.push({ name: target, kind: 'program' });
    }
  }
  if (values.students && !targets.includes('students')) {
    io.err('pnpm matrix: --students is given but --target leaves students out');
  }
  if (values.students && !subjects.some((s) => s.kind === 'student')) {
    io.err(
      `pnpm matrix: no student checkout under ${values.students} (expected <student>/packages/<stage>/exercises)`,
    );
  }

  const started = performance.now();
  const result: MatrixResult = await runMatrix({
    root,
    stages,
    exercises,
    subjects,
    jobs,
    timeLimitMs,
    signal: io.signal,
    onProgress: (done, total, cell) => {
      if (!progress?.tty) return;
      const width = 24;
      const filled = Math.round((done / total) * width);
      progress.write(
        `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${cell.subject} ${cell.key}`
          .padEnd(80)
          .slice(0, 100),
      );
    },
  });
  if (progress?.tty) progress.write('\n');

  const out = path.resolve(values.out ?? path.join(root, '.reports', 'matrix'));
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'report.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(path.join(out, 'report.html'), matrixHtml(result));
  writeFileSync(path.join(out, 'junit.xml'), matrixJUnit(result));

  for (const subject of result.subjects) {
    const cells = result.cells.filter((c) => c.subject === subject.name);
    const passed = cells.filter((c) => c.status === 'passed').length;
    io.out(`${subject.name.padEnd(24)} ${passed}/${cells.length} exercises pass`);
  }
  for (const problem of result.verdict.problems) io.err(`✗ ${problem}`);
  io.out(
    `matrix: ${result.cells.length} cells in ${((performance.now() - started) / 1000).toFixed(1)} s; reports in ${out} (report.html, report.json, junit.xml)`,
  );
  return result.verdict.ok ? 0 : 1;
}
