import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { REPO } from './helpers/temp-repo.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/socketlab.js');

/** Runs the bin as a learner's shell would, against the real repository and a throw-away progress file. */
async function socketlab(progress: string, ...args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        env: { ...process.env, SOCKETLAB_ROOT: REPO, SOCKETLAB_PROGRESS: progress, NO_COLOR: '1' },
        timeout: 120_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('the socketlab bin', () => {
  it('grades with an exit code: 1 against the starter, 0 against the solution', async () => {
    const progress = path.join(await tempDir('socketlab-bin-'), 'progress.json');
    const red = await socketlab(progress, 'verify', 'basics/03', '--only');
    expect(red.code, red.stderr).toBe(1);
    expect(red.stdout).toMatch(/✗ basics\/03-ports/);
    const green = await socketlab(
      progress,
      'verify',
      'basics/03',
      '--only',
      '--target',
      'solutions',
    );
    expect(green.code, green.stdout + green.stderr).toBe(0);
    const map = JSON.parse((await socketlab(progress, 'list', '--json')).stdout);
    expect(
      map.stages[0].exercises.find((e: { key: string }) => e.key === 'basics/03-ports').state,
    ).toBe('failing');
  }, 180_000);

  it('exits 2 with a pointer to --help on misuse', async () => {
    const progress = path.join(await tempDir('socketlab-bin-'), 'progress.json');
    const misuse = await socketlab(progress, 'hint', '--tier', '3');
    expect(misuse.code).toBe(2);
    expect(misuse.stderr).toMatch(/Run 'socketlab hint --help'/);
  });
});
