/**
 * Interest management: each player receives only the entities near it. A uniform grid (a
 * spatial hash) buckets entities by cell, so a query looks at the few cells a circle overlaps
 * instead of every entity: O(nearby) per player rather than O(all).
 */
import type { SnapshotEntity } from './snapshot.ts';

/**
 * A uniform grid over entities, rebuilt each tick with {@link SpatialGrid.rebuild}.
 * @throws {RangeError} for a `cellSize` that is not a positive finite number.
 * @example
 * ```ts
 * const grid = new SpatialGrid(100);
 * grid.rebuild(world.players());
 * grid.query(me.x, me.y, 300); // the entities within 300 units, sorted by id
 * ```
 */
export class SpatialGrid<E extends SnapshotEntity = SnapshotEntity> {
  readonly #cells = new Map<number, E[]>();

  constructor(readonly cellSize: number) {
    if (typeof cellSize !== 'number' || !Number.isFinite(cellSize) || cellSize <= 0) {
      throw new RangeError(`cellSize must be a positive number, got ${cellSize}`);
    }
  }

  /** Cell coordinates packed in one number (grids up to 2^20 cells a side). */
  #key(cx: number, cy: number): number {
    return cx * 0x10_0000 + cy;
  }

  /** Forgets every entity and buckets `entities` by cell. */
  rebuild(entities: Iterable<E>): void {
    this.#cells.clear();
    for (const e of entities) {
      const key = this.#key(Math.floor(e.x / this.cellSize), Math.floor(e.y / this.cellSize));
      const cell = this.#cells.get(key);
      if (cell === undefined) this.#cells.set(key, [e]);
      else cell.push(e);
    }
  }

  /** The entities at most `radius` from (x, y), sorted by id. */
  query(x: number, y: number, radius: number): E[] {
    const out: E[] = [];
    if (!(radius >= 0)) return out;
    const r2 = radius * radius;
    const x0 = Math.floor((x - radius) / this.cellSize);
    const x1 = Math.floor((x + radius) / this.cellSize);
    const y0 = Math.floor((y - radius) / this.cellSize);
    const y1 = Math.floor((y + radius) / this.cellSize);
    for (let cx = x0; cx <= x1; cx++) {
      for (let cy = y0; cy <= y1; cy++) {
        const cell = this.#cells.get(this.#key(cx, cy));
        if (cell === undefined) continue;
        for (const e of cell) {
          const dx = e.x - x;
          const dy = e.y - y;
          if (dx * dx + dy * dy <= r2) out.push(e);
        }
      }
    }
    return out.sort((a, b) => a.id - b.id);
  }
}
