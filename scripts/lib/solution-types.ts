import path from 'node:path';
import type { Stage } from './workspace.ts';

/** Where a stage's generated type test lives (inside test/, so the stage's typecheck includes it). */
export function solutionTypesFile(stage: Stage): string {
  return path.join(stage.dir, 'test', 'solutions-fit-starters.ts');
}

/**
 * The type test of a stage, generated from stage.json: for every exercise, the solution's module
 * must be assignable to the starter's declared module (every value the starter exports, the
 * solution exports with a type that fits). `tsc` in the stage's typecheck is what proves it.
 */
export function solutionTypesSource(stage: Stage): string {
  const exercises = stage.manifest.exercises.map((e, i) => ({
    id: e.id,
    n: /^\d+/.exec(e.id)?.[0] ?? String(i + 1).padStart(2, '0'),
  }));
  const imports = (kind: 'Starter' | 'Solution', folder: string): string[] =>
    exercises.map(
      ({ id, n }) => `import type * as ${kind}${n} from '../${folder}/${id}/exercise.ts';`,
    );
  const rows = exercises.map(({ n }) => `  Fits<typeof Starter${n}, typeof Solution${n}>,`);
  // A stage with no exercise yet gets an empty list, in the form the formatter keeps.
  if (rows.length === 0) {
    return [
      `// Generated from stage.json by \`pnpm solution-types\`; the honesty check fails when it is stale.`,
      '// No exercise yet: once stage.json lists one, this proves each solution fits its starter.',
      'export type SolutionsFitStarters = [];',
      '',
    ].join('\n');
  }
  // One exercise fits on one line, and the formatter keeps it there; more get a line each.
  const list =
    rows.length === 1
      ? [`export type SolutionsFitStarters = [${rows[0]?.trim().replace(/,$/, '')}];`]
      : ['export type SolutionsFitStarters = [', ...rows, '];'];
  return [
    `// Generated from stage.json by \`pnpm solution-types\`; the honesty check fails when it is stale.`,
    `// \`pnpm typecheck\` proves each solution's module assignable to its starter's declared module.`,
    ...imports('Starter', 'exercises'),
    ...imports('Solution', 'solutions'),
    '',
    '/** Compiles only when `Solution` is assignable to `Starter`. */',
    'type Fits<Starter, Solution extends Starter> = [Starter, Solution];',
    '',
    ...list,
    '',
  ].join('\n');
}
