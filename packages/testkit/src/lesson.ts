import { readFileSync } from 'node:fs';
import path from 'node:path';
import { exerciseFiles } from './target.ts';

/** The lesson (README.md) of the exercise a spec grades, for pointing a failure at a section. */
export interface Lesson {
  /** The lesson's path from the stage folder, e.g. `exercises/03-length-prefix/README.md`. */
  readonly path: string;
  /**
   * `Read "<section>" in <path>.`, for the end of a failure message.
   * @throws {Error} when the lesson has no heading that starts with `section`: a spec must not
   * send a learner to a section that is not there.
   */
  see(section: string): string;
}

/**
 * The lesson of the exercise whose spec this is. Pass the spec's `import.meta.url`.
 * @example
 * const lesson = lessonOf(import.meta.url);
 * expect(got, `the header is big-endian. ${lesson.see('The header')}`).toBe('00000002');
 */
export function lessonOf(specUrl: string): Lesson {
  const files = exerciseFiles(specUrl);
  const relative = `exercises/${files.name}/README.md`;
  let headings: string[] | undefined;
  return {
    path: relative,
    see(section: string): string {
      headings ??= readFileSync(files.lesson, 'utf8')
        .split('\n')
        .filter((line) => /^#{1,6}\s/.test(line))
        .map((line) => line.replace(/^#+\s+/, '').trim());
      if (!headings.some((heading) => heading.startsWith(section))) {
        throw new Error(
          `the spec points to a section "${section}" that ${relative} does not have (its sections: ${headings.join(', ')})`,
        );
      }
      return `Read "${section}" in ${relative}.`;
    },
  };
}

/**
 * The hints of an exercise, from its one source: the numbered list under `## Hints` in the
 * exercise's README.md, in order (the first nudges, the last nearly gives the answer away). Each
 * hint is one string, its wrapped lines joined with single spaces and its number removed.
 * Lines that are not part of a numbered item (an introduction) are not hints.
 * @param exerciseDir the exercise's folder, e.g. `packages/tcp-udp/exercises/01-tcp-echo`.
 * @returns the hints; `[]` when the lesson has no `## Hints` section or no numbered item in it.
 * @example const [nudge] = readHints('packages/tcp-udp/exercises/01-tcp-echo');
 */
export function readHints(exerciseDir: string): string[] {
  return parseHints(readFileSync(path.join(exerciseDir, 'README.md'), 'utf8'));
}

/** {@link readHints} on a lesson's text. */
export function parseHints(markdown: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => /^## Hints\s*$/.test(line));
  if (start < 0) return [];
  const hints: string[] = [];
  let current: string[] | undefined;
  for (const line of lines.slice(start + 1)) {
    if (/^#{1,2}\s/.test(line)) break;
    const item = /^\d+\.\s+(.*)$/.exec(line);
    if (item) {
      current = [item[1] ?? ''];
      hints.push('');
    } else if (current && /^\s+\S/.test(line)) {
      current.push(line.trim());
    } else {
      current = undefined;
      continue;
    }
    hints[hints.length - 1] = current.join(' ').trim();
  }
  return hints.filter((hint) => hint.length > 0);
}
