import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpatialGrid } from '../../../src/realtime/index.ts';

describe('SpatialGrid', () => {
  it('returns the entities within the radius, sorted by id, including on the circle', () => {
    const grid = new SpatialGrid(100);
    grid.rebuild([
      { id: 3, x: 0, y: 0 },
      { id: 1, x: 300, y: 0 },
      { id: 2, x: 1000, y: 1000 },
      { id: 4, x: 213, y: 212 },
    ]);
    expect(grid.query(0, 0, 300).map((e) => e.id)).toEqual([1, 3]);
    expect(grid.query(1000, 1000, 10).map((e) => e.id)).toEqual([2]);
    expect(grid.query(0, 0, 301).map((e) => e.id)).toEqual([1, 3, 4]);
    expect(grid.query(0, 0, Number.NaN)).toEqual([]);
  });

  it('agrees with a scan of every entity (property)', () => {
    const point = fc.integer({ min: -50, max: 2000 });
    fc.assert(
      fc.property(
        fc.array(fc.record({ x: point, y: point }), { maxLength: 200 }),
        point,
        point,
        fc.integer({ min: 0, max: 800 }),
        fc.integer({ min: 1, max: 500 }),
        (points, qx, qy, radius, cell) => {
          const entities = points.map((p, i) => ({ id: i + 1, ...p }));
          const grid = new SpatialGrid(cell);
          grid.rebuild(entities);
          const want = entities.filter((e) => (e.x - qx) ** 2 + (e.y - qy) ** 2 <= radius * radius);
          expect(grid.query(qx, qy, radius)).toEqual(want);
        },
      ),
    );
  });

  it('refuses a cell size that is not a positive number', () => {
    expect(() => new SpatialGrid(0)).toThrow(RangeError);
    expect(() => new SpatialGrid(Number.NaN)).toThrow(RangeError);
  });
});
