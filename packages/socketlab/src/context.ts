/**
 * What every command works on: the checkout, its stages and exercises (from the manifests), and
 * the progress store.
 */
import type { CliIo } from './command.ts';
import { type Progress, ProgressStore, progressFile, stateOf } from './progress.ts';
import {
  allExercises,
  discoverStages,
  type Exercise,
  findExercise,
  findRoot,
  type Stage,
} from './repo.ts';

export interface Context {
  readonly root: string;
  readonly stages: Stage[];
  readonly exercises: Exercise[];
  readonly progress: ProgressStore;
}

export function openContext(io: CliIo): Context {
  const root = findRoot(io.env);
  const stages = discoverStages(root);
  return {
    root,
    stages,
    exercises: allExercises(stages),
    progress: new ProgressStore(progressFile(root, io.env), (message) =>
      io.err(`socketlab: ${message}`),
    ),
  };
}

/** The exercise to work on: the first, in learning order, that does not pass now. */
export function currentExercise(context: Context, progress: Progress): Exercise | undefined {
  return context.exercises.find((e) => stateOf(progress.exercises[e.key]) !== 'passing');
}

/** The exercise an argument names, or the current one when there is no argument. */
export function chooseExercise(context: Context, query: string | undefined): Exercise | undefined {
  if (query !== undefined) return findExercise(context.stages, query);
  return currentExercise(context, context.progress.read());
}

/** The exercise after `exercise` in learning order (across stages). */
export function nextExercise(context: Context, exercise: Exercise): Exercise | undefined {
  const at = context.exercises.findIndex((e) => e.key === exercise.key);
  return context.exercises[at + 1];
}
