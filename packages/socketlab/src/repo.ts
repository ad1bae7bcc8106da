/**
 * Where the stages are: every `packages/<folder>/stage.json` of a checkout, in stage order, and
 * the exercises they list, in order. Nothing else names a stage or an exercise, so a new stage
 * needs no change here.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StageManifest } from '../../../scripts/lib/workspace.ts';
import { CliUsageError } from './command.ts';

/** One stage of a checkout: its folder and its manifest. */
export interface Stage {
  /** Absolute path of the stage package, e.g. `/repo/packages/basics`. */
  readonly dir: string;
  readonly manifest: StageManifest;
}

/** One exercise, with the paths a command needs. */
export interface Exercise {
  readonly stage: Stage;
  readonly id: string;
  readonly title: string;
  /** Its place in its stage, from 0. */
  readonly index: number;
  /** `<stage name>/<id>`, the key of its progress record. */
  readonly key: string;
  /** Absolute path of `exercises/<id>/`. */
  readonly dir: string;
  /** The spec, relative to the stage: `exercises/<id>/exercise.test.ts`. */
  readonly spec: string;
  /** The learner's file, absolute. */
  readonly file: string;
  /** The reference solution, absolute. */
  readonly solution: string;
  /** The lesson (README.md), absolute. */
  readonly lesson: string;
  /** A program in another language the spec also grades (stage.json's `cmdExample`). */
  readonly cmdExample?: string;
}

/**
 * The checkout to work on: `SOCKETLAB_ROOT` when set (tests point it at a copy), else the
 * repository this package lives in.
 */
export function findRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SOCKETLAB_ROOT) return path.resolve(env.SOCKETLAB_ROOT);
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
}

/** Every stage of the checkout at `root`, sorted by the manifest's stage number. */
export function discoverStages(root: string): Stage[] {
  const packages = path.join(root, 'packages');
  if (!existsSync(packages)) return [];
  return readdirSync(packages, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(packages, d.name, 'stage.json')))
    .map((d) => {
      const dir = path.join(packages, d.name);
      const file = path.join(dir, 'stage.json');
      let manifest: StageManifest;
      try {
        manifest = JSON.parse(readFileSync(file, 'utf8')) as StageManifest;
      } catch (error) {
        throw new Error(`${file} is not valid JSON: ${(error as Error).message}`);
      }
      if (!Array.isArray(manifest.exercises) || typeof manifest.name !== 'string') {
        throw new Error(`${file} has no "name" or no "exercises" list`);
      }
      return { dir, manifest };
    })
    .sort((a, b) => a.manifest.stage - b.manifest.stage);
}

/** The exercises of `stage`, in the manifest's order. */
export function stageExercises(stage: Stage): Exercise[] {
  return stage.manifest.exercises.map((entry, index) => {
    const dir = path.join(stage.dir, 'exercises', entry.id);
    return {
      stage,
      id: entry.id,
      title: entry.title,
      index,
      key: `${stage.manifest.name}/${entry.id}`,
      dir,
      spec: `exercises/${entry.id}/exercise.test.ts`,
      file: path.join(dir, 'exercise.ts'),
      solution: path.join(stage.dir, 'solutions', entry.id, 'exercise.ts'),
      lesson: path.join(dir, 'README.md'),
      ...(entry.cmdExample ? { cmdExample: entry.cmdExample } : {}),
    };
  });
}

/** Every exercise of every stage, in learning order. */
export function allExercises(stages: readonly Stage[]): Exercise[] {
  return stages.flatMap(stageExercises);
}

/** Whether `id` is named by `query`: the whole id, its number (`03`, `3`) or a prefix of it. */
function idMatches(id: string, query: string): boolean {
  if (id === query || id.startsWith(`${query}-`)) return true;
  const number = /^(\d+)-/.exec(id)?.[1];
  return number !== undefined && /^\d+$/.test(query) && Number(number) === Number(query);
}

/**
 * The exercise `query` names: `basics/01-first-socket`, `basics/01`, `1/01` (stage number),
 * `tcp-udp/3`, or an id alone when only one stage has it (`06-file-transfer`).
 * @throws {CliUsageError} when nothing or more than one exercise matches.
 */
export function findExercise(stages: readonly Stage[], query: string): Exercise {
  const slash = query.indexOf('/');
  const stagePart = slash >= 0 ? query.slice(0, slash) : undefined;
  const idPart = slash >= 0 ? query.slice(slash + 1) : query;
  const inStages =
    stagePart === undefined
      ? stages
      : stages.filter(
          (s) =>
            s.manifest.name === stagePart ||
            path.basename(s.dir) === stagePart ||
            String(s.manifest.stage) === stagePart,
        );
  if (inStages.length === 0) {
    throw new CliUsageError(
      `no stage named ${JSON.stringify(stagePart)}: the stages are ${stages.map((s) => s.manifest.name).join(', ')}`,
    );
  }
  const matches = allExercises(inStages).filter((e) => idMatches(e.id, idPart));
  if (matches.length === 1 && matches[0]) return matches[0];
  if (matches.length === 0) {
    throw new CliUsageError(
      `no exercise ${JSON.stringify(query)}: run \`socketlab list\` for their names (e.g. ${allExercises(stages)[0]?.key ?? 'basics/01'})`,
    );
  }
  throw new CliUsageError(
    `${JSON.stringify(query)} could be ${matches.map((e) => e.key).join(' or ')}: say which, with its stage`,
  );
}
