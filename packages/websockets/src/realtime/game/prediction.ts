/**
 * Client-side prediction and server reconciliation: the client applies its own inputs at once
 * (no waiting a round trip to see itself move), keeps those the server has not acknowledged,
 * and when an authoritative position arrives, starts from it and replays them.
 * @see Gabriel Gambetta, "Client-Side Prediction and Server Reconciliation"
 *   (https://www.gabrielgambetta.com/client-side-prediction-server-reconciliation.html)
 */
import {
  applyMove,
  DEFAULT_GAME_RULES,
  type GameInput,
  type GameRules,
  MAX_INPUT_SEQ,
  type Position,
} from './movement.ts';

/** Options of {@link PredictedPlayer}. */
export interface PredictedPlayerOptions extends Partial<GameRules> {
  /** The server's tick length: one input moves the player for one tick. @default 50 */
  readonly tickMs?: number;
  /** Unacknowledged inputs kept; older ones are forgotten. @default 256 */
  readonly maxPending?: number;
}

/**
 * The local player of a client: {@link PredictedPlayer.input} predicts, {@link
 * PredictedPlayer.reconcile} corrects.
 * @example
 * ```ts
 * const me = new PredictedPlayer({ x: 500, y: 500 }, { tickMs: 50 });
 * socket.emit('input', me.input(1, 0)); // moves now, sends { seq: 0, dx: 1, dy: 0 }
 * // on each snapshot: me.reconcile(myEntity, snapshot.ackSeq)
 * ```
 */
export class PredictedPlayer {
  readonly rules: GameRules;
  readonly tickMs: number;
  readonly maxPending: number;
  #position: Position;
  #nextSeq = 0;
  readonly #pending: GameInput[] = [];

  constructor(start: Position, options: PredictedPlayerOptions = {}) {
    this.rules = {
      worldSize: options.worldSize ?? DEFAULT_GAME_RULES.worldSize,
      speed: options.speed ?? DEFAULT_GAME_RULES.speed,
    };
    this.tickMs = options.tickMs ?? 50;
    this.maxPending = options.maxPending ?? 256;
    this.#position = { x: Math.fround(start.x), y: Math.fround(start.y) };
  }

  /** Where the player is drawn: the server's last word plus every input it has not applied. */
  get position(): Position {
    return this.#position;
  }

  /** Inputs sent and not yet acknowledged, oldest first. */
  get pending(): readonly GameInput[] {
    return this.#pending;
  }

  /** Makes the next input, applies it locally at once, and returns it for sending. */
  input(dx: number, dy: number): GameInput {
    const input: GameInput = { seq: this.#nextSeq, dx, dy };
    this.#nextSeq = this.#nextSeq >= MAX_INPUT_SEQ ? 0 : this.#nextSeq + 1;
    this.#pending.push(input);
    if (this.#pending.length > this.maxPending) this.#pending.shift();
    this.#position = applyMove(this.#position, input, this.tickMs, this.rules);
    return input;
  }

  /**
   * Takes the server's position for this player and the seq of the last input it applied
   * (-1 for none): drops the inputs up to it, and replays the rest on top of that position.
   */
  reconcile(authoritative: Position, lastProcessedSeq: number): Position {
    while (this.#pending.length > 0 && (this.#pending[0] as GameInput).seq <= lastProcessedSeq) {
      this.#pending.shift();
    }
    let at: Position = { x: authoritative.x, y: authoritative.y };
    for (const input of this.#pending) at = applyMove(at, input, this.tickMs, this.rules);
    this.#position = at;
    return at;
  }
}

/**
 * Entity interpolation: where to draw another entity between its two last snapshots, `t` from
 * 0 (the older) to 1 (the newer), clamped. Other players are drawn a snapshot in the past, so
 * they move smoothly instead of jumping once per tick.
 * @see Gabriel Gambetta, "Entity Interpolation" (https://www.gabrielgambetta.com/entity-interpolation.html)
 * @example interpolatePosition({ x: 0, y: 0 }, { x: 10, y: 20 }, 0.5); // { x: 5, y: 10 }
 */
export function interpolatePosition(older: Position, newer: Position, t: number): Position {
  const k = Number.isFinite(t) ? Math.min(Math.max(t, 0), 1) : 1;
  return { x: older.x + (newer.x - older.x) * k, y: older.y + (newer.y - older.y) * k };
}
