import { type CliCommand, CliUsageError, parseCommandArgs } from '../command.ts';
import { chooseExercise, openContext } from '../context.ts';
import { type ExerciseGrade, gradeExercises } from '../grade.ts';
import { failureBlock, gradeLine } from '../render.ts';
import type { Exercise } from '../repo.ts';

/**
 * Checks a `--target` value with testkit's `resolveTarget`, the one parser of targets (loaded
 * only when a target is given: testkit brings vitest along).
 */
export async function checkTarget(value: string): Promise<'module' | 'wire'> {
  const { resolveTarget } = await import('@socketlab/testkit');
  try {
    const target = resolveTarget(value);
    return target.kind === 'cmd' || target.kind === 'addr' ? 'wire' : 'module';
  } catch (error) {
    throw new CliUsageError((error as Error).message.replace('SOCKETLAB_TARGET=', '--target '));
  }
}

export const verifyCommand: CliCommand = {
  summary: 'grade an exercise once (and the ones before it in its stage); exit code for scripts',
  help: `usage: socketlab verify [exercise] [--target cmd:…|addr:…] [--only] [--all] [--json]

Runs the exercise's spec against your exercises/ copy, and the specs of the exercises before it
in the same stage, so a later change that breaks an earlier exercise is caught. Prints one line
per exercise and the first failure in full with the lesson section to read; records the results
in the progress file. Exit code 0 when everything graded passes, 1 when something fails.
  exercise         basics/01-first-socket, basics/01, 1/01 or an id; default: the current one
  --target T       grade something else than your exercises/: cmd:<command> (a program in any
                   language, told its port in PORT), addr:<host>:<port> (a running server), or
                   solutions (the reference, not recorded). A program grades only that exercise.
  --only           grade only that exercise, not the ones before it
  --all            grade every exercise of every stage
  --json           print the results as JSON`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      target: { type: 'string' },
      only: { type: 'boolean' },
      all: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (positionals.length > 1) throw new CliUsageError('verify takes one exercise at most');
    if (values.all && positionals.length > 0) {
      throw new CliUsageError('--all grades every exercise: leave the exercise out');
    }
    const target = values.target ?? 'exercises';
    const kind = values.target ? await checkTarget(values.target) : 'module';
    const context = openContext(io);
    let chosen: Exercise[];
    if (values.all) {
      if (kind === 'wire')
        throw new CliUsageError('--all cannot grade one program: name its exercise');
      chosen = context.exercises;
    } else {
      const exercise = chooseExercise(context, positionals[0]);
      if (!exercise) {
        io.out(
          'Every exercise passes: nothing left to verify. (`socketlab verify --all` re-checks them.)',
        );
        return 0;
      }
      chosen =
        values.only || kind === 'wire'
          ? [exercise]
          : context.exercises.filter(
              (e) => e.stage === exercise.stage && e.index <= exercise.index,
            );
    }
    const grades: ExerciseGrade[] = [];
    for (const stage of context.stages) {
      const group = chosen.filter((e) => e.stage === stage);
      if (group.length === 0) continue;
      if (!values.json) io.out(`Grading ${group.map((e) => e.key).join(', ')} against ${target}…`);
      grades.push(...(await gradeExercises(group, target, { signal: io.signal })));
      if (io.signal.aborted) return 130;
    }
    if (target !== 'solutions') context.progress.recordGrades(grades);
    const ok = grades.every((g) => g.status === 'passed');
    if (values.json) {
      io.out(JSON.stringify({ target, ok, grades }, null, 2));
      return ok ? 0 : 1;
    }
    for (const grade of grades) io.out(gradeLine(io, grade));
    const first = grades.find((g) => g.status !== 'passed');
    const exercise = first && context.exercises.find((e) => e.key === first.key);
    if (first && exercise) {
      for (const line of failureBlock(io, first, exercise, context.root)) io.out(line);
      io.out('');
      io.out(`Stuck? pnpm socketlab hint ${first.key}`);
    } else {
      io.out(grades.length === 1 ? 'It passes.' : `All ${grades.length} graded exercises pass.`);
    }
    return ok ? 0 : 1;
  },
};
