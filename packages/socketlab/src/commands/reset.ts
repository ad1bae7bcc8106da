import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type CliCommand, CliUsageError, parseCommandArgs } from '../command.ts';
import { openContext } from '../context.ts';
import { findExercise } from '../repo.ts';

/** Where reset keeps the learner's versions, in the repository root (git-ignored). */
export const SAVED_DIR_NAME = '.socketlab-saved';

/** The starter as git has it at `ref`, or undefined when git does not have it. */
function starterFromGit(root: string, file: string, ref: string): string | undefined {
  const relative = path.relative(root, file).split(path.sep).join('/');
  try {
    return execFileSync('git', ['show', `${ref}:${relative}`], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return undefined;
  }
}

export const resetCommand: CliCommand = {
  summary: 'restore the starter of an exercise (your version is saved aside first)',
  help: `usage: socketlab reset <exercise> [--from REF]

Puts the untouched starter back in exercises/<id>/exercise.ts, from git (HEAD, or --from REF if
you committed your own work: e.g. --from origin/main). Your version is first saved as
${SAVED_DIR_NAME}/<stage>/<id>/exercise-<time>.ts in the repository root, never lost; the
exercise's progress goes back to "not started" (hints seen are kept).
  exercise   required: basics/01-first-socket, basics/01, 1/01 or an id
  --from REF the git revision holding the starter (default: HEAD)`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { from: { type: 'string' } });
    if (positionals.length !== 1 || !positionals[0]) {
      throw new CliUsageError('reset needs exactly one exercise, e.g. socketlab reset basics/01');
    }
    const context = openContext(io);
    const exercise = findExercise(context.stages, positionals[0]);
    const ref = values.from ?? 'HEAD';
    const starter = starterFromGit(context.root, exercise.file, ref);
    const shown = path.relative(context.root, exercise.file);
    if (starter === undefined) {
      io.err(`git has no ${shown} at ${ref}: is this a git clone, and is ${ref} a revision of it?`);
      return 1;
    }
    const current = existsSync(exercise.file) ? readFileSync(exercise.file, 'utf8') : undefined;
    if (current === starter) {
      io.out(`${shown} is already the starter (as at ${ref}): nothing to reset.`);
      return 0;
    }
    if (current !== undefined) {
      const dir = path.join(
        context.root,
        SAVED_DIR_NAME,
        exercise.stage.manifest.name,
        exercise.id,
      );
      mkdirSync(dir, { recursive: true });
      const saved = path.join(dir, `exercise-${new Date().toISOString().replace(/[:.]/g, '-')}.ts`);
      writeFileSync(saved, current, { flag: 'wx' });
      io.out(`Your version is saved in ${path.relative(context.root, saved)}.`);
    }
    const temp = `${exercise.file}.${process.pid}.tmp`;
    writeFileSync(temp, starter);
    renameSync(temp, exercise.file);
    context.progress.update((progress) => {
      const record = progress.exercises[exercise.key];
      if (record) delete record.lastRun;
    });
    io.out(`${shown} is the starter again (from git ${ref}).`);
    return 0;
  },
};
