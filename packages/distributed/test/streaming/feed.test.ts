import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DistributedError } from '../../src/errors.ts';
import { ConflatingBuffer, ConflatingFeed, writeConflated } from '../../src/streaming/index.ts';

describe('ConflatingFeed', () => {
  it('gives a new subscriber the current value of every key, then changes', () => {
    const feed = new ConflatingFeed<string, number>();
    feed.publish('a', 1);
    feed.publish('b', 1);
    feed.publish('a', 2);
    const sub = feed.subscribe();
    expect(sub.buffer.take()).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    feed.publish('b', 2);
    expect(sub.buffer.take()).toEqual([['b', 2]]);
    expect(feed.size).toBe(2);
    expect(feed.get('a')).toBe(2);
    expect([...feed.entries()]).toEqual([
      ['a', 2],
      ['b', 2],
    ]);
  });

  it('calls onPending when a subscriber goes from nothing pending to something', () => {
    const feed = new ConflatingFeed<string, number>();
    const sub = feed.subscribe();
    let calls = 0;
    sub.onPending = () => calls++;
    feed.publish('a', 1);
    feed.publish('a', 2);
    feed.publish('b', 1);
    expect(calls).toBe(1);
    sub.buffer.take();
    feed.publish('a', 3);
    expect(calls).toBe(2);
  });

  it('conflates each subscriber on its own: a slow one does not hold back a fast one', () => {
    const feed = new ConflatingFeed<string, number>();
    const fast = feed.subscribe();
    const slow = feed.subscribe();
    const got: number[] = [];
    for (let i = 1; i <= 100; i++) {
      feed.publish('x', i);
      for (const [, v] of fast.buffer.take()) got.push(v);
    }
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(slow.buffer.take()).toEqual([['x', 100]]);
    expect(slow.buffer.stats.conflated).toBe(99);
    expect(fast.buffer.stats.conflated).toBe(0);
  });

  it('stops feeding a closed subscription and forgets what it held', () => {
    const feed = new ConflatingFeed<string, number>();
    const sub = feed.subscribe();
    feed.publish('a', 1);
    sub.close();
    feed.publish('a', 2);
    expect(sub.buffer.size).toBe(0);
    expect(feed.subscriberCount).toBe(0);
  });

  it("bounds its keys: 'drop' refuses and counts a new key, 'error' throws DISTRIBUTED_ERR_LIMIT", () => {
    const drop = new ConflatingFeed<string, number>({ maxKeys: 2 });
    expect(drop.publish('a', 1)).toBe(true);
    expect(drop.publish('b', 1)).toBe(true);
    expect(drop.publish('c', 1)).toBe(false);
    expect(drop.publish('a', 2)).toBe(true);
    expect(drop.droppedKeys).toBe(1);
    expect(drop.size).toBe(2);
    const strict = new ConflatingFeed<string, number>({ maxKeys: 1, overflow: 'error' });
    strict.publish('a', 1);
    expect(() => strict.publish('b', 1)).toThrow(DistributedError);
    expect(() => new ConflatingFeed({ maxKeys: 0 })).toThrow(RangeError);
    expect(() => new ConflatingFeed({ overflow: 'x' as 'drop' })).toThrow(TypeError);
  });

  it('property: memory is bounded by keys, not updates; every subscriber drains to the latest of every key', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.tuple(fc.nat(19), fc.nat(3)), { maxLength: 500 }),
        (keys, ops) => {
          const feed = new ConflatingFeed<number, number>({ maxKeys: keys });
          const subs = [feed.subscribe(), feed.subscribe(), feed.subscribe()];
          const seen = subs.map(() => new Map<number, number>());
          const takeInto = (i: number, max?: number): void => {
            for (const [k, v] of subs[i]?.buffer.take(max) ?? []) {
              expect(v).toBeGreaterThan(seen[i]?.get(k) ?? 0);
              seen[i]?.set(k, v);
            }
          };
          let seq = 0;
          for (const [key, take] of ops) {
            feed.publish(key % keys, ++seq);
            if (take > 0) takeInto(take - 1, take);
            for (const sub of subs) expect(sub.buffer.heldEntries).toBeLessThanOrEqual(keys);
          }
          const latest = new Map(feed.entries());
          subs.forEach((sub, i) => {
            takeInto(i);
            expect(sub.buffer.size).toBe(0);
            expect(seen[i]).toEqual(latest);
          });
          const late = feed.subscribe(); // a late joiner sees the same end state
          expect(new Map(late.buffer.take())).toEqual(latest);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('writeConflated', () => {
  it('writes batches while the sink takes more, and stops the moment it is full', () => {
    const buffer = new ConflatingBuffer<number, number>();
    for (let k = 0; k < 10; k++) buffer.offer(k, k);
    const sent: number[] = [];
    const sink = {
      get writableNeedDrain() {
        return sent.length >= 4;
      },
      send: (p: Uint8Array) => sent.push(p[0] as number),
    };
    expect(writeConflated(buffer, sink, (k) => Uint8Array.of(k), 2)).toBe(4);
    expect(sent).toEqual([0, 1, 2, 3]);
    expect(buffer.size).toBe(6);
    sent.length = 0; // drained
    expect(writeConflated(buffer, sink, (k) => Uint8Array.of(k), 100)).toBe(6);
    expect(buffer.size).toBe(0);
  });
});
