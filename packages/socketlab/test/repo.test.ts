import { describe, expect, it } from 'vitest';
import { CliUsageError } from '../src/command.ts';
import { allExercises, discoverStages, findExercise } from '../src/repo.ts';
import { REPO } from './helpers/temp-repo.ts';

const stages = discoverStages(REPO);

describe('discoverStages', () => {
  it('finds every packages/*/stage.json, in stage order, with its exercises in manifest order', () => {
    expect(stages.map((s) => s.manifest.stage)).toEqual(
      [...stages.map((s) => s.manifest.stage)].sort((a, b) => a - b),
    );
    expect(stages.map((s) => s.manifest.name)).toContain('basics');
    const basics = allExercises(stages).filter((e) => e.stage.manifest.name === 'basics');
    expect(basics.map((e) => e.id)).toEqual(stages[0]?.manifest.exercises.map((e) => e.id));
    expect(basics[0]?.spec).toBe(`exercises/${basics[0]?.id}/exercise.test.ts`);
  });
});

describe('findExercise', () => {
  it.each([
    ['basics/01-first-socket', 'basics/01-first-socket'],
    ['basics/01', 'basics/01-first-socket'],
    ['basics/1', 'basics/01-first-socket'],
    ['1/03', 'basics/03-ports'],
    ['basics/03-ports', 'basics/03-ports'],
    ['06-concurrent-echo', 'basics/06-concurrent-echo'],
  ])('finds %s', (query, key) => {
    expect(findExercise(stages, query).key).toBe(key);
  });

  it('refuses an id two stages share, naming both', () => {
    // basics and tcp-udp both start with an 01.
    expect(() => findExercise(stages, '01')).toThrow(CliUsageError);
    expect(() => findExercise(stages, '01')).toThrow(/could be .* or /);
  });

  it('refuses an unknown stage or exercise with a usage error', () => {
    expect(() => findExercise(stages, 'nope/01')).toThrow(/no stage named "nope"/);
    expect(() => findExercise(stages, 'basics/99')).toThrow(/no exercise "basics\/99"/);
  });
});
