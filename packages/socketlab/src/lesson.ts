/**
 * Reading a lesson for the terminal: one section of it (what a failure points to), its first
 * lines (when an exercise starts), and its hints (through testkit's `readHints`, their one reader).
 */
import { readFileSync } from 'node:fs';

const heading = /^(#{1,6})\s+(.*)$/;

/**
 * The lines of the section of `markdown` whose heading starts with `section`, heading included,
 * up to the next heading of the same or a higher level, at most `maxLines` (the rest marked `…`).
 */
export function sectionOf(markdown: string, section: string, maxLines = 12): string[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => heading.exec(line)?.[2]?.trim().startsWith(section));
  if (start < 0) return [];
  const level = heading.exec(lines[start] ?? '')?.[1]?.length ?? 1;
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    const match = heading.exec(lines[i] ?? '');
    if (match?.[1] && match[1].length <= level) {
      end = i;
      break;
    }
  }
  return clip(trimBlank(lines.slice(start, end)), maxLines);
}

/** The first lines of a lesson: its title and its opening, up to `maxLines`. */
export function introOf(markdown: string, maxLines = 8): string[] {
  const lines = trimBlank(markdown.split('\n'));
  const cut = lines.findIndex((line, i) => i > 0 && /^##\s/.test(line) && i > 3);
  const intro = cut > 0 ? lines.slice(0, cut) : lines;
  return clip(trimBlank(intro), maxLines);
}

function trimBlank(lines: string[]): string[] {
  let start = 0;
  let end = lines.length;
  while (start < end && !lines[start]?.trim()) start++;
  while (end > start && !lines[end - 1]?.trim()) end--;
  return lines.slice(start, end);
}

function clip(lines: string[], maxLines: number): string[] {
  return lines.length > maxLines ? [...lines.slice(0, maxLines), '…'] : lines;
}

/** Reads a lesson file, or `''` when it cannot be read. */
export function readLesson(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The hints of the exercise in `exerciseDir`, in tiers. Loaded on demand: testkit pulls in
 * vitest, which costs a second that only the hint commands pay.
 */
export async function hintsOf(exerciseDir: string): Promise<string[]> {
  const { readHints } = await import('@socketlab/testkit');
  return readHints(exerciseDir);
}
