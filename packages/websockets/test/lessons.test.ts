import { readFileSync } from 'node:fs';
import { spawnSource, withTimeout } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';

const PACKAGE_DIR = new URL('..', import.meta.url);
/** Starting Node with tsx under CI's full load has taken over 10 s. */
const RUN_MS = 60_000;

async function run(file: string): Promise<{ code: number | null; out: string }> {
  const program = spawnSource(PACKAGE_DIR, file);
  const { code } = await withTimeout(program.exited, `${file} to finish`, RUN_MS);
  return { code, out: program.stdout() };
}

describe('the lessons print what the library does', { timeout: RUN_MS + 10_000 }, () => {
  it('every frame lessons/framing.md shows is the one the encoder and parser produce', async () => {
    const { code, out } = await run('examples/lesson-frames.ts');
    expect(code, out).toBe(0);
    expect(out.trimEnd().split('\n').at(-1)).toBe('every frame matches the lesson');
    // Each hex run the program prints (its right-hand column) is on the page, as printed.
    const page = readFileSync(new URL('lessons/framing.md', PACKAGE_DIR), 'utf8');
    const runs = out
      .split('\n')
      .map((line) => /\s{2,}((?:[0-9a-f]{2} )*[0-9a-f]{2})$/.exec(line)?.[1])
      .filter((hex): hex is string => hex !== undefined);
    expect(runs.length).toBeGreaterThan(10);
    const missing = runs.filter((hex) => !page.includes(hex));
    expect(missing, 'hex runs printed by examples/lesson-frames.ts but not in the lesson').toEqual(
      [],
    );
  });

  it('the closing and failure cases of lessons/framing.md run against a real server', async () => {
    const { code, out } = await run('examples/lesson-close.ts');
    expect(code, out).toBe(0);
  });
});
