import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lessonOf, parseHints, readHints } from '../src/lesson.ts';

const LESSON = `# 01 · Echo

## Your task

1. Not a hint: this list is in another section.

## Hints

Open them one at a time.

1. A nudge: look at
   \`allowHalfOpen\`.
2. Closer.
3. Nearly the answer: \`socket.pipe(socket)\`.

## Go further

1. Not a hint either.
`;

describe('parseHints', () => {
  it('reads the numbered items under "## Hints", joining wrapped lines', () => {
    expect(parseHints(LESSON)).toEqual([
      'A nudge: look at `allowHalfOpen`.',
      'Closer.',
      'Nearly the answer: `socket.pipe(socket)`.',
    ]);
  });

  it('returns no hints for a lesson without the section, or with bullets only', () => {
    expect(parseHints('# x\n\n## Task\n\n1. do it\n')).toEqual([]);
    expect(parseHints('## Hints\n\n- a bullet is not a tiered hint\n')).toEqual([]);
  });
});

describe('readHints', () => {
  it("reads the exercise folder's README.md", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'testkit-hints-'));
    try {
      writeFileSync(path.join(dir, 'README.md'), LESSON);
      expect(readHints(dir)).toHaveLength(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('lessonOf', () => {
  it("names a section of the spec's lesson, and refuses one the lesson does not have", () => {
    const stage = mkdtempSync(path.join(tmpdir(), 'testkit-lesson-'));
    try {
      const dir = path.join(stage, 'exercises', '01-echo');
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'README.md'), LESSON);
      const lesson = lessonOf(pathToFileURL(path.join(dir, 'exercise.test.ts')).href);
      expect(lesson.path).toBe('exercises/01-echo/README.md');
      expect(lesson.see('Your task')).toBe('Read "Your task" in exercises/01-echo/README.md.');
      expect(() => lesson.see('Backpressure')).toThrow(/does not have/);
    } finally {
      rmSync(stage, { recursive: true, force: true });
    }
  });
});
