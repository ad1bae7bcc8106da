import { lessonOf, loadExercise, ManualClock } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';

// This spec grades a fixed-timestep loop and input reconciliation in process, with testkit's
// ManualClock (time moves only when the spec says): FixedStepLoop.advance() on elapsed times,
// FixedStepLoop.start() driven by the clock, PlayerInputs on good, stale and hostile inputs,
// reconcile() on a correction, and last all three together: a server and a client, each on its
// own loop, joined by a link that delays every message, must end at the same position.
type Exercise = typeof import('./exercise.ts');
type Input = import('./exercise.ts').Input;
type Position = import('./exercise.ts').Position;
const lesson = lessonOf(import.meta.url);
const load = (): Promise<Exercise> => loadExercise<Exercise>(import.meta.url);

/** A loop that records each step as `tick:dtMs`. */
async function recordingLoop(options?: { tickMs?: number; maxCatchUpTicks?: number }) {
  const { FixedStepLoop } = await load();
  const steps: string[] = [];
  const loop = new FixedStepLoop((dt, tick) => steps.push(`${tick}:${dt}`), options);
  return { loop, steps };
}

describe('FixedStepLoop.advance()', () => {
  it('runs one step per whole tick owed and carries the rest over', async () => {
    const { loop, steps } = await recordingLoop({ tickMs: 50 });
    const calls: string[] = [];
    for (const [elapsed, ran, carried] of [
      [120, 2, 20],
      [30, 1, 0],
      [49, 0, 49],
      [1, 1, 0],
    ] as const) {
      const got = loop.advance(elapsed);
      calls.push(`advance(${elapsed}) → ${got}, accumulatedMs ${loop.accumulatedMs}`);
      expect(
        [got, loop.accumulatedMs],
        `tickMs 50:\n  ${calls.join('\n  ')}\nexpected advance(${elapsed}) → ${ran}, accumulatedMs ${carried}: add the elapsed time to the accumulator, run a tick while a whole one is owed, keep the remainder. ${lesson.see('The accumulator')}`,
      ).toEqual([ran, carried]);
    }
    expect(steps, `each step gets (tickMs, tick number). ${lesson.see('The accumulator')}`).toEqual(
      ['0:50', '1:50', '2:50', '3:50'],
    );
    expect(loop.tick).toBe(4);
  });

  it('runs at most maxCatchUpTicks per call and drops the rest of the debt', async () => {
    const { loop, steps } = await recordingLoop({ tickMs: 10, maxCatchUpTicks: 3 });
    const got = loop.advance(1_005);
    expect(
      [got, steps.length, loop.accumulatedMs],
      `tickMs 10, maxCatchUpTicks 3: advance(1005) returned ${got} after ${steps.length} steps, accumulatedMs ${loop.accumulatedMs}; expected 3 ticks and 5 ms kept (the other 970 ms dropped, or the next call would owe them again). ${lesson.see('The spiral of death')}`,
    ).toEqual([3, 3, 5]);
    expect(loop.advance(5), `then advance(5) owes exactly one tick`).toBe(1);
  });

  it('adds nothing for a negative, NaN or infinite elapsed time', async () => {
    const { loop, steps } = await recordingLoop({ tickMs: 10 });
    for (const bad of [-50, Number.NaN, Number.POSITIVE_INFINITY]) {
      const got = loop.advance(bad);
      expect(
        [got, loop.accumulatedMs],
        `advance(${bad}) → ${got}, accumulatedMs ${loop.accumulatedMs}: a clock that goes backwards (or garbage) must not run ticks or poison the accumulator. ${lesson.see('The accumulator')}`,
      ).toEqual([0, 0]);
    }
    expect(steps).toEqual([]);
  });
});

