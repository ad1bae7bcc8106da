// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter
// biome-ignore-all lint/correctness/noUnusedPrivateClassMembers: starter stubs; your code will use every field

/** The tick length when none is given: 50 ms, 20 ticks a second. */
export const DEFAULT_TICK_MS = 50;
/** The most ticks one `advance` runs when no `maxCatchUpTicks` is given. */
export const DEFAULT_MAX_CATCH_UP_TICKS = 5;

/** The clock the loop reads and schedules with (the spec gives you testkit's `ManualClock`). */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** A player's intent for one tick, numbered by the client: seq 0, 1, 2, … */
export interface Input {
  seq: number;
  dx: number;
  dy: number;
}

export interface Position {
  x: number;
  y: number;
}

/**
 * Given (not a TODO): where one input takes a player in one tick of `dtMs` at `speed` units per
 * second. Server and client both call it, so they compute the same numbers (`Math.fround`: the
 * positions are float32, as a binary snapshot would carry them).
 */
export function move(from: Position, input: Input, dtMs: number, speed: number): Position {
  const distance = (speed * dtMs) / 1000;
  return {
    x: Math.fround(from.x + input.dx * distance),
    y: Math.fround(from.y + input.dy * distance),
  };
}

/** Options of {@link FixedStepLoop}. */
export interface FixedStepLoopOptions {
  /** @default DEFAULT_TICK_MS */
  tickMs?: number;
  /** @default DEFAULT_MAX_CATCH_UP_TICKS */
  maxCatchUpTicks?: number;
}

/**
 * A fixed-timestep loop (README "The accumulator", "The spiral of death", "The driver").
 * `step(tickMs, tick)` is called once per tick, tick numbers 0, 1, 2, …
 */
export class FixedStepLoop {
  readonly tickMs: number;
  readonly maxCatchUpTicks: number;

  constructor(
    readonly step: (dtMs: number, tick: number) => void,
    options: FixedStepLoopOptions = {},
  ) {
    this.tickMs = options.tickMs ?? DEFAULT_TICK_MS;
    this.maxCatchUpTicks = options.maxCatchUpTicks ?? DEFAULT_MAX_CATCH_UP_TICKS;
  }

  /** How many ticks have run (the number the next one gets). */
  get tick(): number {
    // TODO: count the ticks `advance` runs.
    throw new Error('tick: not implemented yet');
  }

  /** Time owed and not yet run, in ms: always less than `tickMs` after `advance` returns. */
  get accumulatedMs(): number {
    // TODO: the accumulator.
    throw new Error('accumulatedMs: not implemented yet');
  }

  /**
   * Adds `elapsedMs` of real time and runs every whole tick it owes, at most `maxCatchUpTicks`
   * of them; returns how many ran. Time past the cap is dropped (keep only the fraction of a
   * tick). A negative, NaN or infinite `elapsedMs` adds nothing.
   */
  advance(elapsedMs: number): number {
    // TODO: accumulate; while a whole tick is owed and the cap is not reached, run one;
    //       then drop the whole ticks still owed (keep accumulated % tickMs).
    throw new Error('advance: not implemented yet');
  }

  /**
   * Starts driving the loop with `clock`: wake (clock.setTimeout) about when the next tick is
   * owed, and on each wake `advance` by the time since the last wake (clock.now()).
   */
  start(clock: Clock): void {
    // TODO: remember clock.now(); schedule a wake; each wake advances and schedules the next.
    throw new Error('start: not implemented yet');
  }

  /** Stops: clears the pending wake; no tick runs after it returns. */
  stop(): void {
    // TODO: clear the timer.
    throw new Error('stop: not implemented yet');
  }
}

/** What {@link PlayerInputs.receive} did. */
export type Received = 'queued' | 'stale' | 'invalid';

/**
 * One player's inputs on the server (README "Inputs by sequence number"): each is applied once,
 * in seq order, at most `maxPerTick` a tick.
 */
export class PlayerInputs {
  constructor(readonly maxPerTick = 4) {}

  /** The seq of the last input applied; -1 before any. What the client reconciles against. */
  get lastProcessedSeq(): number {
    // TODO
    throw new Error('lastProcessedSeq: not implemented yet');
  }

  /**
   * Takes an input from the network: `'invalid'` unless seq is an integer ≥ 0 and dx, dy are
   * finite numbers; `'stale'` when its seq is not greater than every seq received before (a
   * duplicate or a late one); else `'queued'`. Axes are clamped to -1…1.
   */
  receive(input: unknown): Received {
    // TODO
    throw new Error('receive: not implemented yet');
  }

  /**
   * Applies the next queued inputs (at most `maxPerTick`) with {@link move}, in seq order, and
   * returns the new position.
   */
  applyTick(from: Position, dtMs: number, speed: number): Position {
    // TODO
    throw new Error('applyTick: not implemented yet');
  }
}

/**
 * Server reconciliation on the client (README "Prediction and reconciliation"): start from the
 * server's position, drop the pending inputs it has applied (seq ≤ lastProcessedSeq), and replay
 * the others with {@link move}. Returns the corrected position and the inputs still pending.
 */
export function reconcile(
  authoritative: Position,
  lastProcessedSeq: number,
  pending: readonly Input[],
  dtMs: number,
  speed: number,
): { position: Position; pending: Input[] } {
  // TODO
  throw new Error('reconcile: not implemented yet');
}
