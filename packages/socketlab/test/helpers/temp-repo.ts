import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '@socketlab/testkit';

/** The real repository. */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/**
 * A throw-away checkout holding real stages: each stage's exercises/ is a copy (the test may edit
 * it), everything else a link to the real stage, so its specs grade for real. It is a git
 * repository with the starters committed, as a learner's clone is. Removed when the test ends.
 */
export async function tempRepo(stages: readonly string[] = ['basics']): Promise<string> {
  const root = await tempDir('socketlab-repo-');
  for (const file of [
    'package.json',
    'pnpm-workspace.yaml',
    'tsconfig.base.json',
    'vitest.shared.ts',
  ]) {
    copyFileSync(path.join(REPO, file), path.join(root, file));
  }
  mkdirSync(path.join(root, 'packages'));
  symlinkSync(path.join(REPO, 'packages/testkit'), path.join(root, 'packages/testkit'));
  for (const stage of stages) {
    const real = path.join(REPO, 'packages', stage);
    const copy = path.join(root, 'packages', stage);
    mkdirSync(copy);
    for (const entry of readdirSync(real)) {
      if (entry === 'exercises')
        cpSync(path.join(real, entry), path.join(copy, entry), { recursive: true });
      else if (entry !== '.reports' && entry !== '.turbo')
        symlinkSync(path.join(real, entry), path.join(copy, entry));
    }
  }
  const git = (...args: string[]): void => {
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], {
      cwd: root,
      stdio: 'ignore',
    });
  };
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'starters');
  return root;
}

/** Puts the reference solution of `stage/id` in place of the learner's file in `root`. */
export function solve(root: string, stage: string, id: string): void {
  copyFileSync(
    path.join(REPO, 'packages', stage, 'solutions', id, 'exercise.ts'),
    path.join(root, 'packages', stage, 'exercises', id, 'exercise.ts'),
  );
}
