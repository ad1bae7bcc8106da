import { describe, expect, it } from 'vitest';
import { describeTarget, exerciseFiles, resolveTarget, TargetError } from '../src/target.ts';

describe('resolveTarget', () => {
  it.each([
    [undefined, { kind: 'solutions' }],
    ['', { kind: 'solutions' }],
    ['solutions', { kind: 'solutions' }],
    ['exercises', { kind: 'exercises' }],
    ['cmd:python3 server.py', { kind: 'cmd', command: 'python3 server.py' }],
    ['addr:127.0.0.1:7000', { kind: 'addr', host: '127.0.0.1', port: 7000 }],
    ['addr:[::1]:7000', { kind: 'addr', host: '::1', port: 7000 }],
    ['addr:localhost:1', { kind: 'addr', host: 'localhost', port: 1 }],
  ])('reads %j', (value, expected) => {
    expect(resolveTarget(value)).toEqual(expected);
  });

  it.each([
    'cmd:',
    'addr:127.0.0.1',
    'addr:127.0.0.1:0',
    'addr:127.0.0.1:70000',
    'addr:::1:80',
    'solution',
  ])('rejects %j with a message naming the accepted forms', (value) => {
    expect(() => resolveTarget(value)).toThrow(TargetError);
  });

  it('describes each kind of target for failure messages', () => {
    expect(describeTarget({ kind: 'exercises' })).toBe('your exercise');
    expect(describeTarget({ kind: 'cmd', command: 'go run .' })).toContain('go run .');
  });
});

describe('exerciseFiles', () => {
  it('mirrors an exercise spec to its starter, solution and lesson', () => {
    const files = exerciseFiles('file:///repo/packages/basics/exercises/01-first/exercise.test.ts');
    expect(files).toEqual({
      name: '01-first',
      exercise: '/repo/packages/basics/exercises/01-first/exercise.ts',
      solution: '/repo/packages/basics/solutions/01-first/exercise.ts',
      lesson: '/repo/packages/basics/exercises/01-first/README.md',
    });
  });

  it('refuses a spec outside exercises/', () => {
    expect(() => exerciseFiles('file:///repo/packages/basics/test/x.test.ts')).toThrow(TargetError);
  });
});
