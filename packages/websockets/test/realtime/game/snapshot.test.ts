import { defineStruct } from '@socketlab/tcp-udp';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applySnapshotDelta,
  decodeSnapshotMessage,
  diffSnapshots,
  encodeSnapshot,
  encodeSnapshotDelta,
  RealtimeError,
  type Snapshot,
  SnapshotHistory,
} from '../../../src/realtime/index.ts';

const coord = fc
  .float({ min: 0, max: 10_000, noNaN: true, noDefaultInfinity: true })
  .map((v) => (Object.is(v, -0) ? 0 : v));
const entities = fc
  .uniqueArray(fc.record({ id: fc.integer({ min: 1, max: 200 }), x: coord, y: coord }), {
    selector: (e) => e.id,
    maxLength: 40,
  })
  .map((list) => list.sort((a, b) => a.id - b.id));
const snapshot = (tick: fc.Arbitrary<number>): fc.Arbitrary<Snapshot> =>
  fc.record({
    tick,
    ackSeq: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
    you: fc.integer({ min: 1, max: 200 }),
    entities,
  });
/** A base and a next that shares some entities with it, some moved on one axis or both. */
const pair = fc
  .tuple(
    snapshot(fc.integer({ min: 0, max: 1000 })),
    snapshot(fc.integer({ min: 1001, max: 2 ** 32 - 1 })),
    fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 40, maxLength: 40 }),
  )
  .map(([base, next, how]) => {
    // Keep some of base's entities in next: unchanged, x moved, y moved or both.
    const kept = base.entities.flatMap((e, i) => {
      const k = how[i] ?? 0;
      if (k === 0) return [];
      return [{ id: e.id + 1000, x: k === 2 ? e.x + 1 : e.x, y: k === 3 ? e.y + 1 : e.y }];
    });
    const baseMore = base.entities.map((e) => ({ ...e, id: e.id + 1000 }));
    const mergedNext = [...next.entities, ...kept].sort((a, b) => a.id - b.id);
    return [
      { ...base, entities: [...base.entities, ...baseMore] },
      {
        ...next,
        entities: mergedNext.map((e) => ({ ...e, x: Math.fround(e.x), y: Math.fround(e.y) })),
      },
    ] as const;
  });

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RealtimeError);
    return (error as RealtimeError).code;
  }
  return undefined;
}

