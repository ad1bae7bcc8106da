import { afterEach, describe, expect, it, vi } from 'vitest';
import { type BenchRow, runBenchGroups } from '../src/bench.ts';

const row = (bench: string): BenchRow => ({
  bench,
  unit: 'ops/s',
  value: 2,
  baseline: 'nothing',
  baselineValue: 1,
  ratio: 2,
});

describe('runBenchGroups', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  it('runs only the groups asked for, in the order of the table, and reports their rows', async () => {
    const ran: string[] = [];
    const group = (name: string) => async () => {
      ran.push(name);
      return [row(name)];
    };
    const printed: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => printed.push(line));
    vi.spyOn(console, 'error').mockImplementation(() => {});
    await runBenchGroups({ a: group('a'), b: group('b'), c: group('c') }, ['c', 'a']);
    expect(ran).toEqual(['a', 'c']);
    expect(printed.filter((line) => line.startsWith('{')).map((l) => JSON.parse(l).bench)).toEqual([
      'a',
      'c',
    ]);
  });

  it('refuses an unknown group with the known ones and exit code 2, running nothing', async () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => errors.push(line));
    const ran = vi.fn(async () => [row('a')]);
    await runBenchGroups({ a: ran, toString: ran }, ['a', 'nope']);
    expect(ran).not.toHaveBeenCalled();
    expect(process.exitCode).toBe(2);
    expect(errors.join('\n')).toContain('unknown benchmark group(s): nope; known: a, toString');
  });
});
