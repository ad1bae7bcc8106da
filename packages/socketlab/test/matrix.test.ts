/// <reference lib="dom" />
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumPath, launchChromium } from '@socketlab/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matrixJUnit } from '../src/matrix/junit.ts';
import { matrixMain } from '../src/matrix/main.ts';
import { type MatrixCell, type MatrixResult, verdictOf } from '../src/matrix/run.ts';
import { recordIo } from './helpers/io.ts';
import { REPO, solve, tempRepo } from './helpers/temp-repo.ts';

const PACKAGE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const EXERCISES = ['02-addresses', '03-ports'];

/** Writes a student checkout holding just its packages/basics/exercises tree. */
function student(dir: string, name: string, solved: readonly string[]): void {
  for (const id of EXERCISES) {
    const folder = path.join(dir, name, 'packages/basics/exercises', id);
    mkdirSync(folder, { recursive: true });
    const source = solved.includes(id)
      ? path.join(REPO, 'packages/basics/solutions', id, 'exercise.ts')
      : path.join(REPO, 'packages/basics/exercises', id, 'exercise.ts');
    copyFileSync(source, path.join(folder, 'exercise.ts'));
  }
  // A student's own copy of a spec is never trusted: this one would pass anything.
  writeFileSync(
    path.join(dir, name, 'packages/basics/exercises/03-ports/exercise.test.ts'),
    "import { it } from 'vitest'; it('passes', () => {});\n",
  );
}

let work: string;
let out: string;
let code: number;
let result: MatrixResult;
let stderr: string;

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'socketlab-matrix-test-'));
  const students = path.join(work, 'students');
  student(students, 'alice', EXERCISES); // solved
  student(students, 'bob', []); // untouched
  student(students, 'carol', ['02-addresses']); // half done
  out = path.join(work, 'report');
  const io = recordIo({ SOCKETLAB_ROOT: REPO });
  code = await matrixMain(
    [
      '--students',
      students,
      '--stage',
      'basics',
      '--exercises',
      EXERCISES.join(','),
      '--jobs',
      '2',
      '--out',
      out,
    ],
    io,
  );
  stderr = io.stderr.join('\n');
  result = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

const cell = (subject: string, id: string): MatrixCell | undefined =>
  result.cells.find((c) => c.subject === subject && c.key === `basics/${id}`);

describe('pnpm matrix over three student checkouts', () => {
  it('says who solved what in the JSON report, and exits 0 when solutions pass and starters fail', () => {
    expect(code, stderr).toBe(0);
    expect(result.subjects.map((s) => s.name)).toEqual([
      'solutions',
      'starters',
      'alice',
      'bob',
      'carol',
    ]);
    const statuses = Object.fromEntries(
      result.subjects.map((s) => [s.name, EXERCISES.map((id) => cell(s.name, id)?.status)]),
    );
    expect(statuses).toEqual({
      solutions: ['passed', 'passed'],
      starters: ['failed', 'failed'],
      alice: ['passed', 'passed'],
      bob: ['failed', 'failed'],
      carol: ['passed', 'failed'],
    });
    expect(cell('carol', '03-ports')?.firstFailure?.message).toMatch(/not implemented yet/);
    expect(cell('carol', '03-ports')?.passed).toBe(0);
    expect(result.verdict).toEqual({ ok: true, problems: [] });
  });

  it('writes JUnit XML with one testsuite per student and stage', () => {
    const junit = readFileSync(path.join(out, 'junit.xml'), 'utf8');
    const suites = [
      ...junit.matchAll(/<testsuite name="([^"]+)" tests="(\d+)" failures="(\d+)"/g),
    ].map((m) => [m[1], Number(m[2]), Number(m[3])]);
    expect(suites).toEqual([
      ['solutions/basics', 2, 0],
      ['starters/basics', 2, 0],
      ['alice/basics', 2, 0],
      ['bob/basics', 2, 2],
      ['carol/basics', 2, 1],
    ]);
    expect(junit).toMatch(
      /<testcase classname="carol\.basics" name="03-ports"[^>]*><failure message="[^"]*not implemented yet/,
    );
  });
});

