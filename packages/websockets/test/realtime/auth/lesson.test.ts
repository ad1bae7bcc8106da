import { readFileSync } from 'node:fs';
import { spawnSource, withTimeout } from '@socketlab/testkit';
import { expect, it } from 'vitest';

const PACKAGE_DIR = new URL('../../../', import.meta.url);
/** Starting Node with tsx under CI's full load has taken over 10 s. */
const RUN_MS = 60_000;

it('lessons/auth.md shows the token and the reasons examples/lesson-auth.ts prints', {
  timeout: RUN_MS + 10_000,
}, async () => {
  const program = spawnSource(PACKAGE_DIR, 'examples/lesson-auth.ts');
  const { code } = await withTimeout(program.exited, 'examples/lesson-auth.ts to finish', RUN_MS);
  const out = program.stdout();
  expect(code, out).toBe(0);
  const page = readFileSync(new URL('lessons/auth.md', PACKAGE_DIR), 'utf8');
  // Every line of the output from the token's parts on, as printed, is on the page.
  const lines = out
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.endsWith(':'));
  expect(lines.length).toBeGreaterThan(10);
  expect(lines.filter((line) => !page.includes(line))).toEqual([]);
});
