import { readFileSync } from 'node:fs';
import { spawnSource, withTimeout } from '@socketlab/testkit';
import { expect, it } from 'vitest';

const PACKAGE_DIR = new URL('../../../', import.meta.url);
/** Starting Node with tsx under CI's full load has taken over 10 s. */
const RUN_MS = 60_000;

it('the bytes and the table lessons/game-server.md shows are what examples/lesson-game.ts prints', {
  timeout: RUN_MS + 10_000,
}, async () => {
  const program = spawnSource(PACKAGE_DIR, 'examples/lesson-game.ts');
  const { code } = await withTimeout(program.exited, 'lesson-game.ts to finish', RUN_MS);
  const out = program.stdout();
  expect(code, out).toBe(0);
  const page = readFileSync(new URL('lessons/game-server.md', PACKAGE_DIR), 'utf8');
  const lines = out
    .split('\n')
    .filter((line) => /^\s+([0-9a-f]{2} )+[0-9a-f]{2}$|^\s+\d+\s+\d+\s+\d+\s+\d+$/.test(line));
  expect(lines.length).toBeGreaterThan(6);
  // The table's rows up to t = 300 ms, as printed (the page stops once the client settled).
  const rows = lines.filter((line) => /^\s+\d+\s+\d+\s+\d+\s+\d+$/.test(line));
  const shown = rows.filter((line) => Number(line.trim().split(/\s+/)[0]) <= 300);
  expect(shown).toHaveLength(6);
  expect(shown.filter((line) => !page.includes(line))).toEqual([]);
  const hexRuns = lines.filter((line) => /[0-9a-f]{2} [0-9a-f]{2}/.test(line));
  expect(hexRuns.filter((line) => !page.includes(line.trim()))).toEqual([]);
});
