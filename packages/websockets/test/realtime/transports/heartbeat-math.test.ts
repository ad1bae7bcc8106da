import { EventEmitter } from 'node:events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  heartbeatDetectionWindow,
  heartbeatOptions,
  measureHeartbeat,
  SOCKET_IO_HEARTBEAT_DEFAULTS,
} from '../../../src/realtime/index.ts';

describe('heartbeatOptions', () => {
  it("gives Socket.IO's own defaults for a 45 s target", () => {
    expect(heartbeatOptions({ detectWithinMs: 45_000 })).toEqual(SOCKET_IO_HEARTBEAT_DEFAULTS);
  });

  it.each([
    [
      { detectWithinMs: 300, timeoutShare: 2 / 3 },
      { pingInterval: 100, pingTimeout: 200 },
    ],
    [
      { detectWithinMs: 10_000, timeoutShare: 0.5 },
      { pingInterval: 5000, pingTimeout: 5000 },
    ],
    [{ detectWithinMs: 2 }, { pingInterval: 1, pingTimeout: 1 }],
  ])('splits %j into %j', (target, expected) => {
    expect(heartbeatOptions(target)).toEqual(expected);
  });

  it('always sums to the target, with both values at least 1 ms', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 2 ** 31 - 1 }),
        fc.double({ min: 0.001, max: 0.999, noNaN: true }),
        (detectWithinMs, timeoutShare) => {
          const { pingInterval, pingTimeout } = heartbeatOptions({ detectWithinMs, timeoutShare });
          expect(pingInterval + pingTimeout).toBe(detectWithinMs);
          expect(pingInterval).toBeGreaterThanOrEqual(1);
          expect(pingTimeout).toBeGreaterThanOrEqual(1);
          expect(heartbeatDetectionWindow({ pingInterval, pingTimeout }).maxMs).toBe(
            detectWithinMs,
          );
        },
      ),
    );
  });

  it('refuses a target that would cut off a client slower than minTimeoutMs', () => {
    expect(() => heartbeatOptions({ detectWithinMs: 1000, minTimeoutMs: 500 })).toThrow(
      /pingTimeout 444 ms, under minTimeoutMs 500/,
    );
    expect(heartbeatOptions({ detectWithinMs: 1000, minTimeoutMs: 444 }).pingTimeout).toBe(444);
  });

  it.each([
    [{ detectWithinMs: 1 }, RangeError],
    [{ detectWithinMs: 2 ** 31 }, RangeError],
    [{ detectWithinMs: 1.5 }, TypeError],
    [{ detectWithinMs: Number.NaN }, TypeError],
    [{ detectWithinMs: 100, timeoutShare: 0 }, RangeError],
    [{ detectWithinMs: 100, timeoutShare: 1 }, RangeError],
    [{ detectWithinMs: 100, timeoutShare: 2 }, RangeError],
    [null, TypeError],
  ])('throws for %j', (target, type) => {
    expect(() => heartbeatOptions(target as never)).toThrow(type);
  });
});

describe('heartbeatDetectionWindow', () => {
  it("is pingTimeout to pingInterval + pingTimeout, Socket.IO's defaults 20 s to 45 s", () => {
    expect(heartbeatDetectionWindow(SOCKET_IO_HEARTBEAT_DEFAULTS)).toEqual({
      minMs: 20_000,
      maxMs: 45_000,
      pingsPerMinute: 2.4,
    });
  });

  it('throws for a value that is not a positive integer', () => {
    expect(() => heartbeatDetectionWindow({ pingInterval: 0, pingTimeout: 1 })).toThrow(RangeError);
    expect(() => heartbeatDetectionWindow({ pingInterval: 1, pingTimeout: 0.5 })).toThrow(
      TypeError,
    );
  });
});

describe('measureHeartbeat', () => {
  function fakeConnection() {
    let t = 0;
    const conn = new EventEmitter();
    return { conn, now: () => t, advance: (ms: number) => (t += ms) };
  }

  it('times each ping to its pong, keeping the last maxSamples', () => {
    const { conn, now, advance } = fakeConnection();
    const seen: number[] = [];
    const monitor = measureHeartbeat(conn, {
      now,
      maxSamples: 2,
      onRoundTrip: (ms) => seen.push(ms),
    });
    expect(monitor.lastRoundTripMs).toBeUndefined();
    for (const rtt of [5, 7, 9]) {
      conn.emit('packetCreate', { type: 'ping' });
      conn.emit('packetCreate', { type: 'message', data: 'x' });
      expect(monitor.pending).toBe(1);
      advance(rtt);
      conn.emit('packet', { type: 'message' });
      conn.emit('packet', { type: 'pong' });
      advance(100);
    }
    expect(seen).toEqual([5, 7, 9]);
    expect(monitor.roundTrips).toEqual([7, 9]);
    expect(monitor.lastRoundTripMs).toBe(9);
    expect(monitor.sinceLastPongMs()).toBe(100);
  });

  it('counts a ping with no pong as pending, and stops on close', () => {
    const { conn, now } = fakeConnection();
    const monitor = measureHeartbeat(conn, { now });
    conn.emit('packetCreate', { type: 'ping' });
    expect(monitor.pending).toBe(1);
    conn.emit('close', 'ping timeout');
    expect(conn.listenerCount('packet')).toBe(0);
    expect(conn.listenerCount('packetCreate')).toBe(0);
  });

  it('ignores an unsolicited pong and malformed packets', () => {
    const { conn, now } = fakeConnection();
    const monitor = measureHeartbeat(conn, { now });
    conn.emit('packet', { type: 'pong' });
    conn.emit('packet', undefined);
    conn.emit('packetCreate', null);
    expect(monitor.roundTrips).toEqual([]);
    monitor.stop();
  });

  it('throws for something that is not a connection, or bad options', () => {
    expect(() => measureHeartbeat({} as never)).toThrow(TypeError);
    expect(() => measureHeartbeat(new EventEmitter(), { maxSamples: 0 })).toThrow(RangeError);
    expect(() => measureHeartbeat(new EventEmitter(), { onRoundTrip: 1 as never })).toThrow(
      TypeError,
    );
  });
});
