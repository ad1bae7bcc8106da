import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type CliCommand, CliUsageError, paint, parseCommandArgs } from '../command.ts';
import { chooseExercise, openContext } from '../context.ts';
import { ProgressStore } from '../progress.ts';

/** The library files a solution imports from the stage's src/ (where the reference code lives). */
function librarySources(solution: string, text: string): string[] {
  const dir = path.dirname(solution);
  return [...text.matchAll(/from\s+'(\.\.\/\.\.\/src\/[^']+)'/g)]
    .map((m) => path.resolve(dir, m[1] ?? ''))
    .filter((file, i, all) => all.indexOf(file) === i && existsSync(file));
}

export const solutionCommand: CliCommand = {
  summary: 'the reference solution of an exercise, once you have passed it (or --force)',
  help: `usage: socketlab solution [exercise] [--force]

Prints the reference solution (solutions/<id>/exercise.ts) and names the library files it builds
on. Only once your exercise has passed; --force shows it before, and the progress file records
that you did.
  exercise   default: the current one
  --force    show it even though the exercise has not passed yet (recorded)`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { force: { type: 'boolean' } });
    if (positionals.length > 1) throw new CliUsageError('solution takes one exercise at most');
    const context = openContext(io);
    const exercise = chooseExercise(context, positionals[0]);
    if (!exercise)
      throw new CliUsageError('every exercise passes: name the one whose solution you want');
    const record = context.progress.read().exercises[exercise.key];
    if (!record?.passedAt && !values.force) {
      io.err(
        `${exercise.key} has not passed yet, so its solution stays hidden: try \`socketlab hint ${exercise.key}\`, ` +
          'or `socketlab solution --force` to see it anyway (the progress file records that).',
      );
      return 1;
    }
    if (!existsSync(exercise.solution)) {
      io.err(`${path.relative(context.root, exercise.solution)} is missing from this checkout`);
      return 1;
    }
    context.progress.update((progress) => {
      const entry = ProgressStore.entry(progress, exercise.key);
      // The first showing is what counts: a look before passing stays on the record.
      entry.solutionShown ??= { at: context.progress.timestamp(), forced: !entry.passedAt };
    });
    const text = readFileSync(exercise.solution, 'utf8');
    io.out(paint(io, 'bold', `${path.relative(context.root, exercise.solution)}:`));
    io.out(text.trimEnd());
    const sources = librarySources(exercise.solution, text);
    if (sources.length > 0) {
      io.out('');
      io.out(
        `It builds on the stage's library: ${sources.map((f) => path.relative(context.root, f)).join(', ')}`,
      );
    }
    return 0;
  },
};
