import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import type { ExerciseGrade } from '../src/grade.ts';
import { ProgressStore, stateOf } from '../src/progress.ts';

function grade(key: string, passed: boolean): ExerciseGrade {
  const [stage = '', exercise = ''] = key.split('/');
  return {
    key,
    stage,
    exercise,
    target: 'exercises',
    status: passed ? 'passed' : 'failed',
    passed: passed ? 3 : 1,
    failed: passed ? 0 : 2,
    tests: [],
    durationMs: 1,
  };
}

async function store(): Promise<{ store: ProgressStore; file: string; warnings: string[] }> {
  const dir = await tempDir('socketlab-progress-');
  const file = path.join(dir, 'progress.json');
  const warnings: string[] = [];
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const s = new ProgressStore(
    file,
    (m) => warnings.push(m),
    () => {
      clock += 1000;
      return new Date(clock);
    },
  );
  return { store: s, file, warnings };
}

describe('ProgressStore', () => {
  it('starts empty when there is no file, and writes nothing until asked', async () => {
    const { store: s, file } = await store();
    expect(s.read()).toEqual({ version: 1, exercises: {} });
    expect(existsSync(file)).toBe(false);
  });

  it('survives a restart: a new store reads what the last one recorded', async () => {
    const { store: s, file } = await store();
    s.recordGrades([grade('basics/01-first-socket', true), grade('basics/02-addresses', false)]);
    const again = new ProgressStore(file);
    const progress = again.read();
    expect(stateOf(progress.exercises['basics/01-first-socket'])).toBe('passing');
    expect(stateOf(progress.exercises['basics/02-addresses'])).toBe('failing');
    expect(stateOf(progress.exercises['basics/03-ports'])).toBe('not-started');
  });

  it('tells "passed earlier, failing now" apart from failing, and keeps the first pass time', async () => {
    const { store: s } = await store();
    const first = s.recordGrades([grade('basics/01', true)]).exercises['basics/01']?.passedAt;
    s.recordGrades([grade('basics/01', true)]);
    const progress = s.recordGrades([grade('basics/01', false)]);
    expect(stateOf(progress.exercises['basics/01'])).toBe('regressed');
    expect(progress.exercises['basics/01']?.passedAt).toBe(first);
  });

  it('writes through a temporary file and a rename, leaving no temporary file behind', async () => {
    const { store: s, file } = await store();
    s.recordGrades([grade('basics/01', true)]);
    expect(readdirSync(path.dirname(file))).toEqual(['progress.json']);
    expect(JSON.parse(readFileSync(file, 'utf8')).version).toBe(1);
  });

  it('sets a file that is not JSON aside with a clear message and starts again', async () => {
    const { store: s, file, warnings } = await store();
    writeFileSync(file, '{"version": 1, "exercises": {"basics/01": {');
    expect(s.read()).toEqual({ version: 1, exercises: {} });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/is not valid JSON .* moved to .*corrupt-/);
    const aside = readdirSync(path.dirname(file)).find((f) => f.includes('corrupt-'));
    expect(aside && readFileSync(path.join(path.dirname(file), aside), 'utf8')).toContain(
      'basics/01',
    );
    // Rebuilt and written back: the next read is clean and silent.
    expect(s.read()).toEqual({ version: 1, exercises: {} });
    expect(warnings).toHaveLength(1);
  });

  it('keeps the readable part of a hand-edited file and names what it left out', async () => {
    const { store: s, file, warnings } = await store();
    writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        exercises: {
          'basics/01': { hintsShown: 2, passedAt: 'yesterday-ish', colour: 'blue' },
          'basics/02': 'done',
          'basics/03': {
            lastRun: {
              at: '2026-01-01T00:00:00Z',
              passed: true,
              passedTests: 4,
              failedTests: 0,
              target: 'exercises',
            },
          },
        },
      }),
    );
    const progress = s.read();
    expect(progress.exercises['basics/01']).toEqual({ hintsShown: 2 });
    expect(progress.exercises['basics/02']).toBeUndefined();
    expect(stateOf(progress.exercises['basics/03'])).toBe('passing');
    expect(warnings[0]).toMatch(
      /basics\/01\.passedAt, basics\/01\.colour \(unknown\), basics\/02 \(not an object\)/,
    );
  });

  it('rebuilds a file of the wrong shape (an array) without throwing', async () => {
    const { store: s, file, warnings } = await store();
    writeFileSync(file, '[1, 2, 3]');
    expect(s.read()).toEqual({ version: 1, exercises: {} });
    expect(warnings[0]).toMatch(/the whole file/);
  });
});
