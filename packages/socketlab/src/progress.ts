/**
 * The learner's progress: one JSON file in the repository root (git-ignored), written atomically
 * (a temporary file renamed over it), read back forgivingly: a corrupt or hand-edited file is set
 * aside with a clear message and the state is rebuilt from what could be read. It never crashes
 * a command.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ExerciseGrade } from './grade.ts';

/** The progress file's name in the repository root. */
export const PROGRESS_FILE_NAME = '.socketlab-progress.json';

/** What is remembered of one exercise. */
export interface ExerciseRecord {
  /** The last time its spec ran against the learner's code. */
  lastRun?: {
    at: string;
    passed: boolean;
    passedTests: number;
    failedTests: number;
    target: string;
  };
  /** When it first passed. */
  passedAt?: string;
  /** How many hint tiers were shown. */
  hintsShown?: number;
  /** When the reference solution was shown, and whether before passing (`--force`). */
  solutionShown?: { at: string; forced: boolean };
}

export interface Progress {
  version: 1;
  /** By `<stage>/<id>`. */
  exercises: Record<string, ExerciseRecord>;
}

/** Where an exercise stands. */
export type ExerciseState = 'not-started' | 'failing' | 'passing' | 'regressed';

/** The words for each state, as `list` prints them. */
export const STATE_LABELS: Readonly<Record<ExerciseState, string>> = {
  'not-started': 'not started',
  failing: 'failing',
  passing: 'passing',
  regressed: 'passed earlier, failing now',
};

export function stateOf(record: ExerciseRecord | undefined): ExerciseState {
  if (!record?.lastRun) return 'not-started';
  if (record.lastRun.passed) return 'passing';
  return record.passedAt ? 'regressed' : 'failing';
}

/** The progress file for the checkout at `root`: `SOCKETLAB_PROGRESS` when set (tests), else in the root. */
export function progressFile(root: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.SOCKETLAB_PROGRESS
    ? path.resolve(env.SOCKETLAB_PROGRESS)
    : path.join(root, PROGRESS_FILE_NAME);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isDate = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** The valid parts of one hand-edited record, and what was dropped. */
function salvageRecord(key: string, raw: unknown, dropped: string[]): ExerciseRecord | undefined {
  if (!isObject(raw)) {
    dropped.push(`${key} (not an object)`);
    return undefined;
  }
  const record: ExerciseRecord = {};
  const run = raw.lastRun;
  if (run !== undefined) {
    if (
      isObject(run) &&
      isDate(run.at) &&
      typeof run.passed === 'boolean' &&
      isCount(run.passedTests) &&
      isCount(run.failedTests) &&
      typeof run.target === 'string'
    ) {
      record.lastRun = {
        at: run.at,
        passed: run.passed,
        passedTests: run.passedTests,
        failedTests: run.failedTests,
        target: run.target,
      };
    } else dropped.push(`${key}.lastRun`);
  }
  if (raw.passedAt !== undefined) {
    if (isDate(raw.passedAt)) record.passedAt = raw.passedAt;
    else dropped.push(`${key}.passedAt`);
  }
  if (raw.hintsShown !== undefined) {
    if (isCount(raw.hintsShown)) record.hintsShown = raw.hintsShown;
    else dropped.push(`${key}.hintsShown`);
  }
  const shown = raw.solutionShown;
  if (shown !== undefined) {
    if (isObject(shown) && isDate(shown.at) && typeof shown.forced === 'boolean') {
      record.solutionShown = { at: shown.at, forced: shown.forced };
    } else dropped.push(`${key}.solutionShown`);
  }
  for (const field of Object.keys(raw)) {
    if (!['lastRun', 'passedAt', 'hintsShown', 'solutionShown'].includes(field)) {
      dropped.push(`${key}.${field} (unknown)`);
    }
  }
  return record;
}

/** Reads and updates the progress file. */
export class ProgressStore {
  /**
   * @param file the progress file (see {@link progressFile})
   * @param warn told, once, when the file was corrupt or hand-edited and what was done about it
   * @param now the clock, for timestamps
   */
  constructor(
    readonly file: string,
    private readonly warn: (message: string) => void = () => {},
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The progress so far; a corrupt or invalid file is set aside and rebuilt, never thrown. */
  read(): Progress {
    const empty: Progress = { version: 1, exercises: {} };
    if (!existsSync(this.file)) return empty;
    let text: string;
    let data: unknown;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      this.warn(`could not read ${this.file} (${(error as Error).message}): progress starts empty`);
      return empty;
    }
    try {
      data = JSON.parse(text);
    } catch (error) {
      const aside = this.setAside(text);
      this.warn(
        `${this.file} is not valid JSON (${(error as Error).message}). It was moved to ${aside}; ` +
          'progress starts again from empty, and the next `socketlab verify` records your exercises anew.',
      );
      this.write(empty);
      return empty;
    }
    const dropped: string[] = [];
    const progress: Progress = { version: 1, exercises: {} };
    if (!isObject(data) || !isObject(data.exercises)) {
      dropped.push('the whole file (expected {"version": 1, "exercises": {…}})');
    } else {
      if (data.version !== 1) dropped.push(`version ${JSON.stringify(data.version)} (expected 1)`);
      for (const [key, raw] of Object.entries(data.exercises)) {
        const record = salvageRecord(key, raw, dropped);
        if (record) progress.exercises[key] = record;
      }
    }
    if (dropped.length > 0) {
      const aside = this.setAside(text);
      this.warn(
        `${this.file} had entries socketlab cannot read, left out: ${dropped.join(', ')}. ` +
          `The file as it was is kept in ${aside}; the rest of your progress is kept.`,
      );
      this.write(progress);
    }
    return progress;
  }

  /** Reads, applies `change`, and writes back atomically. Resolves with the new progress. */
  update(change: (progress: Progress) => void): Progress {
    const progress = this.read();
    change(progress);
    this.write(progress);
    return progress;
  }

  /** The record of `key` (created empty if missing) inside `progress`. */
  static entry(progress: Progress, key: string): ExerciseRecord {
    progress.exercises[key] ??= {};
    return progress.exercises[key];
  }

  /** Remembers how a graded run against the learner's code went. */
  recordGrades(grades: readonly ExerciseGrade[]): Progress {
    const at = this.now().toISOString();
    return this.update((progress) => {
      for (const grade of grades) {
        if (grade.status === 'missing') continue;
        const record = ProgressStore.entry(progress, grade.key);
        const passed = grade.status === 'passed';
        record.lastRun = {
          at,
          passed,
          passedTests: grade.passed,
          failedTests: grade.failed,
          target: grade.target,
        };
        if (passed) record.passedAt ??= at;
      }
    });
  }

  /** The current time, as records store it. */
  timestamp(): string {
    return this.now().toISOString();
  }

  /** Writes through a temporary file in the same folder and a rename: never half a file. */
  write(progress: Progress): void {
    const temp = `${this.file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      writeFileSync(temp, `${JSON.stringify(progress, null, 2)}\n`, { flag: 'wx' });
      renameSync(temp, this.file);
    } catch (error) {
      rmSync(temp, { force: true });
      throw error;
    }
  }

  /** Keeps a copy of an unreadable file next to it; returns the copy's path. */
  private setAside(text: string): string {
    const aside = `${this.file}.corrupt-${this.now().toISOString().replace(/[:.]/g, '-')}`;
    writeFileSync(aside, text);
    return aside;
  }
}
