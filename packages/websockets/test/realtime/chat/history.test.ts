import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChatHistory, HistoryRing } from '../../../src/realtime/chat/index.ts';

const message = (room: string, text: string) => ({
  id: `${room}-${text}`,
  room,
  userId: 'ada',
  text,
  at: 0,
});

describe('HistoryRing', () => {
  it('keeps the last capacity items, oldest first, and returns what it drops', () => {
    const ring = new HistoryRing<number>(3);
    expect(ring.push(1)).toBeUndefined();
    ring.push(2);
    ring.push(3);
    expect(ring.toArray()).toEqual([1, 2, 3]);
    expect(ring.push(4)).toBe(1);
    expect(ring.toArray()).toEqual([2, 3, 4]);
    expect(ring.size).toBe(3);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses capacity %s', (capacity) => {
    expect(() => new HistoryRing(capacity)).toThrow(RangeError);
  });

  it('holds the same as the tail of an array (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.integer(), { maxLength: 50 }),
        (capacity, items) => {
          const ring = new HistoryRing<number>(capacity);
          for (const item of items) ring.push(item);
          expect(ring.toArray()).toEqual(items.slice(-capacity));
          expect(ring.size).toBe(Math.min(capacity, items.length));
        },
      ),
    );
  });
});

describe('ChatHistory', () => {
  it('numbers messages in the order accepted, across rooms', () => {
    const history = new ChatHistory();
    expect(history.append(message('a', '1')).seq).toBe(1);
    expect(history.append(message('b', '1')).seq).toBe(2);
    expect(history.append(message('a', '2')).seq).toBe(3);
    expect(history.recent('a').map((m) => m.seq)).toEqual([1, 3]);
  });

  it('keeps perRoom messages a room', () => {
    const history = new ChatHistory({ perRoom: 3 });
    for (let i = 1; i <= 5; i++) history.append(message('a', String(i)));
    expect(history.recent('a').map((m) => m.text)).toEqual(['3', '4', '5']);
  });

  it('pages backwards with before and limit', () => {
    const history = new ChatHistory({ perRoom: 10 });
    for (let i = 1; i <= 8; i++) history.append(message('a', String(i)));
    expect(history.recent('a', { limit: 3 }).map((m) => m.seq)).toEqual([6, 7, 8]);
    expect(history.recent('a', { limit: 3, before: 6 }).map((m) => m.seq)).toEqual([3, 4, 5]);
    expect(history.recent('a', { limit: 3, before: 3 }).map((m) => m.seq)).toEqual([1, 2]);
    expect(history.recent('a', { limit: 3, before: 1 })).toEqual([]);
    expect(history.recent('a', { limit: 100 })).toHaveLength(8);
    expect(history.recent('a', { limit: 0 })).toEqual([]);
    expect(history.recent('nowhere')).toEqual([]);
  });

  it('forgets the room written to least recently past maxRooms, and never reuses a seq', () => {
    const history = new ChatHistory({ perRoom: 2, maxRooms: 2 });
    history.append(message('a', '1'));
    history.append(message('b', '1'));
    history.append(message('a', '2')); // a is now the most recent
    history.append(message('c', '1')); // b goes
    expect(history.roomCount).toBe(2);
    expect(history.recent('b')).toEqual([]);
    expect(history.recent('a')).toHaveLength(2);
    expect(history.append(message('b', '2')).seq).toBe(5);
    expect(history.recent('a')).toEqual([]); // a was written before c: it goes
    expect(history.recent('c')).toHaveLength(1);
  });

  it('delete() forgets a room', () => {
    const history = new ChatHistory();
    history.append(message('a', '1'));
    expect(history.delete('a')).toBe(true);
    expect(history.recent('a')).toEqual([]);
  });

  it.each([{ perRoom: 0 }, { maxRooms: 0 }, { maxRooms: 2.5 }])('refuses %j', (options) => {
    expect(() => new ChatHistory(options)).toThrow(RangeError);
  });

  it('stays within maxRooms × perRoom messages, and pages return seq in order (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { maxLength: 80 }),
        fc.integer({ min: 1, max: 100 }),
        (rooms, before) => {
          const history = new ChatHistory({ perRoom: 4, maxRooms: 3 });
          rooms.forEach((room, i) => {
            history.append(message(room, String(i)));
          });
          expect(history.roomCount).toBeLessThanOrEqual(3);
          let total = 0;
          for (const room of ['a', 'b', 'c', 'd', 'e']) {
            const all = history.recent(room);
            total += all.length;
            expect(all.length).toBeLessThanOrEqual(4);
            const page = history.recent(room, { before, limit: 2 });
            expect(page.every((m) => m.seq < before)).toBe(true);
            const seqs = page.map((m) => m.seq);
            expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
          }
          expect(total).toBeLessThanOrEqual(12);
        },
      ),
    );
  });
});
