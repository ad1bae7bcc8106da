import { ManualClock } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type TypingChange, TypingTracker } from '../../../src/realtime/chat/index.ts';

function tracker(expireMs = 5000, throttleMs = 1000) {
  const clock = new ManualClock();
  const changes: TypingChange[] = [];
  const typing = new TypingTracker({
    expireMs,
    throttleMs,
    clock,
    onChange: (c) => changes.push(c),
  });
  return { clock, changes, typing };
}

describe('TypingTracker', () => {
  it('reports a start and a stop', () => {
    const { changes, typing } = tracker();
    expect(typing.start('general', 'ada')).toBe('started');
    expect(typing.typing('general')).toEqual(['ada']);
    expect(typing.stop('general', 'ada')).toBe(true);
    expect(typing.typing('general')).toEqual([]);
    expect(changes).toEqual([
      { room: 'general', userId: 'ada', typing: true },
      { room: 'general', userId: 'ada', typing: false },
    ]);
  });

  it('expires by itself expireMs after the last accepted start', () => {
    const { clock, changes, typing } = tracker(5000, 1000);
    typing.start('general', 'ada');
    clock.advance(4999);
    expect(typing.typing('general')).toEqual(['ada']);
    clock.advance(1);
    expect(typing.typing('general')).toEqual([]);
    expect(changes.at(-1)).toEqual({ room: 'general', userId: 'ada', typing: false });
    expect(clock.pending).toBe(0);
    expect(typing.size).toBe(0);
  });

  it('a refresh restarts the expiry without reporting anything', () => {
    const { clock, changes, typing } = tracker(5000, 1000);
    typing.start('general', 'ada');
    clock.advance(4000);
    expect(typing.start('general', 'ada')).toBe('refreshed');
    clock.advance(4999);
    expect(typing.typing('general')).toEqual(['ada']);
    clock.advance(1);
    expect(typing.typing('general')).toEqual([]);
    expect(changes.map((c) => c.typing)).toEqual([true, false]);
  });

  it('throttles starts closer than throttleMs, typing or not', () => {
    const { clock, changes, typing } = tracker(5000, 1000);
    expect(typing.start('general', 'ada')).toBe('started');
    expect(typing.start('general', 'ada')).toBe('throttled');
    clock.advance(999);
    expect(typing.start('general', 'ada')).toBe('throttled');
    typing.stop('general', 'ada');
    expect(typing.start('general', 'ada')).toBe('throttled');
    clock.advance(1);
    expect(typing.start('general', 'ada')).toBe('started');
    expect(changes.map((c) => c.typing)).toEqual([true, false, true]);
  });

  it('forgets a stopped entry when its throttle window ends', () => {
    const { clock, typing } = tracker(5000, 1000);
    typing.start('general', 'ada');
    typing.stop('general', 'ada');
    expect(typing.size).toBe(1);
    clock.advance(1000);
    expect(typing.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('keeps rooms and users apart', () => {
    const { typing } = tracker();
    typing.start('a', 'ada');
    typing.start('b', 'ada');
    typing.start('a', 'bob');
    expect(typing.typing('a')).toEqual(['ada', 'bob']);
    expect(typing.typing('b')).toEqual(['ada']);
    typing.stop('a', 'ada');
    expect(typing.typing('b')).toEqual(['ada']);
  });

  it('does not confuse a room and user pair whose names run together', () => {
    const { typing } = tracker();
    typing.start('ab', 'c');
    expect(typing.start('a', 'bc')).toBe('started');
  });

  it('stop() of someone not typing reports nothing', () => {
    const { changes, typing } = tracker();
    expect(typing.stop('general', 'ada')).toBe(false);
    expect(changes).toEqual([]);
  });

  it('clear() cancels every timer without reporting', () => {
    const { clock, changes, typing } = tracker();
    typing.start('a', 'ada');
    typing.start('b', 'bob');
    typing.stop('b', 'bob');
    typing.clear();
    expect(clock.pending).toBe(0);
    expect(changes).toHaveLength(3);
    expect(typing.size).toBe(0);
  });

  it.each([
    [{ expireMs: 0 }],
    [{ expireMs: Number.NaN }],
    [{ throttleMs: -1 }],
    [{ throttleMs: Number.POSITIVE_INFINITY }],
  ])('refuses %j', (options) => {
    expect(() => new TypingTracker(options)).toThrow(RangeError);
  });

  it('reports at most two changes per throttle window, alternating, and ends idle (property)', () => {
    const op = fc.oneof(
      fc.constant({ kind: 'start' as const }),
      fc.constant({ kind: 'stop' as const }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 700 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 100 }), (ops) => {
        const { clock, changes, typing } = tracker(2000, 500);
        const at: number[] = [];
        for (const step of ops) {
          const before = changes.length;
          if (step.kind === 'start') typing.start('r', 'u');
          else if (step.kind === 'stop') typing.stop('r', 'u');
          else clock.advance(step.ms);
          for (let i = before; i < changes.length; i++) at.push(clock.now());
        }
        changes.forEach((change, i) => {
          expect(change.typing).toBe(i % 2 === 0);
        });
        // Starts are at least throttleMs apart.
        const starts = at.filter((_, i) => changes[i]?.typing === true);
        for (let i = 1; i < starts.length; i++) {
          expect((starts[i] as number) - (starts[i - 1] as number)).toBeGreaterThanOrEqual(500);
        }
        clock.advance(2000);
        expect(typing.typing('r')).toEqual([]);
        expect(typing.size).toBe(0);
        expect(clock.pending).toBe(0);
      }),
    );
  });
});
