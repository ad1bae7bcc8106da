/** The matrix as JUnit XML for CI systems: one testsuite per subject and stage. */
import type { MatrixCell, MatrixResult } from './run.ts';

const xml = (text: string): string =>
  text
    // Characters XML 1.0 cannot carry at all (control characters from a failing program's output).
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '�')
    .replace(
      /[&<>"']/g,
      (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c,
    );

/**
 * A starter is expected to fail: in its suite a test case passes when the starter fails, so a
 * healthy repository is all green in CI. Every other subject's case passes when the exercise does.
 */
function testcase(cell: MatrixCell): {
  xml: string;
  failed: boolean;
  errored: boolean;
  skipped: boolean;
} {
  const time = (cell.durationMs / 1000).toFixed(3);
  const classname = xml(`${cell.subject}.${cell.stage}`);
  if (cell.kind === 'starters') {
    const name = xml(`${cell.exercise} fails against its untouched starter`);
    if (cell.status === 'passed') {
      return {
        xml: `    <testcase classname="${classname}" name="${name}" time="${time}"><failure message="the untouched starter passes">its spec tests nothing a stub cannot do</failure></testcase>`,
        failed: true,
        errored: false,
        skipped: false,
      };
    }
    return {
      xml: `    <testcase classname="${classname}" name="${name}" time="${time}"/>`,
      failed: false,
      errored: false,
      skipped: false,
    };
  }
  const name = xml(cell.exercise);
  if (cell.status === 'passed') {
    return {
      xml: `    <testcase classname="${classname}" name="${name}" time="${time}"/>`,
      failed: false,
      errored: false,
      skipped: false,
    };
  }
  if (cell.status === 'missing') {
    return {
      xml: `    <testcase classname="${classname}" name="${name}" time="0"><skipped message="no such exercise in this checkout"/></testcase>`,
      failed: false,
      errored: false,
      skipped: true,
    };
  }
  const f = cell.firstFailure;
  const message = xml(`${f?.test ?? cell.status}: ${f?.message.split('\n')[0] ?? ''}`);
  const body = xml(
    `${f?.message ?? ''}\n\nLesson: ${f?.lesson ?? ''}${f?.section ? `, "${f.section}"` : ''}`,
  );
  const tag = cell.status === 'failed' ? 'failure' : 'error';
  return {
    xml: `    <testcase classname="${classname}" name="${name}" time="${time}"><${tag} message="${message}" type="${cell.status}">${body}</${tag}></testcase>`,
    failed: tag === 'failure',
    errored: tag === 'error',
    skipped: false,
  };
}

export function matrixJUnit(result: MatrixResult): string {
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let errors = 0;
  for (const subject of result.subjects) {
    const stages = [...new Set(result.exercises.map((e) => e.stage))];
    for (const stage of stages) {
      const cells = result.cells.filter((c) => c.subject === subject.name && c.stage === stage);
      if (cells.length === 0) continue;
      const cases = cells.map(testcase);
      const f = cases.filter((c) => c.failed).length;
      const e = cases.filter((c) => c.errored).length;
      const s = cases.filter((c) => c.skipped).length;
      const time = (cells.reduce((sum, c) => sum + c.durationMs, 0) / 1000).toFixed(3);
      tests += cases.length;
      failures += f;
      errors += e;
      suites.push(
        `  <testsuite name="${xml(`${subject.name}/${stage}`)}" tests="${cases.length}" failures="${f}" errors="${e}" skipped="${s}" time="${time}" timestamp="${xml(result.generatedAt)}">\n${cases.map((c) => c.xml).join('\n')}\n  </testsuite>`,
      );
    }
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="socketlab matrix" tests="${tests}" failures="${failures}" errors="${errors}">\n${suites.join('\n')}\n</testsuites>\n`;
}
