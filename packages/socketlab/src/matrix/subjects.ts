/**
 * Who the matrix grades: the reference solutions, the untouched starters, and each student
 * checkout under a folder. A student's work is graded in a scratch copy of the stage that holds
 * the student's exercise files next to the repository's own specs and lessons (never the
 * student's), with everything else linked to the real stage.
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import type { Exercise, Stage } from '../repo.ts';

/** One row of the matrix. */
export interface Subject {
  /** `solutions`, `starters`, a student's folder name, or the `cmd:`/`addr:` target. */
  readonly name: string;
  readonly kind: 'solutions' | 'starters' | 'student' | 'program';
  /** For a student: the checkout's folder. */
  readonly dir?: string;
}

/** The student checkouts under `dir`: every folder that holds a `packages/<stage>/exercises` tree. */
export function findStudents(dir: string, stages: readonly Stage[]): Subject[] {
  if (!existsSync(dir)) throw new Error(`--students ${dir}: no such folder`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => path.join(dir, d.name))
    .filter((student) =>
      stages.some((s) =>
        existsSync(path.join(student, 'packages', path.basename(s.dir), 'exercises')),
      ),
    )
    .sort()
    .map((student) => ({ name: path.basename(student), kind: 'student' as const, dir: student }));
}

/** The files a subject has for one exercise (name → content), or undefined when it has none. */
function subjectFiles(
  root: string,
  subject: Subject,
  exercise: Exercise,
): Map<string, Buffer> | undefined {
  const files = new Map<string, Buffer>();
  if (subject.kind === 'starters') {
    const relative = path.relative(root, exercise.file).split(path.sep).join('/');
    try {
      files.set(
        'exercise.ts',
        execFileSync('git', ['show', `HEAD:${relative}`], {
          cwd: root,
          stdio: ['ignore', 'pipe', 'ignore'],
        }),
      );
    } catch {
      if (!existsSync(exercise.file)) return undefined;
      files.set('exercise.ts', readFileSync(exercise.file)); // Not a git clone: the working tree's copy.
    }
    return files;
  }
  if (!subject.dir) return undefined;
  const dir = path.join(
    subject.dir,
    'packages',
    path.basename(exercise.stage.dir),
    'exercises',
    exercise.id,
  );
  if (!existsSync(path.join(dir, 'exercise.ts'))) return undefined;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    // The spec and the lesson always come from the repository: a student's copy is not trusted.
    if (entry.isFile() && entry.name !== 'exercise.test.ts' && entry.name !== 'README.md') {
      files.set(entry.name, readFileSync(path.join(dir, entry.name)));
    }
  }
  return files;
}

/**
 * Builds the scratch copy of `stage` for `subject` in `dir` and returns the exercises it holds
 * (those the subject has files for). The real stage's other entries are linked, not copied.
 */
export function buildScratch(
  root: string,
  stage: Stage,
  exercises: readonly Exercise[],
  subject: Subject,
  dir: string,
): Exercise[] {
  mkdirSync(dir, { recursive: true });
  for (const entry of readdirSync(stage.dir)) {
    if (['exercises', 'tsconfig.json', '.reports', '.turbo'].includes(entry)) continue;
    symlinkSync(path.join(stage.dir, entry), path.join(dir, entry));
  }
  const held: Exercise[] = [];
  for (const exercise of exercises) {
    const files = subjectFiles(root, subject, exercise);
    if (!files) continue;
    const target = path.join(dir, 'exercises', exercise.id);
    mkdirSync(target, { recursive: true });
    for (const name of ['README.md', 'exercise.test.ts']) {
      if (existsSync(path.join(exercise.dir, name)))
        cpSync(path.join(exercise.dir, name), path.join(target, name));
    }
    for (const [name, content] of files) writeFileSync(path.join(target, name), content);
    held.push(exercise);
  }
  return held;
}
