/**
 * One tick of the whole game, without sockets: step the world, bucket entities in the grid,
 * and build each player's snapshot of what is near it, encoded as a delta when it can be. The
 * Socket.IO server calls it from its tick loop; the benchmark calls it in a loop. Pure but for
 * the `send` callback.
 */
import { SpatialGrid } from './interest.ts';
import type { Snapshot, SnapshotEntity } from './snapshot.ts';
import { SnapshotHistory } from './snapshot-history.ts';
import type { GameWorld } from './world.ts';

/**
 * The per-tick work of an authoritative server, for a set of watching players.
 * @example
 * ```ts
 * const sim = new GameSimulation(world, { interestRadius: 300 });
 * sim.watch(playerId);
 * sim.tick(50, tick, (id, bytes) => sockets.get(id)?.emit('snapshot', bytes));
 * ```
 */
export class GameSimulation {
  readonly interestRadius: number;
  readonly historySize: number;
  readonly #grid: SpatialGrid<SnapshotEntity>;
  readonly #watchers = new Map<number, SnapshotHistory>();

  constructor(
    readonly world: GameWorld,
    {
      interestRadius = 300,
      historySize = 32,
    }: { interestRadius?: number; historySize?: number } = {},
  ) {
    if (
      !(typeof interestRadius === 'number' && interestRadius > 0 && Number.isFinite(interestRadius))
    ) {
      throw new RangeError(`interestRadius must be a positive number, got ${interestRadius}`);
    }
    this.interestRadius = interestRadius;
    this.historySize = historySize;
    this.#grid = new SpatialGrid(interestRadius);
  }

  /** Starts sending snapshots for player `id`; returns its snapshot history (for acks). */
  watch(id: number): SnapshotHistory {
    let history = this.#watchers.get(id);
    if (history === undefined) {
      history = new SnapshotHistory(this.historySize);
      this.#watchers.set(id, history);
    }
    return history;
  }

  /** Stops sending to player `id`. */
  unwatch(id: number): void {
    this.#watchers.delete(id);
  }

  /** The snapshot history of a watched player, or undefined. */
  history(id: number): SnapshotHistory | undefined {
    return this.#watchers.get(id);
  }

  /** Runs tick number `tick` of `dtMs` and hands each watcher's encoded snapshot to `send`. */
  tick(dtMs: number, tick: number, send: (id: number, bytes: Uint8Array) => void): void {
    this.world.step(dtMs);
    const entities: SnapshotEntity[] = [];
    for (const p of this.world.players()) entities.push({ id: p.id, x: p.x, y: p.y });
    this.#grid.rebuild(entities);
    for (const [id, history] of this.#watchers) {
      const me = this.world.player(id);
      if (me === undefined) continue;
      const snapshot: Snapshot = {
        tick,
        ackSeq: me.lastProcessedSeq,
        you: id,
        entities: this.#grid.query(me.x, me.y, this.interestRadius),
      };
      send(id, history.encode(snapshot));
    }
  }
}
