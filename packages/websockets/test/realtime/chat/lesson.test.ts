import { readFileSync } from 'node:fs';
import { spawnSource, withTimeout } from '@socketlab/testkit';
import { expect, it } from 'vitest';

const PACKAGE_DIR = new URL('../../../', import.meta.url);
/** Starting Node with tsx under CI's full load has taken over 10 s. */
const RUN_MS = 60_000;

it('every line examples/lesson-chat.ts prints is on lessons/chat-and-notifications.md', {
  timeout: RUN_MS + 10_000,
}, async () => {
  const program = spawnSource(PACKAGE_DIR, 'examples/lesson-chat.ts');
  const { code } = await withTimeout(program.exited, 'examples/lesson-chat.ts to finish', RUN_MS);
  const out = program.stdout();
  expect(code, out).toBe(0);
  const lines = out.split('\n').filter((line) => line.trim() !== '');
  expect(lines.length).toBeGreaterThan(15);
  const page = readFileSync(new URL('lessons/chat-and-notifications.md', PACKAGE_DIR), 'utf8');
  expect(lines.filter((line) => !page.includes(line))).toEqual([]);
});
