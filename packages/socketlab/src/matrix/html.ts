/** The matrix as one self-contained HTML page: a coloured table, its failures, a pass-rate chart. */
import type { MatrixCell, MatrixResult } from './run.ts';

const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

const SYMBOL: Record<MatrixCell['status'], string> = {
  passed: '✓',
  failed: '✗',
  error: '✗',
  timeout: '⧗',
  missing: '–',
};

/** The anchor of a cell's failure text. */
export const failureId = (cell: Pick<MatrixCell, 'subject' | 'key'>): string =>
  `f-${cell.subject}-${cell.key}`.replace(/[^\w-]/g, '_');

/** The share of student checkouts that pass each exercise, in [0, 1] (undefined without students). */
export function passRates(result: MatrixResult): Array<{ key: string; rate: number | undefined }> {
  return result.exercises.map(({ key }) => {
    const students = result.cells.filter((c) => c.kind === 'student' && c.key === key);
    return {
      key,
      rate:
        students.length === 0
          ? undefined
          : students.filter((c) => c.status === 'passed').length / students.length,
    };
  });
}

function chart(result: MatrixResult): string {
  const rates = passRates(result);
  if (rates.every((r) => r.rate === undefined))
    return '<p>No student checkouts: no pass rates to chart.</p>';
  const barHeight = 22;
  const labelWidth = 210;
  const width = 640;
  const plot = width - labelWidth - 60;
  const rows = rates
    .map((r, i) => {
      const y = i * (barHeight + 6);
      const w = Math.round((r.rate ?? 0) * plot);
      const pct = r.rate === undefined ? 'n/a' : `${Math.round(r.rate * 100)}%`;
      return `<g class="bar" data-exercise="${escapeHtml(r.key)}" data-rate="${r.rate ?? ''}">
  <text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escapeHtml(r.key)}</text>
  <rect x="${labelWidth}" y="${y}" width="${plot}" height="${barHeight}" fill="#eee"/>
  <rect x="${labelWidth}" y="${y}" width="${w}" height="${barHeight}" fill="#2e7d32"/>
  <text x="${labelWidth + plot + 8}" y="${y + 15}">${pct}</text>
</g>`;
    })
    .join('\n');
  const height = rates.length * (barHeight + 6);
  return `<svg id="pass-rates" role="img" aria-label="pass rate per exercise among student checkouts" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">\n${rows}\n</svg>`;
}

export function matrixHtml(result: MatrixResult): string {
  const head = result.exercises
    .map(
      (e) =>
        `<th scope="col" title="${escapeHtml(e.title)}">${escapeHtml(e.stage)}<br>${escapeHtml(e.id)}</th>`,
    )
    .join('');
  const rows = result.subjects
    .map((subject) => {
      const cells = result.exercises
        .map((exercise) => {
          const cell = result.cells.find(
            (c) => c.subject === subject.name && c.key === exercise.key,
          );
          if (!cell) return '<td class="cell missing" data-status="missing">–</td>';
          const total = cell.passed + cell.failed;
          const text = `${SYMBOL[cell.status]} ${cell.status === 'missing' ? 'missing' : `${cell.passed}/${total}`}`;
          const body = cell.firstFailure
            ? `<a href="#${failureId(cell)}">${escapeHtml(text)}</a>`
            : escapeHtml(text);
          return `<td class="cell ${cell.status}" data-status="${cell.status}" data-subject="${escapeHtml(cell.subject)}" data-exercise="${escapeHtml(cell.key)}" title="${escapeHtml(cell.firstFailure?.test ?? cell.status)}">${body}</td>`;
        })
        .join('');
      return `<tr data-subject="${escapeHtml(subject.name)}"><th scope="row">${escapeHtml(subject.name)} <span class="kind">${subject.kind}</span></th>${cells}</tr>`;
    })
    .join('\n');
  const failures = result.cells
    .filter((c) => c.firstFailure)
    .map((c) => {
      const f = c.firstFailure;
      if (!f) return '';
      return `<article id="${failureId(c)}" class="failure">
<h3>${escapeHtml(c.subject)} · ${escapeHtml(c.key)} <span class="${c.status}">${c.status}</span></h3>
<p><strong>${escapeHtml(f.test)}</strong></p>
<pre>${escapeHtml(f.message)}</pre>
<p>Lesson: ${escapeHtml(f.lesson)}${f.section ? `, section “${escapeHtml(f.section)}”` : ''}</p>
</article>`;
    })
    .join('\n');
  const verdict = result.verdict.ok
    ? '<p class="verdict ok">The reference solutions pass and the untouched starters fail, as they should.</p>'
    : `<div class="verdict bad"><p>The repository itself is wrong:</p><ul>${result.verdict.problems.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul></div>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>socketlab matrix</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: 0.35rem 0.6rem; text-align: center; font-size: 0.9rem; }
th[scope=row] { text-align: left; white-space: nowrap; }
.kind { color: #777; font-weight: normal; font-size: 0.75rem; }
td.passed { background: #c8e6c9; } td.failed { background: #ffcdd2; } td.error { background: #ef9a9a; }
td.timeout { background: #ffe0b2; } td.missing { background: #eeeeee; color: #777; }
td a { color: inherit; }
.verdict.ok { color: #2e7d32; } .verdict.bad { color: #b71c1c; }
pre { background: #f6f6f6; padding: 0.6rem; overflow-x: auto; white-space: pre-wrap; }
.failure h3 .failed, .failure h3 .error { color: #b71c1c; } .failure h3 .timeout { color: #e65100; }
</style>
</head>
<body>
<h1>socketlab matrix</h1>
<p>Generated ${escapeHtml(result.generatedAt)} · ${result.subjects.length} rows × ${result.exercises.length} exercises. Each cell: tests passed / tests run; a red cell links to its first failure.</p>
${verdict}
<table id="matrix">
<thead><tr><th scope="col">who</th>${head}</tr></thead>
<tbody>
${rows}
</tbody>
</table>
<h2>Pass rate per exercise (student checkouts)</h2>
${chart(result)}
<h2>Failures</h2>
${failures || '<p>None.</p>'}
</body>
</html>
`;
}
