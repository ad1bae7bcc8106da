import { describe, expect, it } from 'vitest';
import { type Reading, TelemetryStream } from '../../src/mqtt/index.ts';

const reading = (n: number): Reading<number> => ({
  topic: 't',
  value: n,
  qos: 1,
  retained: false,
  receivedAt: 0,
});

describe('TelemetryStream', () => {
  it('yields readings in order to a for-await loop, buffered or awaited', async () => {
    const stream = new TelemetryStream<number>('t/#');
    stream.push(reading(1));
    const next = stream.next();
    expect((await next)?.value).toBe(1);
    const pending = stream.next();
    stream.push(reading(2));
    expect((await pending)?.value).toBe(2);
    stream.push(reading(3));
    await stream.close();
    const rest: number[] = [];
    for await (const r of stream) rest.push(r.value);
    expect(rest).toEqual([3]); // what was buffered still comes out, then the loop ends
  });

  it('drops the oldest reading past highWaterMark and counts it', () => {
    const stream = new TelemetryStream<number>('t', 2);
    const dropped: number[] = [];
    stream.on('drop', (r) => dropped.push(r.value));
    for (let n = 1; n <= 5; n++) stream.push(reading(n));
    expect({ dropped: stream.dropped, buffered: stream.buffered }).toEqual({
      dropped: 3,
      buffered: 2,
    });
    expect(dropped).toEqual([1, 2, 3]);
  });

  it('ends a waiting iterator on close, and calls onClose once', async () => {
    let closes = 0;
    const stream = new TelemetryStream<number>('t', 10, async () => {
      closes++;
    });
    const waiting = stream.next();
    await stream.close();
    await stream.close();
    expect(await waiting).toBeUndefined();
    expect(closes).toBe(1);
    stream.push(reading(9));
    expect(stream.buffered).toBe(0);
  });

  it('closes when a for-await loop breaks', async () => {
    const stream = new TelemetryStream<number>('t');
    stream.push(reading(1));
    for await (const _ of stream) break;
    expect(stream.closed).toBe(true);
  });

  it('checks highWaterMark', () => {
    expect(() => new TelemetryStream('t', 0)).toThrow(RangeError);
  });
});
