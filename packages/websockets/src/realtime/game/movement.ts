/**
 * The game's rules, shared by the server and a predicting client so both compute the same
 * positions: one input moves an entity for one tick. Positions are kept as float32 values
 * (`Math.fround`) because snapshots carry them as f32: what a client decodes is exactly the
 * server's state, and prediction can compare for equality.
 */
import { RealtimeError } from '../errors.ts';

/** A player's intent for one tick: a direction, each axis from -1 to 1, and its sequence number. */
export interface GameInput {
  /** Increases by one per input the client sends (0 to 2^32 - 1). */
  readonly seq: number;
  readonly dx: number;
  readonly dy: number;
}

/** A position in world units. */
export interface Position {
  readonly x: number;
  readonly y: number;
}

/** The world's size and the players' speed. */
export interface GameRules {
  /** World width and height, in units; positions stay within 0…size. @default 1000 */
  readonly worldSize: number;
  /** Units per second at full input. @default 200 */
  readonly speed: number;
}

/** The defaults of {@link GameRules}. */
export const DEFAULT_GAME_RULES: GameRules = Object.freeze({ worldSize: 1000, speed: 200 });

const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);

/**
 * Where `input` takes `from` in one tick of `dtMs`: the direction clamped to a length of at
 * most 1 (no faster diagonals), the result kept inside the world and rounded to float32.
 * @example applyMove({ x: 0, y: 0 }, { seq: 0, dx: 1, dy: 0 }, 50, DEFAULT_GAME_RULES); // { x: 10, y: 0 }
 */
export function applyMove(
  from: Position,
  input: GameInput,
  dtMs: number,
  rules: GameRules,
): Position {
  let { dx, dy } = input;
  const length = Math.hypot(dx, dy);
  if (length > 1) {
    dx /= length;
    dy /= length;
  }
  const distance = (rules.speed * dtMs) / 1000;
  return {
    x: Math.fround(clamp(from.x + dx * distance, 0, rules.worldSize)),
    y: Math.fround(clamp(from.y + dy * distance, 0, rules.worldSize)),
  };
}

/** The largest sequence number: inputs carry it as a u32. */
export const MAX_INPUT_SEQ = 0xffff_ffff;

/**
 * Checks an input that came from the network: an object with an integer `seq` from 0 to
 * 2^32 - 1 and finite numbers `dx`, `dy`; axes past ±1 are clamped, not refused.
 * @throws {RealtimeError} `REALTIME_ERR_PAYLOAD` naming what is wrong (NaN, a string, a
 *   missing field, a fractional or negative seq).
 * @example checkGameInput({ seq: 3, dx: 5, dy: 0 }); // { seq: 3, dx: 1, dy: 0 }
 */
export function checkGameInput(value: unknown): GameInput {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RealtimeError('REALTIME_ERR_PAYLOAD', 'an input must be an object { seq, dx, dy }');
  }
  const { seq, dx, dy } = value as Record<string, unknown>;
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 0 || seq > MAX_INPUT_SEQ) {
    throw new RealtimeError(
      'REALTIME_ERR_PAYLOAD',
      `an input's seq must be an integer from 0 to ${MAX_INPUT_SEQ}, got ${describe(seq)}`,
    );
  }
  for (const [name, axis] of [
    ['dx', dx],
    ['dy', dy],
  ] as const) {
    if (typeof axis !== 'number' || !Number.isFinite(axis)) {
      throw new RealtimeError(
        'REALTIME_ERR_PAYLOAD',
        `an input's ${name} must be a finite number from -1 to 1, got ${describe(axis)}`,
      );
    }
  }
  return { seq, dx: clamp(dx as number, -1, 1), dy: clamp(dy as number, -1, 1) };
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `a string of ${value.length}`;
  return value === null ? 'null' : typeof value;
}
