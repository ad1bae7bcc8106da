import path from 'node:path';
import { type CliCommand, type CliIo, CliUsageError, paint, parseCommandArgs } from '../command.ts';
import { type Context, chooseExercise, openContext } from '../context.ts';
import { hintsOf } from '../lesson.ts';
import { ProgressStore } from '../progress.ts';
import type { Exercise } from '../repo.ts';

/**
 * Shows the next hint tier of `exercise` (or the last again when all are out) and remembers it.
 * Returns the number of the tier shown (0 when the lesson has none).
 */
export async function showNextHint(
  io: CliIo,
  context: Context,
  exercise: Exercise,
): Promise<number> {
  const hints = await hintsOf(exercise.dir);
  const lesson = path.relative(context.root, exercise.lesson);
  if (hints.length === 0) {
    io.out(`${exercise.key} has no hints: read ${lesson}.`);
    return 0;
  }
  let tier = 0;
  context.progress.update((progress) => {
    const record = ProgressStore.entry(progress, exercise.key);
    tier = Math.min((record.hintsShown ?? 0) + 1, hints.length);
    record.hintsShown = tier;
  });
  io.out(paint(io, 'bold', `Hint ${tier} of ${hints.length} for ${exercise.key}:`));
  io.out(`  ${hints[tier - 1]}`);
  io.out(
    tier < hints.length
      ? paint(io, 'dim', `(the next one says more; the lesson is ${lesson})`)
      : paint(
          io,
          'dim',
          `That was the last hint. Once it passes, \`socketlab solution ${exercise.key}\` shows the reference.`,
        ),
  );
  return tier;
}

export const hintCommand: CliCommand = {
  summary: "the next hint tier of an exercise (remembered; the lesson's ## Hints, in order)",
  help: `usage: socketlab hint [exercise]

Shows the next hint of the exercise, one tier at a time (the first nudges, the last nearly gives
the answer away), and remembers how many you have seen. The hints are the lesson's "## Hints".
  exercise   default: the current one`,
  async run(args, io) {
    const { positionals } = parseCommandArgs(args, {});
    if (positionals.length > 1) throw new CliUsageError('hint takes one exercise at most');
    const context = openContext(io);
    const exercise = chooseExercise(context, positionals[0]);
    if (!exercise) {
      io.out(
        'Every exercise passes: no hint needed. Name one to see its hints: socketlab hint basics/01',
      );
      return 0;
    }
    await showNextHint(io, context, exercise);
    return 0;
  },
};
