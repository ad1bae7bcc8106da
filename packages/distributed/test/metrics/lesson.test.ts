import { readFileSync } from 'node:fs';
import { spawnSource, withTimeout } from '@socketlab/testkit';
import { expect, it } from 'vitest';

const PACKAGE_DIR = new URL('../../', import.meta.url);
/** Starting Node with tsx under CI's full load has taken over 10 s. */
const RUN_MS = 60_000;

it('every line examples/lesson-metrics.ts prints is on lessons/monitoring.md (but the measured latencies)', {
  timeout: RUN_MS + 10_000,
}, async () => {
  const program = spawnSource(PACKAGE_DIR, 'examples/lesson-metrics.ts');
  const { code } = await withTimeout(
    program.exited,
    'examples/lesson-metrics.ts to finish',
    RUN_MS,
  );
  const out = code === 0 ? program.stdout() : program.output();
  expect(code, out).toBe(0);
  const page = readFileSync(new URL('lessons/monitoring.md', PACKAGE_DIR), 'utf8');
  // The sums and the first bucket are measured latencies: a loaded machine moves them.
  const lines = out
    .split('\n')
    .filter(
      (line) => line.trim() !== '' && !line.includes('_sum{') && !line.includes('le="0.001"'),
    );
  expect(lines.length).toBe(13);
  expect(lines.filter((line) => !page.includes(line))).toEqual([]);
});