describe('FixedStepLoop.start() with a clock', () => {
  it('ticks once per tickMs of clock time, and stop() ends it', async () => {
    const { loop, steps } = await recordingLoop({ tickMs: 50 });
    const clock = new ManualClock();
    loop.start(clock);
    clock.advance(49);
    expect(steps, `after 49 ms of a 50 ms tick, no step yet. ${lesson.see('The driver')}`).toEqual(
      [],
    );
    clock.advance(1);
    expect(steps, `after 50 ms, one step. ${lesson.see('The driver')}`).toEqual(['0:50']);
    clock.advance(500);
    expect(steps.length, `after 550 ms, 11 steps. ${lesson.see('The driver')}`).toBe(11);
    loop.stop();
    clock.advance(500);
    expect(steps.length, `no step after stop(). ${lesson.see('The driver')}`).toBe(11);
    expect(clock.pending, `stop() clears the pending wake. ${lesson.see('The driver')}`).toBe(0);
  });

  it('measures time, not wakes: a wake that comes late runs the ticks owed, capped', async () => {
    const { loop, steps } = await recordingLoop({ tickMs: 10, maxCatchUpTicks: 4 });
    const clock = new ManualClock();
    loop.start(clock);
    // The event loop stalls: the clock reads 1 s later when the first wake finally runs.
    const started = clock.now();
    Object.assign(clock, { now: () => started + 1_000 });
    clock.advance(10);
    expect(
      steps.length,
      `the wake found 1000 ms passed: it must run maxCatchUpTicks (4) ticks, not 1 (count wakes) nor 100 (no cap). ${lesson.see('The driver')}`,
    ).toBe(4);
    loop.stop();
  });
});

describe('PlayerInputs', () => {
  it('applies each input once, in order, and says the last seq applied', async () => {
    const { PlayerInputs, move } = await load();
    const inputs = new PlayerInputs(4);
    expect(
      inputs.lastProcessedSeq,
      `-1 before any input. ${lesson.see('Inputs by sequence number')}`,
    ).toBe(-1);
    const sent: Input[] = [
      { seq: 0, dx: 1, dy: 0 },
      { seq: 1, dx: 0, dy: 1 },
    ];
    const outcomes = sent.map((i) => inputs.receive(i));
    expect(outcomes).toEqual(['queued', 'queued']);
    const at = inputs.applyTick({ x: 0, y: 0 }, 50, 200);
    const want = move(move({ x: 0, y: 0 }, sent[0] as Input, 50, 200), sent[1] as Input, 50, 200);
    expect(
      at,
      `two queued inputs, one tick: both applied with move(). ${lesson.see('Inputs by sequence number')}`,
    ).toEqual(want);
    expect(inputs.lastProcessedSeq).toBe(1);
    expect(inputs.applyTick(at, 50, 200), 'nothing queued: the position stays').toEqual(at);
  });

  it('drops duplicates and late inputs as stale', async () => {
    const { PlayerInputs } = await load();
    const inputs = new PlayerInputs();
    const got = [5, 5, 3, 6].map((seq) => inputs.receive({ seq, dx: 1, dy: 0 }));
    expect(
      got,
      `seqs 5, 5, 3, 6 → ${got.join(', ')}: a seq not greater than every seq received is stale. ${lesson.see('Inputs by sequence number')}`,
    ).toEqual(['queued', 'stale', 'stale', 'queued']);
    expect(inputs.applyTick({ x: 0, y: 0 }, 50, 200)).toEqual({ x: 20, y: 0 });
    expect(inputs.lastProcessedSeq).toBe(6);
  });

  it('refuses hostile inputs without throwing, and clamps huge axes', async () => {
    const { PlayerInputs } = await load();
    const inputs = new PlayerInputs();
    const hostile: unknown[] = [
      null,
      'input',
      [0, 1, 0],
      { seq: 0, dx: Number.NaN, dy: 0 },
      { seq: 0, dx: 0, dy: Number.POSITIVE_INFINITY },
      { seq: 0, dx: '1', dy: 0 },
      { seq: 1.5, dx: 0, dy: 0 },
      { seq: -1, dx: 0, dy: 0 },
      { seq: 0, dx: 1 },
    ];
    for (const input of hostile) {
      let got: unknown;
      try {
        got = inputs.receive(input);
      } catch (error) {
        got = `a throw: ${String(error)}`;
      }
      expect(
        got,
        `receive(${JSON.stringify(input) ?? String(input)}): hostile input is 'invalid', never a crash. ${lesson.see('Inputs by sequence number')}`,
      ).toBe('invalid');
    }
    expect(inputs.receive({ seq: 0, dx: 1e300, dy: -1e300 })).toBe('queued');
    expect(
      inputs.applyTick({ x: 100, y: 100 }, 50, 200),
      `dx 1e300, dy -1e300 are clamped to 1 and -1. ${lesson.see('Inputs by sequence number')}`,
    ).toEqual({ x: 110, y: 90 });
  });

  it('applies at most maxPerTick inputs a tick; the rest wait', async () => {
    const { PlayerInputs } = await load();
    const inputs = new PlayerInputs(2);
    for (let seq = 0; seq < 5; seq++) inputs.receive({ seq, dx: 1, dy: 0 });
    const xs: number[] = [];
    let at: Position = { x: 0, y: 0 };
    for (let t = 0; t < 3; t++) {
      at = inputs.applyTick(at, 50, 200);
      xs.push(at.x);
    }
    expect(
      xs,
      `5 inputs, maxPerTick 2: 2, 2, then 1. ${lesson.see('Inputs by sequence number')}`,
    ).toEqual([20, 40, 50]);
  });
});

