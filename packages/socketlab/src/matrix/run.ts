/**
 * The class matrix: every selected exercise graded for every subject, one exercise per vitest
 * process (its own process group, killed at the time limit, so one hung student server cannot
 * stall the class), at most `jobs` at once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type FirstFailure, type GradeStatus, gradeExercises } from '../grade.ts';
import type { Exercise, Stage } from '../repo.ts';
import { buildScratch, type Subject } from './subjects.ts';

/** How long one exercise of one subject may take by default before it is killed. */
export const DEFAULT_MATRIX_TIME_LIMIT_MS = 120_000;

/** One cell: one subject's grade for one exercise. */
export interface MatrixCell {
  subject: string;
  kind: Subject['kind'];
  stage: string;
  exercise: string;
  key: string;
  status: GradeStatus;
  passed: number;
  failed: number;
  firstFailure?: FirstFailure;
  durationMs: number;
}

export interface MatrixResult {
  generatedAt: string;
  subjects: Array<{ name: string; kind: Subject['kind'] }>;
  exercises: Array<{ key: string; stage: string; id: string; title: string }>;
  cells: MatrixCell[];
  /** ok is false when a reference solution fails or an untouched starter passes. */
  verdict: { ok: boolean; problems: string[] };
}

export interface MatrixOptions {
  root: string;
  stages: readonly Stage[];
  exercises: readonly Exercise[];
  subjects: readonly Subject[];
  /** @default 1 */
  jobs?: number;
  /** @default DEFAULT_MATRIX_TIME_LIMIT_MS */
  timeLimitMs?: number;
  signal?: AbortSignal;
  /** Told after each cell, for a progress bar. */
  onProgress?: (done: number, total: number, cell: MatrixCell) => void;
}

/** What the matrix says about the repository itself: solutions must pass, starters must fail. */
export function verdictOf(cells: readonly MatrixCell[]): MatrixResult['verdict'] {
  const problems = [
    ...cells
      .filter((c) => c.kind === 'solutions' && c.status !== 'passed')
      .map((c) => `the reference solution of ${c.key} does not pass (${c.status})`),
    ...cells
      .filter((c) => c.kind === 'starters' && c.status === 'passed')
      .map(
        (c) => `the untouched starter of ${c.key} passes: its spec tests nothing a stub cannot do`,
      ),
  ];
  return { ok: problems.length === 0, problems };
}

interface Job {
  subject: Subject;
  exercise: Exercise;
  root: string;
  target: string;
}

export async function runMatrix(options: MatrixOptions): Promise<MatrixResult> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'socketlab-matrix-'));
  const cells: MatrixCell[] = [];
  const cellOf = (
    subject: Subject,
    exercise: Exercise,
  ): Omit<MatrixCell, 'status' | 'passed' | 'failed' | 'durationMs'> => ({
    subject: subject.name,
    kind: subject.kind,
    stage: exercise.stage.manifest.name,
    exercise: exercise.id,
    key: exercise.key,
  });
  try {
    const jobs: Job[] = [];
    options.subjects.forEach((subject, s) => {
      for (const stage of options.stages) {
        const exercises = options.exercises.filter((e) => e.stage === stage);
        if (exercises.length === 0) continue;
        if (subject.kind === 'solutions' || subject.kind === 'program') {
          const target = subject.kind === 'solutions' ? 'solutions' : subject.name;
          for (const exercise of exercises)
            jobs.push({ subject, exercise, root: stage.dir, target });
          continue;
        }
        const dir = path.join(scratch, `${s}-${stage.manifest.name}`);
        const held = buildScratch(options.root, stage, exercises, subject, dir);
        for (const exercise of exercises) {
          if (held.includes(exercise))
            jobs.push({ subject, exercise, root: dir, target: 'exercises' });
          else
            cells.push({
              ...cellOf(subject, exercise),
              status: 'missing',
              passed: 0,
              failed: 0,
              durationMs: 0,
            });
        }
      }
    });
    const total = jobs.length + cells.length;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < jobs.length && !options.signal?.aborted) {
        const job = jobs[next++];
        if (!job) break;
        const [grade] = await gradeExercises([job.exercise], job.target, {
          root: job.root,
          timeoutMs: options.timeLimitMs ?? DEFAULT_MATRIX_TIME_LIMIT_MS,
          ...(options.signal ? { signal: options.signal } : {}),
        });
        if (!grade) continue;
        const cell: MatrixCell = {
          ...cellOf(job.subject, job.exercise),
          status: grade.status,
          passed: grade.passed,
          failed: grade.failed,
          durationMs: Math.round(grade.durationMs),
          ...(grade.firstFailure ? { firstFailure: grade.firstFailure } : {}),
        };
        cells.push(cell);
        options.onProgress?.(cells.length, total, cell);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.jobs ?? 1) }, worker));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const subjectOrder = options.subjects.map((s) => s.name);
  const exerciseOrder = options.exercises.map((e) => e.key);
  cells.sort(
    (a, b) =>
      subjectOrder.indexOf(a.subject) - subjectOrder.indexOf(b.subject) ||
      exerciseOrder.indexOf(a.key) - exerciseOrder.indexOf(b.key),
  );
  return {
    generatedAt: new Date().toISOString(),
    subjects: options.subjects.map(({ name, kind }) => ({ name, kind })),
    exercises: options.exercises.map((e) => ({
      key: e.key,
      stage: e.stage.manifest.name,
      id: e.id,
      title: e.title,
    })),
    cells,
    verdict: verdictOf(cells),
  };
}
