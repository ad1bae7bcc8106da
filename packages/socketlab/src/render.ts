/** How grades look in a terminal: one line per exercise, and the first failure in full. */
import path from 'node:path';
import { type CliIo, paint } from './command.ts';
import type { ExerciseGrade } from './grade.ts';
import { readLesson, sectionOf } from './lesson.ts';
import type { Exercise } from './repo.ts';

/** `✓ basics/01-first-socket  10 of 10 tests pass`. */
export function gradeLine(io: Pick<CliIo, 'color'>, grade: ExerciseGrade): string {
  const total = grade.passed + grade.failed;
  switch (grade.status) {
    case 'passed':
      return `${paint(io, 'green', '✓')} ${grade.key}  ${total} of ${total} tests pass`;
    case 'failed':
      return `${paint(io, 'red', '✗')} ${grade.key}  ${grade.failed} of ${total} tests fail`;
    case 'error':
      return `${paint(io, 'red', '✗')} ${grade.key}  the spec could not run`;
    case 'timeout':
      return `${paint(io, 'red', '✗')} ${grade.key}  timed out`;
    case 'missing':
      return `${paint(io, 'yellow', '?')} ${grade.key}  has no spec in this checkout`;
  }
}

/**
 * The first failure of `grade` in full: the test, its whole message (what was sent, expected
 * and received), and the lesson section it points to, quoted.
 */
export function failureBlock(
  io: Pick<CliIo, 'color'>,
  grade: ExerciseGrade,
  exercise: Exercise,
  root: string,
): string[] {
  const failure = grade.firstFailure;
  if (!failure) return [];
  const lessonFile = path.join(exercise.stage.dir, failure.lesson);
  const lessonPath = path.relative(root, lessonFile);
  const lines = [
    '',
    paint(io, 'bold', `First failure — ${failure.test}:`),
    ...failure.message.split('\n').map((line) => `  ${line}`),
    '',
  ];
  if (failure.section) {
    lines.push(paint(io, 'cyan', `Read "${failure.section}" in ${lessonPath}:`));
    const section = sectionOf(readLesson(lessonFile), failure.section);
    lines.push(...section.map((line) => paint(io, 'dim', `  │ ${line}`)));
  } else {
    lines.push(paint(io, 'cyan', `Read the lesson: ${lessonPath}`));
  }
  return lines;
}
