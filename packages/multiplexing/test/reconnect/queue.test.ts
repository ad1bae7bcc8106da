import { describe, expect, it } from 'vitest';
import { OfflineQueue } from '../../src/reconnect/queue.ts';

describe('OfflineQueue', () => {
  it('keeps order and counts bytes', () => {
    const queue = new OfflineQueue<string>(10, 100, 'reject');
    queue.push('a', 5);
    queue.push('b', 7);
    expect([queue.length, queue.bytes]).toEqual([2, 12]);
    expect(queue.shift()?.message).toBe('a');
    expect(queue.peek()?.message).toBe('b');
    expect([queue.length, queue.bytes]).toEqual([1, 7]);
    expect(queue.clear().map((q) => q.message)).toEqual(['b']);
    expect([queue.length, queue.bytes]).toEqual([0, 0]);
  });

  it('drops the oldest to stay within the count and the bytes (drop-oldest)', () => {
    const queue = new OfflineQueue<number>(3, 10, 'drop-oldest');
    for (let i = 0; i < 3; i++) expect(queue.push(i, 2)).toEqual({ accepted: true, dropped: [] });
    expect(queue.push(3, 2)).toEqual({ accepted: true, dropped: [{ message: 0, bytes: 2 }] });
    // 2 + 2 + 2 queued: a 9-byte message needs every one of them gone.
    const big = queue.push(4, 9);
    expect(big.accepted && big.dropped.map((d) => d.message)).toEqual([1, 2, 3]);
    expect([queue.length, queue.bytes]).toEqual([1, 9]);
  });

  it('refuses the newcomer and keeps the queue as it was (reject)', () => {
    const queue = new OfflineQueue<number>(2, 10, 'reject');
    queue.push(0, 1);
    queue.push(1, 1);
    const refused = queue.push(2, 1);
    expect(refused.accepted).toBe(false);
    expect(!refused.accepted && refused.why).toMatch(/full \(2 of maxQueuedMessages 2/);
    expect([queue.length, queue.bytes]).toEqual([2, 2]);
  });

  it('refuses a message larger than the whole queue, and everything when maxMessages is 0', () => {
    const queue = new OfflineQueue<number>(5, 10, 'drop-oldest');
    queue.push(0, 4);
    expect(queue.push(1, 11)).toMatchObject({ accepted: false });
    expect(queue.length).toBe(1);
    expect(new OfflineQueue<number>(0, 10, 'drop-oldest').push(1, 1)).toMatchObject({
      accepted: false,
      why: 'messages are not queued (maxQueuedMessages 0)',
    });
  });
});
