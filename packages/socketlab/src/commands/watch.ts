import { type FSWatcher, watch } from 'node:fs';
import path from 'node:path';
import {
  type CliCommand,
  type CliIo,
  CliUsageError,
  paint,
  parseCommandArgs,
  parseIntegerOption,
} from '../command.ts';
import { type Context, chooseExercise, nextExercise, openContext } from '../context.ts';
import { gradeExercises } from '../grade.ts';
import { introOf, readLesson } from '../lesson.ts';
import { failureBlock, gradeLine } from '../render.ts';
import type { Exercise } from '../repo.ts';
import { showNextHint } from './hint.ts';

/** How long after the last save watch waits before grading (editors save in several writes). */
export const DEFAULT_WATCH_DEBOUNCE_MS = 200;

const KEYS = 'h hint · l lesson · n next exercise · q quit';

/**
 * The rustlings loop: grade `first`, re-grade on every save (debounced), move on when it passes.
 * Resolves with the exit code when the learner quits, the signal aborts, or every exercise passes.
 */
export function watchExercises(
  io: CliIo,
  context: Context,
  first: Exercise,
  debounceMs: number,
): Promise<number> {
  let exercise = first;
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: AbortController | undefined;
  let pending = false;
  let finished = false;
  let resolveDone: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => {
    resolveDone = resolve;
  });
  const stdin = io.stdin;
  const raw = stdin?.isTTY === true && typeof stdin.setRawMode === 'function';

  const finish = (code: number): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    watcher?.close();
    running?.abort();
    if (stdin) {
      stdin.removeListener('data', onKey);
      if (raw) stdin.setRawMode?.(false);
      stdin.pause();
    }
    io.signal.removeEventListener('abort', onAbort);
    resolveDone(code);
  };
  const onAbort = (): void => finish(130);

  const follow = (next: Exercise): void => {
    watcher?.close();
    exercise = next;
    try {
      watcher = watch(exercise.dir, (_event, name) => {
        if (name && (!String(name).endsWith('.ts') || String(name).endsWith('.test.ts'))) return;
        clearTimeout(timer);
        timer = setTimeout(() => void grade(), debounceMs);
      });
    } catch (error) {
      io.err(`socketlab: cannot watch ${exercise.dir}: ${(error as Error).message}`);
      finish(1);
    }
  };

  const grade = async (): Promise<void> => {
    if (finished) return;
    if (running) {
      pending = true;
      return;
    }
    const graded = exercise;
    running = new AbortController();
    io.out('');
    io.out(paint(io, 'dim', `── ${graded.key}: grading…`));
    const [result] = await gradeExercises([graded], 'exercises', { signal: running.signal });
    running = undefined;
    if (finished || !result) return;
    context.progress.recordGrades([result]);
    io.out(gradeLine(io, result));
    if (result.status === 'passed') {
      io.out(paint(io, 'green', `${graded.key} passes. Recorded in your progress.`));
      const next = nextExercise(context, graded);
      if (!next) {
        io.out('That was the last exercise: every one is done. Well done!');
        finish(0);
        return;
      }
      moveTo(next);
      return;
    }
    for (const line of failureBlock(io, result, graded, context.root)) io.out(line);
    io.out('');
    io.out(
      paint(
        io,
        'dim',
        `Watching ${path.relative(context.root, graded.dir)}: save to re-run. ${KEYS}`,
      ),
    );
    if (pending) {
      pending = false;
      void grade();
    }
  };

  const moveTo = (next: Exercise): void => {
    pending = false;
    follow(next);
    io.out('');
    io.out(paint(io, 'bold', `Next: ${next.key} — ${next.title}`));
    for (const line of introOf(readLesson(next.lesson))) io.out(paint(io, 'dim', `  │ ${line}`));
    io.out(`  (the whole lesson: ${path.relative(context.root, next.lesson)})`);
    void grade();
  };

  const onKey = (data: Buffer | string): void => {
    const text = data.toString();
    const keys = raw ? [...text] : text.split('\n').map((line) => line.trim().slice(0, 1));
    for (const key of keys) {
      if (finished) return;
      if (key === 'q' || key === '\u0003') finish(0);
      else if (key === 'h') void showNextHint(io, context, exercise);
      else if (key === 'l') {
        io.out(`The lesson: ${path.relative(context.root, exercise.lesson)}`);
        for (const line of introOf(readLesson(exercise.lesson))) io.out(`  │ ${line}`);
      } else if (key === 'n') {
        const next = nextExercise(context, exercise);
        if (next) {
          running?.abort();
          moveTo(next);
        } else io.out('This is the last exercise.');
      }
    }
  };

  io.signal.addEventListener('abort', onAbort, { once: true });
  if (stdin) {
    if (raw) stdin.setRawMode?.(true);
    stdin.setEncoding?.('utf8');
    stdin.on('data', onKey);
    stdin.resume();
  }
  io.out(paint(io, 'bold', `Watching ${exercise.key} — ${exercise.title}`));
  io.out(paint(io, 'dim', KEYS + (raw ? '' : ' (type the letter, then Enter)')));
  follow(exercise);
  void grade();
  return done;
}

export const watchCommand: CliCommand = {
  summary: 'the loop: grade on every save, show the first failure, move on when it passes',
  help: `usage: socketlab watch [exercise] [--debounce MS]

Grades the exercise against your exercises/ copy and shows only its first failure in full (what
was sent, what was expected, what came back) with the lesson section to read. Re-runs on every
save; when it passes, records it and moves on to the next exercise, showing the start of its
lesson. Keys: h next hint, l the lesson, n next exercise, q quit (in a terminal a key press;
otherwise type the letter and Enter).
  exercise        default: the current one (the first that does not pass)
  --debounce MS   wait this long after the last save before grading (default ${DEFAULT_WATCH_DEBOUNCE_MS})`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { debounce: { type: 'string' } });
    if (positionals.length > 1) throw new CliUsageError('watch takes one exercise at most');
    const debounceMs =
      values.debounce === undefined
        ? DEFAULT_WATCH_DEBOUNCE_MS
        : parseIntegerOption('debounce', values.debounce, 0, 60_000);
    const context = openContext(io);
    const exercise = chooseExercise(context, positionals[0]);
    if (!exercise) {
      io.out('Every exercise passes. Name one to watch it anyway: socketlab watch basics/01');
      return 0;
    }
    return watchExercises(io, context, exercise, debounceMs);
  },
};