describe('snapshots', () => {
  it('round-trips a full snapshot (byte layout: a 21-byte header, 12 bytes per entity)', () => {
    const s: Snapshot = {
      tick: 7,
      ackSeq: -1,
      you: 2,
      entities: [
        { id: 1, x: 1.5, y: 2 },
        { id: 2, x: 0, y: 1000 },
      ],
    };
    const bytes = encodeSnapshot(s);
    expect(bytes.byteLength).toBe(21 + 2 * 12);
    expect(Buffer.from(bytes.subarray(0, 5)).toString('hex')).toBe('0100000007');
    expect(decodeSnapshotMessage(bytes)).toEqual({ type: 'full', snapshot: s });
  });

  it('round-trips full snapshots and deltas (property)', () => {
    fc.assert(
      fc.property(pair, ([base, next]) => {
        expect(decodeSnapshotMessage(encodeSnapshot(next))).toEqual({
          type: 'full',
          snapshot: next,
        });
        const delta = diffSnapshots(base, next);
        const decoded = decodeSnapshotMessage(encodeSnapshotDelta(delta));
        expect(decoded).toEqual({ type: 'delta', delta });
      }),
      { numRuns: 200 },
    );
  });

  it("writes entity records byte for byte as stage 2's struct codecs do (property)", () => {
    const header = defineStruct({
      kind: 'u8',
      tick: 'u32',
      baseTick: 'u32',
      ackSeq: 'i32',
      you: 'u32',
      count: 'u16',
      removed: 'u16',
    });
    const full = defineStruct({ id: 'u32', x: 'f32', y: 'f32' });
    const head = defineStruct({ id: 'u32', mask: 'u8' });
    const f32 = defineStruct({ v: 'f32' });
    const id = defineStruct({ id: 'u32' });
    const cat = (parts: Uint8Array[]): string => Buffer.concat(parts).toString('hex');
    fc.assert(
      fc.property(pair, ([base, next]) => {
        const h = { tick: next.tick, ackSeq: next.ackSeq, you: next.you };
        expect(Buffer.from(encodeSnapshot(next)).toString('hex')).toBe(
          cat([
            header.encode({ kind: 1, ...h, baseTick: 0, count: next.entities.length, removed: 0 }),
            ...next.entities.map((e) => full.encode(e)),
          ]),
        );
        const d = diffSnapshots(base, next);
        const parts = [
          header.encode({
            kind: 2,
            ...h,
            baseTick: d.baseTick,
            count: d.changed.length,
            removed: d.removed.length,
          }),
        ];
        for (const c of d.changed) {
          parts.push(
            head.encode({
              id: c.id,
              mask: (c.x !== undefined ? 1 : 0) | (c.y !== undefined ? 2 : 0),
            }),
          );
          if (c.x !== undefined) parts.push(f32.encode({ v: c.x }));
          if (c.y !== undefined) parts.push(f32.encode({ v: c.y }));
        }
        for (const r of d.removed) parts.push(id.encode({ id: r }));
        expect(Buffer.from(encodeSnapshotDelta(d)).toString('hex')).toBe(cat(parts));
      }),
      { numRuns: 100 },
    );
  });

  it('applying the delta to its base gives the full snapshot (property)', () => {
    fc.assert(
      fc.property(pair, ([base, next]) => {
        const decoded = decodeSnapshotMessage(encodeSnapshotDelta(diffSnapshots(base, next)));
        if (decoded.type !== 'delta') throw new Error('expected a delta');
        expect(applySnapshotDelta(base, decoded.delta)).toEqual(next);
      }),
      { numRuns: 200 },
    );
  });

  it('diffs unsorted entity lists as it diffs sorted ones', () => {
    fc.assert(
      fc.property(pair, fc.integer(), ([base, next], seed) => {
        const shuffle = <T>(list: readonly T[]): T[] =>
          list
            .map((e, i) => [((i + 1) * (seed | 1)) % 97, e] as const)
            .sort((p, q) => p[0] - q[0])
            .map(([, e]) => e);
        const sorted = diffSnapshots(base, next);
        expect(
          diffSnapshots(
            { ...base, entities: shuffle(base.entities) },
            { ...next, entities: shuffle(next.entities) },
          ),
        ).toEqual(sorted);
      }),
      { numRuns: 100 },
    );
  });

  it('sends only the changed fields of changed entities, and the removals', () => {
    const base: Snapshot = {
      tick: 1,
      ackSeq: 0,
      you: 1,
      entities: [
        { id: 1, x: 1, y: 1 },
        { id: 2, x: 2, y: 2 },
        { id: 3, x: 3, y: 3 },
      ],
    };
    const next: Snapshot = {
      tick: 2,
      ackSeq: 1,
      you: 1,
      entities: [
        { id: 1, x: 1, y: 1 },
        { id: 2, x: 5, y: 2 },
        { id: 4, x: 4, y: 4 },
      ],
    };
    const delta = diffSnapshots(base, next);
    expect(delta).toEqual({
      tick: 2,
      baseTick: 1,
      ackSeq: 1,
      you: 1,
      changed: [
        { id: 2, x: 5 },
        { id: 4, x: 4, y: 4 },
      ],
      removed: [3],
    });
    // header 21 + (5 + 4) + (5 + 8) + removal 4
    expect(encodeSnapshotDelta(delta).byteLength).toBe(47);
  });

  it.each([
    ['empty', ''],
    ['a short header', '01000000'],
    ['an unknown kind', `09${'00'.repeat(19)}`],
    ['a count past the limit', `01${'00'.repeat(16)}1001 0000`],
    ['an entity cut short', `01${'00'.repeat(16)}0001 0000 00000001 3f80`],
    ['trailing bytes', `01${'00'.repeat(16)}0000 0000 ff`],
    ['a NaN position', `01${'00'.repeat(16)}0001 0000 00000001 7fc00000 00000000`],
    [
      'unsorted ids',
      `01${'00'.repeat(16)}0002 0000 00000002 00000000 00000000 00000001 00000000 00000000`,
    ],
    ['a full snapshot with removals', `01${'00'.repeat(16)}0000 0001 00000001`],
    ['a delta field mask of 0', `02${'00'.repeat(16)}0001 0000 00000001 00`],
    ['a delta field mask of 4', `02${'00'.repeat(16)}0001 0000 00000001 04`],
  ])('refuses %s with REALTIME_ERR_ENCODING', (_, hex) => {
    const bytes = Buffer.from(hex.replace(/ /g, ''), 'hex');
    expect(codeOf(() => decodeSnapshotMessage(bytes, { maxEntities: 4096 }))).toBe(
      'REALTIME_ERR_ENCODING',
    );
  });

  it('never throws anything but REALTIME_ERR_ENCODING on random bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeSnapshotMessage(bytes);
        } catch (error) {
          expect((error as RealtimeError).code).toBe('REALTIME_ERR_ENCODING');
        }
      }),
    );
  });

  it('refuses to encode what does not fit, and to apply a delta to the wrong base', () => {
    expect(
      codeOf(() =>
        encodeSnapshot({ tick: 1, ackSeq: 0, you: 1, entities: [{ id: -1, x: 0, y: 0 }] }),
      ),
    ).toBe('REALTIME_ERR_ENCODING');
    const base: Snapshot = { tick: 1, ackSeq: 0, you: 1, entities: [] };
    const delta = diffSnapshots(base, { ...base, tick: 2 });
    expect(codeOf(() => applySnapshotDelta({ ...base, tick: 5 }, delta))).toBe(
      'REALTIME_ERR_ENCODING',
    );
    expect(codeOf(() => applySnapshotDelta(base, { ...delta, removed: [9] }))).toBe(
      'REALTIME_ERR_ENCODING',
    );
    expect(codeOf(() => applySnapshotDelta(base, { ...delta, changed: [{ id: 9, x: 1 }] }))).toBe(
      'REALTIME_ERR_ENCODING',
    );
  });
});

