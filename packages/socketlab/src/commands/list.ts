import path from 'node:path';
import { type CliCommand, type CliIo, paint, parseCommandArgs } from '../command.ts';
import { type Context, currentExercise, openContext } from '../context.ts';
import { type ExerciseState, type Progress, STATE_LABELS, stateOf } from '../progress.ts';

/** The roadmap as data: what `list --json` prints. */
export interface Roadmap {
  root: string;
  progressFile: string;
  /** The key of the current exercise (the first that does not pass), if any is left. */
  current: string | null;
  stages: Array<{
    stage: number;
    name: string;
    title: string;
    /** Set while the stage is being built: more exercises are still to come. */
    inProgress?: boolean;
    passing: number;
    total: number;
    exercises: Array<{
      key: string;
      id: string;
      title: string;
      state: ExerciseState;
      current: boolean;
      passedTests?: number;
      failedTests?: number;
      lastRunAt?: string;
      passedAt?: string;
      hintsShown: number;
    }>;
  }>;
}

export function roadmap(context: Context, progress: Progress): Roadmap {
  const current = currentExercise(context, progress);
  return {
    root: context.root,
    progressFile: context.progress.file,
    current: current?.key ?? null,
    stages: context.stages.map((stage) => {
      const exercises = context.exercises
        .filter((e) => e.stage === stage)
        .map((e) => {
          const record = progress.exercises[e.key];
          return {
            key: e.key,
            id: e.id,
            title: e.title,
            state: stateOf(record),
            current: e.key === current?.key,
            ...(record?.lastRun
              ? {
                  passedTests: record.lastRun.passedTests,
                  failedTests: record.lastRun.failedTests,
                  lastRunAt: record.lastRun.at,
                }
              : {}),
            ...(record?.passedAt ? { passedAt: record.passedAt } : {}),
            hintsShown: record?.hintsShown ?? 0,
          };
        });
      return {
        stage: stage.manifest.stage,
        name: stage.manifest.name,
        title: stage.manifest.title,
        ...(stage.manifest.inProgress ? { inProgress: true } : {}),
        passing: exercises.filter((e) => e.state === 'passing').length,
        total: exercises.length,
        exercises,
      };
    }),
  };
}

const MARKS: Record<ExerciseState, { mark: string; style: 'green' | 'red' | 'yellow' | 'dim' }> = {
  passing: { mark: '✓', style: 'green' },
  failing: { mark: '✗', style: 'red' },
  regressed: { mark: '!', style: 'yellow' },
  'not-started': { mark: '·', style: 'dim' },
};

function printRoadmap(io: CliIo, map: Roadmap): void {
  const relative = path.relative(map.root, map.progressFile);
  const shown = relative.startsWith('..') ? map.progressFile : relative;
  io.out(`socketlab: your roadmap (progress kept in ${shown})`);
  for (const stage of map.stages) {
    io.out('');
    const bar = progressBar(stage.passing, stage.total);
    io.out(
      paint(io, 'bold', `Stage ${stage.stage} · ${stage.name}: ${stage.title}`) +
        `  ${bar} ${stage.passing}/${stage.total}` +
        (stage.inProgress ? paint(io, 'dim', '  (being written: more exercises to come)') : ''),
    );
    const idWidth = Math.max(...stage.exercises.map((e) => e.id.length));
    const titleWidth = Math.max(...stage.exercises.map((e) => e.title.length));
    for (const e of stage.exercises) {
      const { mark, style } = MARKS[e.state];
      const counts =
        e.state === 'failing' || e.state === 'regressed'
          ? ` (${e.failedTests} of ${(e.passedTests ?? 0) + (e.failedTests ?? 0)} tests fail)`
          : '';
      const pointer = e.current ? paint(io, 'cyan', '→') : ' ';
      io.out(
        `${pointer} ${paint(io, style, mark)} ${e.id.padEnd(idWidth)}  ${e.title.padEnd(titleWidth)}  ${paint(io, style, STATE_LABELS[e.state])}${counts}${e.current ? paint(io, 'cyan', '  ← current') : ''}`,
      );
    }
  }
  io.out('');
  io.out(
    map.current
      ? `Next: pnpm socketlab watch ${map.current}   (or verify, hint, run; --help on each)`
      : 'Every exercise passes. Well done!',
  );
}

function progressBar(done: number, total: number, width = 12): string {
  const filled = total === 0 ? 0 : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

export const listCommand: CliCommand = {
  summary: 'the roadmap: every stage and exercise, its state, the current one (the default)',
  help: `usage: socketlab [list] [--json]

Shows every stage and its exercises in order, each one's state (not started, failing, passing,
passed earlier but failing now) as your last verify or watch left it, the current exercise (the
first that does not pass) and the progress per stage.
  --json   print the roadmap as JSON, for tools`,
  async run(args, io) {
    const { values } = parseCommandArgs(args, { json: { type: 'boolean' } }, false);
    const context = openContext(io);
    const map = roadmap(context, context.progress.read());
    if (values.json) io.out(JSON.stringify(map, null, 2));
    else printRoadmap(io, map);
    return 0;
  },
};
