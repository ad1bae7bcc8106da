import { afterEach, describe, expect, it, vi } from 'vitest';
import { type BenchRow, compareRounds, runBenchGroups } from '../src/bench.ts';

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

describe('compareRounds', () => {
  /** A side whose figures are `values` in turn, recording each call in `order`. */
  const side = (name: string, values: number[], order: string[]) => {
    let i = 0;
    return async () => {
      order.push(name);
      return values[i++] as number;
    };
  };

  it('alternates which side goes first and keeps the best of each', async () => {
    const order: string[] = [];
    const row = await compareRounds({
      bench: 'b',
      unit: 'ops/s',
      ours: side('ours', [3, 9, 5], order),
      baseline: 'them',
      theirs: side('them', [4, 2, 6], order),
      rounds: 3,
    });
    expect(order).toEqual(['ours', 'them', 'them', 'ours', 'ours', 'them']);
    expect(row).toEqual({
      bench: 'b',
      unit: 'ops/s',
      value: 9,
      baseline: 'them',
      baselineValue: 6,
      ratio: 1.5,
    });
  });

  it('keeps the least of each when lower is better, and states the ratio as baseline/ours', async () => {
    const order: string[] = [];
    const row = await compareRounds({
      bench: 'b',
      unit: 'bytes',
      ours: side('ours', [200, 100], order),
      baseline: 'them',
      theirs: side('them', [150, 300], order),
      rounds: 2,
      lowerIsBetter: true,
    });
    expect([row.value, row.baselineValue, row.ratio]).toEqual([100, 150, 1.5]);
  });
});