describe('SnapshotHistory', () => {
  const at = (tick: number, x: number): Snapshot => ({
    tick,
    ackSeq: -1,
    you: 1,
    entities: [{ id: 1, x, y: 0 }],
  });

  it('sends full snapshots until one is acked, then deltas against the newest acked', () => {
    const history = new SnapshotHistory(4);
    expect(decodeSnapshotMessage(history.encode(at(1, 1))).type).toBe('full');
    expect(decodeSnapshotMessage(history.encode(at(2, 2))).type).toBe('full');
    expect(history.ack(1)).toBe(true);
    const m = decodeSnapshotMessage(history.encode(at(3, 3)));
    expect(m.type === 'delta' && m.delta.baseTick).toBe(1);
    expect(history.ack(2)).toBe(true);
    expect(history.ack(1)).toBe(false); // older than the last ack
    const m2 = decodeSnapshotMessage(history.encode(at(4, 4)));
    expect(m2.type === 'delta' && m2.delta.baseTick).toBe(2);
  });

  it('ignores acks of snapshots never sent, and goes back to full ones once the acked one is forgotten', () => {
    const history = new SnapshotHistory(2);
    history.encode(at(1, 1));
    for (const bogus of [99, -1, '1', Number.NaN, null]) expect(history.ack(bogus)).toBe(false);
    history.ack(1);
    history.encode(at(2, 2));
    history.encode(at(3, 3)); // tick 1 falls out of the history
    expect(history.ackedTick).toBeUndefined();
    expect(decodeSnapshotMessage(history.encode(at(4, 4))).type).toBe('full');
  });
});
