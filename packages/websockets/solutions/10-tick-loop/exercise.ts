import {
  type Clock,
  DEFAULT_MAX_CATCH_UP_TICKS,
  DEFAULT_TICK_MS,
  type FixedStepLoopOptions,
  type Input,
  move,
  type Position,
  type Received,
} from '../../exercises/10-tick-loop/exercise.ts';
import { checkGameInput, FixedTimestep, RealtimeError } from '../../src/realtime/index.ts';

export type { Clock, FixedStepLoopOptions, Input, Position, Received };
export { DEFAULT_MAX_CATCH_UP_TICKS, DEFAULT_TICK_MS, move };

/** The library's `FixedTimestep` is the accumulator; the driver is the library's `TickLoop`'s. */
export class FixedStepLoop {
  readonly tickMs: number;
  readonly maxCatchUpTicks: number;
  readonly #steps: FixedTimestep;
  #timer: unknown;
  #clock: Clock | undefined;
  #last = 0;

  constructor(
    readonly step: (dtMs: number, tick: number) => void,
    options: FixedStepLoopOptions = {},
  ) {
    this.tickMs = options.tickMs ?? DEFAULT_TICK_MS;
    this.maxCatchUpTicks = options.maxCatchUpTicks ?? DEFAULT_MAX_CATCH_UP_TICKS;
    this.#steps = new FixedTimestep(step, {
      tickMs: this.tickMs,
      maxCatchUpTicks: this.maxCatchUpTicks,
    });
  }

  get tick(): number {
    return this.#steps.tick;
  }

  get accumulatedMs(): number {
    return this.#steps.accumulatedMs;
  }

  advance(elapsedMs: number): number {
    return this.#steps.advance(elapsedMs).ticks;
  }

  start(clock: Clock): void {
    if (this.#clock !== undefined) return;
    this.#clock = clock;
    this.#last = clock.now();
    this.#schedule(clock);
  }

  stop(): void {
    if (this.#clock !== undefined && this.#timer !== undefined)
      this.#clock.clearTimeout(this.#timer);
    this.#clock = undefined;
    this.#timer = undefined;
  }

  #schedule(clock: Clock): void {
    this.#timer = clock.setTimeout(() => {
      if (this.#clock !== clock) return;
      const now = clock.now();
      this.advance(now - this.#last);
      this.#last = now;
      if (this.#clock === clock) this.#schedule(clock);
    }, this.tickMs - this.accumulatedMs);
  }
}

/** The library's `checkGameInput` checks and clamps; the queue is the world's, for one player. */
export class PlayerInputs {
  #lastReceived = -1;
  #lastProcessed = -1;
  readonly #queue: Input[] = [];

  constructor(readonly maxPerTick = 4) {}

  get lastProcessedSeq(): number {
    return this.#lastProcessed;
  }

  receive(input: unknown): Received {
    let checked: Input;
    try {
      checked = { ...checkGameInput(input) };
    } catch (error) {
      if (error instanceof RealtimeError) return 'invalid';
      throw error;
    }
    if (checked.seq <= this.#lastReceived) return 'stale';
    this.#lastReceived = checked.seq;
    this.#queue.push(checked);
    return 'queued';
  }

  applyTick(from: Position, dtMs: number, speed: number): Position {
    let at = from;
    for (const input of this.#queue.splice(0, this.maxPerTick)) {
      at = move(at, input, dtMs, speed);
      this.#lastProcessed = input.seq;
    }
    return at;
  }
}

/** As the library's `PredictedPlayer.reconcile`. */
export function reconcile(
  authoritative: Position,
  lastProcessedSeq: number,
  pending: readonly Input[],
  dtMs: number,
  speed: number,
): { position: Position; pending: Input[] } {
  const rest = pending.filter((input) => input.seq > lastProcessedSeq);
  let position = { x: authoritative.x, y: authoritative.y };
  for (const input of rest) position = move(position, input, dtMs, speed);
  return { position, pending: rest };
}
