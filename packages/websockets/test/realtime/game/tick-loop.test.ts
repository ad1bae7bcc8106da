import { ManualClock } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { FixedTimestep, TickLoop } from '../../../src/realtime/game/index.ts';

describe('FixedTimestep', () => {
  it('runs one step per whole tick and carries the remainder', () => {
    const ticks: number[] = [];
    const steps = new FixedTimestep((dt, tick) => ticks.push(tick * 1000 + dt), { tickMs: 50 });
    expect(steps.advance(120)).toEqual({ ticks: 2, droppedMs: 0 });
    expect(steps.accumulatedMs).toBe(20);
    expect(steps.advance(30)).toEqual({ ticks: 1, droppedMs: 0 });
    expect(steps.advance(49)).toEqual({ ticks: 0, droppedMs: 0 });
    expect(ticks).toEqual([50, 1050, 2050]);
    expect(steps.tick).toBe(3);
  });

  it('catches up at most maxCatchUpTicks and drops the rest of the debt (no spiral of death)', () => {
    let ran = 0;
    const steps = new FixedTimestep(() => ran++, { tickMs: 10, maxCatchUpTicks: 3 });
    expect(steps.advance(1_000_005)).toEqual({ ticks: 3, droppedMs: 1_000_000 - 30 });
    expect(ran).toBe(3);
    expect(steps.accumulatedMs).toBe(5);
  });

  it('ignores time that goes backwards, NaN and infinity', () => {
    let ran = 0;
    const steps = new FixedTimestep(() => ran++, { tickMs: 10 });
    for (const bad of [-50, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(steps.advance(bad).ticks).toBe(0);
    }
    expect(ran).toBe(0);
    expect(steps.accumulatedMs).toBe(0);
  });

  it.each([
    [{ tickMs: 0 }],
    [{ tickMs: Number.NaN }],
    [{ maxCatchUpTicks: 0 }],
    [{ maxCatchUpTicks: 1.5 }],
  ])('refuses bad options %j', (options) => {
    expect(() => new FixedTimestep(() => {}, options)).toThrow(RangeError);
  });
});

describe('TickLoop with a manual clock', () => {
  it('ticks once per tickMs of clock time, whatever the wakes', () => {
    const clock = new ManualClock();
    const ticks: number[] = [];
    const loop = new TickLoop((_, tick) => ticks.push(tick), { tickMs: 50, clock });
    loop.start();
    clock.advance(49);
    expect(ticks).toEqual([]);
    clock.advance(1);
    expect(ticks).toEqual([0]);
    clock.advance(500);
    expect(ticks).toHaveLength(11);
    loop.stop();
    clock.advance(500);
    expect(ticks).toHaveLength(11);
    expect(clock.pending).toBe(0);
  });

  it('runs the owed ticks on a late wake, capped, and counts what it dropped', () => {
    const clock = new ManualClock();
    let ran = 0;
    const loop = new TickLoop(() => ran++, { tickMs: 10, maxCatchUpTicks: 4, clock });
    loop.start();
    // A stalled event loop: the clock jumps past many ticks before the timer can fire.
    const now = clock.now();
    (clock as unknown as { now: () => number }).now = () => now + 1_000;
    clock.advance(10);
    expect(ran).toBe(4);
    expect(loop.droppedMs).toBe(960);
    loop.stop();
  });

  it('does nothing on a second start and stops cleanly', () => {
    const clock = new ManualClock();
    let ran = 0;
    const loop = new TickLoop(() => ran++, { tickMs: 20, clock });
    loop.start();
    loop.start();
    expect(clock.pending).toBe(1);
    clock.advance(100);
    expect(ran).toBe(5);
    loop.stop();
    expect(loop.running).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it('refuses a clock without now/setTimeout/clearTimeout', () => {
    expect(() => new TickLoop(() => {}, { clock: {} as never })).toThrow(TypeError);
  });
});