describe('the matrix verdict', () => {
  const base = {
    stage: 'basics',
    exercise: '01',
    key: 'basics/01',
    passed: 1,
    failed: 0,
    durationMs: 1,
  };
  it('fails when a reference solution fails or a starter passes, and JUnit shows the starter as a failure', () => {
    const cells: MatrixCell[] = [
      { ...base, subject: 'solutions', kind: 'solutions', status: 'failed' },
      { ...base, subject: 'starters', kind: 'starters', status: 'passed' },
    ];
    const verdict = verdictOf(cells);
    expect(verdict.ok).toBe(false);
    expect(verdict.problems).toHaveLength(2);
    const junit = matrixJUnit({
      generatedAt: '2026-01-01T00:00:00Z',
      subjects: [
        { name: 'solutions', kind: 'solutions' },
        { name: 'starters', kind: 'starters' },
      ],
      exercises: [{ key: 'basics/01', stage: 'basics', id: '01', title: 't' }],
      cells,
      verdict,
    });
    expect(junit).toMatch(/<testsuite name="starters\/basics" tests="1" failures="1"/);
  });

  it('exits 1 when an untouched starter passes (a checkout whose committed starter is solved)', async () => {
    const root = await tempRepo(['basics']);
    solve(root, 'basics', '03-ports');
    execFileSync(
      'git',
      [
        '-c',
        'user.name=t',
        '-c',
        'user.email=t@example.invalid',
        'commit',
        '-qam',
        'a solved starter',
      ],
      { cwd: root },
    );
    const io = recordIo({ SOCKETLAB_ROOT: root });
    const exit = await matrixMain(
      [
        '--stage',
        'basics',
        '--exercises',
        '03',
        '--target',
        'starters',
        '--out',
        path.join(root, 'report'),
      ],
      io,
    );
    expect(exit).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/the untouched starter of basics\/03-ports passes/);
  }, 180_000);
});

const chromium = chromiumPath();
if (!chromium && process.env.CI !== 'true') {
  console.log(
    "matrix.test.ts: the browser check is skipped: install Debian's chromium (apt-get install chromium)",
  );
}

describe.skipIf(!chromium && process.env.CI !== 'true')('the HTML report in Chromium', () => {
  it('renders the table with one coloured, linked cell per student and exercise, and the pass-rate chart', async () => {
    if (!chromium) throw new Error('CI=true needs a browser: apt-get install chromium');
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
      await page.goto(`file://${path.join(out, 'report.html')}`);
      const rows = await page.$$eval('#matrix tbody tr', (trs) =>
        trs.map((tr) => tr.getAttribute('data-subject')),
      );
      expect(rows).toEqual(['solutions', 'starters', 'alice', 'bob', 'carol']);
      const cells = await page.$$eval('#matrix td.cell', (tds) =>
        tds.map((td) => ({
          subject: td.getAttribute('data-subject'),
          exercise: td.getAttribute('data-exercise'),
          status: td.getAttribute('data-status'),
          colour: getComputedStyle(td).backgroundColor,
          link: td.querySelector('a')?.getAttribute('href') ?? null,
        })),
      );
      expect(cells).toHaveLength(10);
      const carol03 = cells.find((c) => c.subject === 'carol' && c.exercise === 'basics/03-ports');
      expect(carol03?.status).toBe('failed');
      expect(carol03?.colour).toBe('rgb(255, 205, 210)');
      expect(
        cells.find((c) => c.subject === 'alice' && c.exercise === 'basics/02-addresses')?.colour,
      ).toBe('rgb(200, 230, 201)');
      // Each red cell links to its failure text, which is on the page.
      const link = carol03?.link ?? '';
      expect(link).toMatch(/^#f-/);
      const failureText = await page.$eval(link, (el) => el.textContent ?? '');
      expect(failureText).toMatch(/not implemented yet/);
      const rates = await page.$$eval('#pass-rates g.bar', (bars) =>
        bars.map((b) => Number(b.getAttribute('data-rate')).toFixed(2)),
      );
      expect(rates).toEqual(['0.67', '0.33']);
      // The JUnit report parses as XML in the browser too.
      const junit = readFileSync(path.join(out, 'junit.xml'), 'utf8');
      const suites = await page.evaluate((text) => {
        const doc = new DOMParser().parseFromString(text, 'application/xml');
        return doc.querySelector('parsererror') ? -1 : doc.querySelectorAll('testsuite').length;
      }, junit);
      expect(suites).toBe(5);
      await page.screenshot({
        path: path.join(PACKAGE, '.reports/matrix-report.png'),
        fullPage: true,
      });
    } finally {
      await browser.close();
    }
  }, 60_000);
});
