/**
 * The authoritative world: players, their queued inputs and their positions. Pure: no sockets,
 * no clock; {@link GameWorld.step} advances it by one tick and the transport calls it from a
 * tick loop.
 */
import { RealtimeError } from '../errors.ts';
import {
  applyMove,
  checkGameInput,
  DEFAULT_GAME_RULES,
  type GameInput,
  type GameRules,
  type Position,
} from './movement.ts';

/** Options of {@link GameWorld}. */
export interface GameWorldOptions extends Partial<GameRules> {
  /** Inputs applied per player per tick; the rest wait for the next tick. @default 4 */
  readonly maxInputsPerTick?: number;
  /** Inputs a player may have waiting; one more is refused (`REALTIME_ERR_LIMIT`). @default 32 */
  readonly maxQueuedInputs?: number;
  /** How far an input's seq may jump past the last one received. @default 1024 */
  readonly maxSeqGap?: number;
  /** The most players. @default 10000 */
  readonly maxPlayers?: number;
}

/** One player as the world holds it. */
export interface PlayerState extends Position {
  readonly id: number;
  /** The seq of the last input applied, -1 before any: what the client reconciles against. */
  readonly lastProcessedSeq: number;
}

interface Player {
  id: number;
  x: number;
  y: number;
  lastProcessedSeq: number;
  lastReceivedSeq: number;
  queue: GameInput[];
}

/** What {@link GameWorld.receiveInput} did with an input. */
export type InputOutcome = 'queued' | 'stale';

/**
 * The server's world. Inputs are applied once each, in seq order, at most `maxInputsPerTick`
 * per player per tick; a seq already received is stale (a duplicate or a late one) and dropped.
 * @example
 * ```ts
 * const world = new GameWorld({ speed: 200 });
 * const id = world.addPlayer({ x: 10, y: 10 });
 * world.receiveInput(id, { seq: 0, dx: 1, dy: 0 });
 * world.step(50); // the player is at x = 20
 * ```
 */
export class GameWorld {
  readonly rules: GameRules;
  readonly maxInputsPerTick: number;
  readonly maxQueuedInputs: number;
  readonly maxSeqGap: number;
  readonly maxPlayers: number;
  readonly #players = new Map<number, Player>();
  #nextId = 1;

  constructor(options: GameWorldOptions = {}) {
    this.rules = {
      worldSize: positive('worldSize', options.worldSize ?? DEFAULT_GAME_RULES.worldSize),
      speed: positive('speed', options.speed ?? DEFAULT_GAME_RULES.speed),
    };
    this.maxInputsPerTick = count('maxInputsPerTick', options.maxInputsPerTick ?? 4);
    this.maxQueuedInputs = count('maxQueuedInputs', options.maxQueuedInputs ?? 32);
    this.maxSeqGap = count('maxSeqGap', options.maxSeqGap ?? 1024);
    this.maxPlayers = count('maxPlayers', options.maxPlayers ?? 10_000);
  }

  /** Players in the world. */
  get size(): number {
    return this.#players.size;
  }

  /**
   * Adds a player at `at` (or where `at(id)` says; the world's centre by default), kept inside
   * the world, and returns its id.
   * @throws {RealtimeError} `REALTIME_ERR_LIMIT` when the world holds `maxPlayers`.
   */
  addPlayer(at?: Position | ((id: number) => Position)): number {
    if (this.#players.size >= this.maxPlayers) {
      throw new RealtimeError(
        'REALTIME_ERR_LIMIT',
        `the world is full (${this.maxPlayers} players)`,
      );
    }
    const id = this.#nextId++;
    const half = this.rules.worldSize / 2;
    const spot = typeof at === 'function' ? at(id) : at;
    const x = Math.fround(Math.min(Math.max(spot?.x ?? half, 0), this.rules.worldSize) || 0);
    const y = Math.fround(Math.min(Math.max(spot?.y ?? half, 0), this.rules.worldSize) || 0);
    this.#players.set(id, { id, x, y, lastProcessedSeq: -1, lastReceivedSeq: -1, queue: [] });
    return id;
  }

  /** Removes a player; an unknown id is ignored. */
  removePlayer(id: number): void {
    this.#players.delete(id);
  }

  /** A player's state, or undefined. */
  player(id: number): PlayerState | undefined {
    const p = this.#players.get(id);
    return p && { id: p.id, x: p.x, y: p.y, lastProcessedSeq: p.lastProcessedSeq };
  }

  /** Every player, in the order they joined (live objects: read, never write). */
  players(): IterableIterator<PlayerState> {
    return this.#players.values();
  }

  /**
   * Takes an input from the network for player `id`: checks it, drops it as `'stale'` when its
   * seq is not past every seq received, else queues it.
   * @throws {RealtimeError} `REALTIME_ERR_PAYLOAD` for a malformed input ({@link checkGameInput});
   *   `REALTIME_ERR_LIMIT` when the seq jumps more than `maxSeqGap` ahead or the player already
   *   has `maxQueuedInputs` waiting (the input is dropped, the player stays).
   */
  receiveInput(id: number, raw: unknown): InputOutcome {
    const player = this.#players.get(id);
    if (player === undefined) {
      throw new RealtimeError('REALTIME_ERR_PAYLOAD', `no player ${id} in the world`);
    }
    const input = checkGameInput(raw);
    if (input.seq <= player.lastReceivedSeq) return 'stale';
    if (input.seq - player.lastReceivedSeq > this.maxSeqGap) {
      throw new RealtimeError(
        'REALTIME_ERR_LIMIT',
        `input seq ${input.seq} jumps more than ${this.maxSeqGap} past the last one (${player.lastReceivedSeq})`,
      );
    }
    if (player.queue.length >= this.maxQueuedInputs) {
      throw new RealtimeError(
        'REALTIME_ERR_LIMIT',
        `more than ${this.maxQueuedInputs} inputs waiting: send one per tick`,
      );
    }
    player.lastReceivedSeq = input.seq;
    player.queue.push(input);
    return 'queued';
  }

  /** Advances the world one tick of `dtMs`: each player's next inputs, in seq order. */
  step(dtMs: number): void {
    for (const player of this.#players.values()) {
      const n = Math.min(player.queue.length, this.maxInputsPerTick);
      if (n === 0) continue;
      let at: Position = player;
      for (let i = 0; i < n; i++) {
        const input = player.queue[i] as GameInput;
        at = applyMove(at, input, dtMs, this.rules);
        player.lastProcessedSeq = input.seq;
      }
      player.x = at.x;
      player.y = at.y;
      player.queue.splice(0, n);
    }
  }
}

function positive(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive number, got ${value}`);
  }
  return value;
}

function count(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be an integer of 1 or more, got ${value}`);
  }
  return value;
}