describe('reconcile()', () => {
  it('drops the inputs the server applied and replays the rest on its position', async () => {
    const { reconcile } = await load();
    const pending: Input[] = [
      { seq: 0, dx: 1, dy: 0 },
      { seq: 1, dx: 1, dy: 0 },
      { seq: 2, dx: 0, dy: 1 },
    ];
    const got = reconcile({ x: 100, y: 0 }, 0, pending, 50, 200);
    expect(
      got,
      `server at (100, 0) having applied seq 0; seqs 1 and 2 pending: replayed → (110, 10). ${lesson.see('Prediction and reconciliation')}`,
    ).toEqual({ position: { x: 110, y: 10 }, pending: pending.slice(1) });
    expect(reconcile({ x: 5, y: 5 }, 2, pending, 50, 200)).toEqual({
      position: { x: 5, y: 5 },
      pending: [],
    });
  });
});

describe('all together over a lagging link', () => {
  it('a predicting client ends exactly where the server says', async () => {
    const { FixedStepLoop, PlayerInputs, move, reconcile } = await load();
    const clock = new ManualClock();
    const LATENCY = 130;
    const TICK = 50;
    const SPEED = 200;
    const later = (fn: () => void): void => {
      clock.setTimeout(fn, LATENCY);
    };
    // The server: one player, its inputs, a snapshot of its position and last seq each tick.
    let server: Position = { x: 0, y: 0 };
    const inputs = new PlayerInputs(4);
    const serverLoop = new FixedStepLoop(
      () => {
        server = inputs.applyTick(server, TICK, SPEED);
        const snapshot = { position: server, ack: inputs.lastProcessedSeq };
        later(() => {
          const r = reconcile(snapshot.position, snapshot.ack, pending, TICK, SPEED);
          predicted = r.position;
          pending = r.pending;
        });
      },
      { tickMs: TICK },
    );
    // The client: one input per tick, applied at once (prediction), sent over the link.
    let predicted: Position = { x: 0, y: 0 };
    let pending: Input[] = [];
    let seq = 0;
    const clientLoop = new FixedStepLoop(
      () => {
        if (seq >= 30) return;
        const input = { seq: seq++, dx: seq < 15 ? 1 : -0.5, dy: seq % 2 };
        pending.push(input);
        predicted = move(predicted, input, TICK, SPEED);
        later(() => inputs.receive(input));
      },
      { tickMs: TICK },
    );
    serverLoop.start(clock);
    clientLoop.start(clock);
    clock.advance(TICK);
    expect(
      predicted.x,
      `the client moves at once, before the server hears of it. ${lesson.see('Prediction and reconciliation')}`,
    ).toBeGreaterThan(0);
    clock.advance(30 * TICK + 10 * LATENCY);
    serverLoop.stop();
    clientLoop.stop();
    expect(inputs.lastProcessedSeq, 'every input reached the server and was applied').toBe(29);
    expect(
      predicted,
      `after the inputs settle the predicted position must equal the server's ${JSON.stringify(server)}. ${lesson.see('Prediction and reconciliation')}`,
    ).toEqual(server);
    expect(pending).toEqual([]);
  });
});
