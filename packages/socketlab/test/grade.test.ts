import { describe, expect, it } from 'vitest';
import {
  cleanFailureMessage,
  gradeExercises,
  gradeFromRun,
  lessonPointer,
  type SpecRun,
} from '../src/grade.ts';
import { discoverStages, findExercise } from '../src/repo.ts';
import { REPO } from './helpers/temp-repo.ts';

const stages = discoverStages(REPO);
const ports = findExercise(stages, 'basics/03-ports');

function run(report: SpecRun['report'], extra: Partial<SpecRun> = {}): SpecRun {
  return {
    ...(report ? { report } : {}),
    output: '',
    timedOut: false,
    aborted: false,
    durationMs: 5,
    ...extra,
  };
}

const specPath = `${ports.stage.dir}/${ports.spec}`;

describe('gradeFromRun', () => {
  it('reports counts and the first failure with the lesson section its message names', () => {
    const grade = gradeFromRun(
      ports,
      run({
        numPassedTests: 1,
        numFailedTests: 2,
        numTotalTests: 3,
        testResults: [
          {
            name: specPath,
            status: 'failed',
            assertionResults: [
              { fullName: 'a passes', status: 'passed' },
              {
                fullName: 'b binds',
                status: 'failed',
                failureMessages: [
                  'AssertionError: expected port 0 to be replaced. Read "Port 0 and the ephemeral range" in exercises/03-ports/README.md.\n    at x (file.ts:1:1)\n    at y (file.ts:2:2)',
                ],
              },
              { fullName: 'c later', status: 'failed', failureMessages: ['second'] },
            ],
          },
        ],
      }),
      'exercises',
      ports.stage.dir,
    );
    expect(grade).toMatchObject({ key: 'basics/03-ports', status: 'failed', passed: 1, failed: 2 });
    expect(grade.firstFailure).toEqual({
      test: 'b binds',
      message:
        'AssertionError: expected port 0 to be replaced. Read "Port 0 and the ephemeral range" in exercises/03-ports/README.md.',
      section: 'Port 0 and the ephemeral range',
      lesson: 'exercises/03-ports/README.md',
    });
  });

  it('calls a spec that failed to load an error, with its message and the lesson', () => {
    const grade = gradeFromRun(
      ports,
      run({
        numPassedTests: 0,
        numFailedTests: 0,
        numTotalTests: 0,
        testResults: [
          {
            name: specPath,
            status: 'failed',
            message: 'SyntaxError: Unexpected token',
            assertionResults: [],
          },
        ],
      }),
      'exercises',
      ports.stage.dir,
    );
    expect(grade.status).toBe('error');
    expect(grade.firstFailure).toMatchObject({
      test: 'the spec',
      message: 'SyntaxError: Unexpected token',
    });
    expect(grade.firstFailure?.lesson).toBe('exercises/03-ports/README.md');
  });

  it('calls a killed run a timeout, and a run without a report an error quoting vitest', () => {
    expect(
      gradeFromRun(ports, run(undefined, { timedOut: true }), 'exercises', ports.stage.dir).status,
    ).toBe('timeout');
    const broken = gradeFromRun(
      ports,
      run(undefined, { output: 'Error: config exploded' }),
      'exercises',
      ports.stage.dir,
    );
    expect(broken.status).toBe('error');
    expect(broken.firstFailure?.message).toContain('config exploded');
  });
});

describe('failure text', () => {
  it('drops stack frames and keeps the diff', () => {
    expect(
      cleanFailureMessage('Error: x\n\n- Expected\n+ Received\n    at a (b:1:1)\n ❯ c.ts:3:4'),
    ).toBe('Error: x\n\n- Expected\n+ Received');
  });
  it('finds the last lesson pointer', () => {
    expect(lessonPointer('Read "A" in x/README.md. then Read "B b" in y/README.md.')).toEqual({
      section: 'B b',
      lesson: 'y/README.md',
    });
    expect(lessonPointer('nothing here')).toBeUndefined();
  });
});

describe('gradeExercises (real specs, real vitest)', () => {
  it('fails basics/03 against the untouched starter and passes it against the solution', async () => {
    const [starter] = await gradeExercises([ports], 'exercises');
    expect(starter?.status).toBe('failed');
    expect(starter?.passed).toBe(0);
    expect(starter?.firstFailure?.message).toMatch(/not implemented yet/);
    const [solution] = await gradeExercises([ports], 'solutions');
    expect(solution?.status, solution?.firstFailure?.message).toBe('passed');
    expect(solution?.failed).toBe(0);
    expect(solution?.tests.length).toBe(starter?.tests.length);
  }, 180_000);

  it('kills a run that outlives its time limit and calls it a timeout', async () => {
    const [grade] = await gradeExercises([ports], 'solutions', { timeoutMs: 50 });
    expect(grade?.status).toBe('timeout');
  });
});
