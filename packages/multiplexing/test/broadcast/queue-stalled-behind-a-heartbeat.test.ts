// Regression: the queue's flush compared the sink's buffer plus the next message with the mark
// and, past it, waited for a 'drain'. Bytes written to the transport around the queue (a
// heartbeat ping, a notice) could put it past the mark while the sink was not full, so no
// 'drain' ever came and the consumer stopped receiving for good.
import { describe, expect, it } from 'vitest';
import { OutboundQueue } from '../../src/index.ts';
import { stalledTransport } from '../helpers/memory-transport.ts';

const bytes = (n: number, fill: number): Buffer => Buffer.alloc(n, fill);

describe('OutboundQueue after bytes written around it', () => {
  it('flushes everything on drain even when the sink holds bytes written around the queue', () => {
    const sink = stalledTransport(16);
    const queue = new OutboundQueue(sink, { maxBufferedBytes: 40 });
    for (let i = 1; i <= 4; i++) queue.send(bytes(10, i)); // 2 sent, 2 queued: 40 held
    sink.reading = true;
    sink.highWaterMark = 1_000; // from now on the sink is never full, so it never emits 'drain'
    sink.drain();
    sink.bufferedAmount = 35; // a heartbeat or a notice went straight to the transport
    // 35 + 10 is past the queue's mark, but those 10 bytes were counted when queued: waiting
    // for another 'drain' here would wait for ever.
    expect(queue.flush()).toBe(true);
    expect(sink.sent.map((b) => b[0])).toEqual([1, 2, 3, 4]);
  });
});
