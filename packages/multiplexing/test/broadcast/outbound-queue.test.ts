import { describe, expect, it } from 'vitest';
import { broadcast, OUTBOUND_QUEUE_DEFAULTS, OutboundQueue } from '../../src/index.ts';
import { MemoryTransport, stalledTransport } from '../helpers/memory-transport.ts';

const bytes = (n: number, fill = 1): Buffer => Buffer.alloc(n, fill);

describe('OutboundQueue', () => {
  it('sends straight to a sink that keeps up, queueing nothing', () => {
    const sink = new MemoryTransport();
    const queue = new OutboundQueue(sink, { maxBufferedBytes: 100 });
    for (let i = 0; i < 50; i++) expect(queue.send(bytes(10, i))).toBe('sent');
    expect(sink.sent).toHaveLength(50);
    expect(queue.queuedBytes).toBe(0);
  });

  it('queues once the sink reports full, and flushes in order on drain', () => {
    const sink = stalledTransport(16);
    const queue = new OutboundQueue(sink, { maxBufferedBytes: 100 });
    expect(queue.send(bytes(10, 1))).toBe('sent');
    expect(queue.send(bytes(10, 2))).toBe('sent'); // 20 ≥ 16: the sink is now full
    expect(queue.send(bytes(10, 3))).toBe('queued');
    expect(queue.send(bytes(10, 4))).toBe('queued');
    expect(queue.queuedMessages).toBe(2);
    expect(queue.bufferedBytes).toBe(40);
    sink.reading = true;
    sink.drain();
    expect(queue.flush()).toBe(true);
    expect(sink.sent.map((b) => b[0])).toEqual([1, 2, 3, 4]);
  });

  it('never holds more than maxBufferedBytes under drop-oldest, and counts what it dropped', () => {
    const sink = stalledTransport(16);
    const queue = new OutboundQueue(sink, { maxBufferedBytes: 100 });
    const outcomes: string[] = [];
    for (let i = 0; i < 30; i++) {
      outcomes.push(queue.send(bytes(10, i)));
      expect(queue.bufferedBytes).toBeLessThanOrEqual(100);
    }
    // 20 bytes in the sink, 80 queued (8 messages); each later push dropped the oldest queued.
    expect(queue.bufferedBytes).toBe(100);
    expect(queue.droppedMessages).toBe(30 - 2 - 8);
    expect(queue.droppedBytes).toBe(queue.droppedMessages * 10);
    expect(outcomes.filter((o) => o === 'dropped')).toEqual([]);
    sink.reading = true; // the consumer catches up
    sink.drain();
    queue.flush();
    // What survived is the newest: 0 and 1 went out first, then 22…29.
    expect(sink.sent.map((b) => b[0])).toEqual([0, 1, 22, 23, 24, 25, 26, 27, 28, 29]);
  });

  it('drops the new message itself when nothing queued is left to drop', () => {
    const sink = stalledTransport(1_000);
    const queue = new OutboundQueue(sink, { maxBufferedBytes: 100 });
    expect(queue.send(bytes(95))).toBe('sent');
    expect(queue.send(bytes(10))).toBe('dropped');
    expect(queue.send(bytes(101))).toBe('dropped'); // larger than the mark: never deliverable
    expect(queue.droppedMessages).toBe(2);
    expect(queue.send(bytes(5))).toBe('sent');
  });

  it('reports an overflow under disconnect and keeps every message it held', () => {
    const sink = stalledTransport(16);
    const queue = new OutboundQueue(sink, {
      maxBufferedBytes: 50,
      slowConsumerPolicy: 'disconnect',
    });
    const outcomes = Array.from({ length: 6 }, (_, i) => queue.send(bytes(10, i)));
    expect(outcomes).toEqual(['sent', 'sent', 'queued', 'queued', 'queued', 'overflow']);
    expect(queue.droppedMessages).toBe(0);
    expect(queue.bufferedBytes).toBe(50);
  });

  it('checks its options with the shared messages', () => {
    const sink = new MemoryTransport();
    expect(() => new OutboundQueue(sink, { maxBufferedBytes: 0 })).toThrow(
      new RangeError('maxBufferedBytes must be an integer from 1 to 1073741824, got 0'),
    );
    expect(() => new OutboundQueue(sink, { maxBufferedBytes: 1.5 })).toThrow(TypeError);
    expect(
      () => new OutboundQueue(sink, { slowConsumerPolicy: 'drop-newest' as 'disconnect' }),
    ).toThrow(/slowConsumerPolicy must be 'drop-oldest' or 'disconnect', got drop-newest/);
    expect(new OutboundQueue(sink).maxBufferedBytes).toBe(OUTBOUND_QUEUE_DEFAULTS.maxBufferedBytes);
  });
});

describe('broadcast', () => {
  it('sends the same bytes to every target but the one left out, and counts the outcomes', () => {
    const sinks = [new MemoryTransport(), stalledTransport(0), new MemoryTransport()];
    const queues = sinks.map((sink) => new OutboundQueue(sink, { maxBufferedBytes: 10 }));
    const message = bytes(8);
    expect(broadcast(queues, message, { except: queues[2] })).toEqual({
      sent: 2,
      queued: 0,
      dropped: 0,
      overflow: 0,
      closed: 0,
    });
    expect(broadcast(queues, message)).toEqual({
      sent: 2,
      queued: 0,
      dropped: 1,
      overflow: 0,
      closed: 0,
    });
    expect(sinks[0]?.sent).toHaveLength(2);
    expect(sinks[2]?.sent).toHaveLength(1);
  });
});
