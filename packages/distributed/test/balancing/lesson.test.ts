import { readFileSync } from 'node:fs';
import { spawnSource, withTimeout } from '@socketlab/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { probeNginx } from './helpers.ts';

const PACKAGE_DIR = new URL('../../', import.meta.url);
/** Starting Node with tsx under CI's full load has taken over 10 s. */
const RUN_MS = 60_000;

const nginx = await probeNginx();

describe.skipIf(nginx.skip)('lessons/load-balancing.md', { timeout: RUN_MS + 10_000 }, () => {
  beforeAll(() => nginx.require());

  it('shows what examples/lesson-balancing.ts prints: the configs, the polling sessions and the upgrades', async () => {
    const program = spawnSource(PACKAGE_DIR, 'examples/lesson-balancing.ts');
    const { code } = await withTimeout(
      program.exited,
      'examples/lesson-balancing.ts to finish',
      RUN_MS,
    );
    const out = code === 0 ? program.stdout() : program.output();
    expect(code, out).toBe(0);
    const page = readFileSync(new URL('lessons/load-balancing.md', PACKAGE_DIR), 'utf8');
    // Every printed line but the access log's (this run's ports and session ids) is on the page.
    const lines = out
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !/upstream=127\.0\.0\.1:\d+/.test(line));
    expect(lines.length).toBeGreaterThan(100);
    expect(lines.filter((line) => !page.includes(line))).toEqual([]);
    // the access log was printed, and shows the 400s of the session without stickiness
    expect(out).toMatch(/"POST \/socket\.io\/\?EIO=4&transport=polling&sid=\S+ HTTP\/1\.1" 400 /);
  });
});
