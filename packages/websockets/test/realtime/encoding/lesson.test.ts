import { readFileSync } from 'node:fs';
import { spawnSource, withTimeout } from '@socketlab/testkit';
import { expect, it } from 'vitest';

const PACKAGE_DIR = new URL('../../../', import.meta.url);
/** Starting Node with tsx under CI's full load has taken over 10 s. */
const RUN_MS = 60_000;

it('every byte lessons/binary-protocols.md shows is what examples/lesson-encoding.ts prints', {
  timeout: RUN_MS + 10_000,
}, async () => {
  const program = spawnSource(PACKAGE_DIR, 'examples/lesson-encoding.ts');
  const { code } = await withTimeout(program.exited, 'examples/lesson-encoding.ts', RUN_MS);
  expect(code, program.output()).toBe(0);
  const page = readFileSync(new URL('lessons/binary-protocols.md', PACKAGE_DIR), 'utf8');
  const lines = program
    .stdout()
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('{'));
  expect(lines.length).toBeGreaterThanOrEqual(11);
  expect(lines.filter((line) => !page.includes(line))).toEqual([]);
});
