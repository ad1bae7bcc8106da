import { readFileSync } from 'node:fs';
import { spawnSource, withTimeout } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';

const PACKAGE_DIR = new URL('..', import.meta.url);
/** Starting Node with tsx under CI's full load has taken over 10 s. */
const RUN_MS = 60_000;

async function run(file: string): Promise<{ code: number | null; out: string }> {
  const program = spawnSource(PACKAGE_DIR, file);
  const { code } = await withTimeout(program.exited, `${file} to finish`, RUN_MS);
  return { code, out: code === 0 ? program.stdout() : program.output() };
}

const lessonPage = (file: string): string =>
  readFileSync(new URL(`lessons/${file}`, PACKAGE_DIR), 'utf8');

/** The lines of `out` that are not on `page`, as printed (trimmed): what the lesson lost. */
const notOnPage = (lines: readonly string[], page: string): string[] =>
  lines.filter((line) => !page.includes(line));

/** The non-empty lines of a program's output, trimmed. */
const printedLines = (out: string): string[] =>
  out
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');

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

  it('lessons/auth.md shows the token and the reasons examples/lesson-auth.ts prints', async () => {
    const { code, out } = await run('examples/lesson-auth.ts');
    expect(code, out).toBe(0);
    // Every line from the token's parts on, as printed, is on the page (headings end in ':').
    const lines = printedLines(out).filter((line) => !line.endsWith(':'));
    expect(lines.length).toBeGreaterThan(10);
    expect(notOnPage(lines, lessonPage('auth.md'))).toEqual([]);
  });

  it('every line examples/lesson-chat.ts prints is on lessons/chat-and-notifications.md', async () => {
    const { code, out } = await run('examples/lesson-chat.ts');
    expect(code, out).toBe(0);
    // As printed, indentation and all.
    const lines = out.split('\n').filter((line) => line.trim() !== '');
    expect(lines.length).toBeGreaterThan(15);
    expect(notOnPage(lines, lessonPage('chat-and-notifications.md'))).toEqual([]);
  });

  it('every byte lessons/binary-protocols.md shows is what examples/lesson-encoding.ts prints', async () => {
    const { code, out } = await run('examples/lesson-encoding.ts');
    expect(code, out).toBe(0);
    const lines = printedLines(out).filter((line) => !line.startsWith('{'));
    expect(lines.length).toBeGreaterThanOrEqual(11);
    expect(notOnPage(lines, lessonPage('binary-protocols.md'))).toEqual([]);
  });

  it('the bytes and the table lessons/game-server.md shows are what examples/lesson-game.ts prints', async () => {
    const { code, out } = await run('examples/lesson-game.ts');
    expect(code, out).toBe(0);
    const page = lessonPage('game-server.md');
    const lines = out
      .split('\n')
      .filter((line) => /^\s+([0-9a-f]{2} )+[0-9a-f]{2}$|^\s+\d+\s+\d+\s+\d+\s+\d+$/.test(line));
    expect(lines.length).toBeGreaterThan(6);
    // The table's rows up to t = 300 ms, as printed (the page stops once the client settled).
    const rows = lines.filter((line) => /^\s+\d+\s+\d+\s+\d+\s+\d+$/.test(line));
    const shown = rows.filter((line) => Number(line.trim().split(/\s+/)[0]) <= 300);
    expect(shown).toHaveLength(6);
    expect(notOnPage(shown, page)).toEqual([]);
    const hexRuns = lines.filter((line) => /[0-9a-f]{2} [0-9a-f]{2}/.test(line));
    expect(
      notOnPage(
        hexRuns.map((line) => line.trim()),
        page,
      ),
    ).toEqual([]);
  });
});
