import { readFileSync } from 'node:fs';
import { backoffCeilingMs } from '@socketlab/multiplexing';
import { describe, expect, it } from 'vitest';
import {
  compareBackoff,
  SOCKET_IO_RECONNECT_DEFAULTS,
  socketIoBackoffRange,
} from '../../../src/realtime/index.ts';

describe('socketIoBackoffRange', () => {
  it.each([
    [0, { minMs: 501, maxMs: 1499 }],
    [1, { minMs: 1001, maxMs: 2999 }],
    [2, { minMs: 2001, maxMs: 5000 }],
    [3, { minMs: 4001, maxMs: 5000 }],
    [4, { minMs: 5000, maxMs: 5000 }],
    [2000, { minMs: 5000, maxMs: 5000 }],
  ])("with Socket.IO's defaults, wait %i is %j", (retry, range) => {
    expect(socketIoBackoffRange(retry)).toEqual(range);
  });

  it('has no spread without randomization, and the spread of any factor otherwise', () => {
    expect(socketIoBackoffRange(2, { randomizationFactor: 0 })).toEqual({
      minMs: 4000,
      maxMs: 4000,
    });
    expect(
      socketIoBackoffRange(0, {
        reconnectionDelay: 100,
        reconnectionDelayMax: 200,
        randomizationFactor: 1,
      }),
    ).toEqual({ minMs: 1, maxMs: 199 });
    expect(socketIoBackoffRange(0, { reconnectionDelay: 7, randomizationFactor: 0.1 })).toEqual({
      minMs: 7,
      maxMs: 7,
    });
  });

  it('lies within the range Socket.IO itself draws from, for every draw', async () => {
    // Socket.IO's own Backoff (socket.io-client's contrib/backo2), fed every random value.
    const { Manager } = await import('socket.io-client');
    const manager = new Manager('http://127.0.0.1:9', {
      autoConnect: false,
      ...SOCKET_IO_RECONNECT_DEFAULTS,
    });
    const backoff = (manager as unknown as { backoff: { duration(): number; reset(): void } })
      .backoff;
    const random = Math.random;
    try {
      for (let i = 0; i < 200; i++) {
        Math.random = () => i / 200;
        for (let retry = 0; retry < 6; retry++) {
          const { minMs, maxMs } = socketIoBackoffRange(retry);
          const wait = backoff.duration();
          expect(wait).toBeGreaterThanOrEqual(minMs);
          expect(wait).toBeLessThanOrEqual(maxMs);
        }
        backoff.reset();
      }
    } finally {
      Math.random = random;
    }
  });

  it('throws for options out of range', () => {
    expect(() => socketIoBackoffRange(-1)).toThrow(RangeError);
    expect(() => socketIoBackoffRange(0.5)).toThrow(TypeError);
    expect(() => socketIoBackoffRange(0, { reconnectionDelay: 0 })).toThrow(RangeError);
    expect(() =>
      socketIoBackoffRange(0, { reconnectionDelay: 10, reconnectionDelayMax: 5 }),
    ).toThrow(RangeError);
    expect(() => socketIoBackoffRange(0, { randomizationFactor: 1.5 })).toThrow(RangeError);
  });
});

describe('compareBackoff', () => {
  it("puts Socket.IO's ranges next to stage 3's full jitter ceilings", () => {
    const rows = compareBackoff(8);
    expect(rows).toHaveLength(8);
    for (const row of rows) {
      expect(row.socketIo).toEqual(socketIoBackoffRange(row.retry));
      expect(row.fullJitter).toEqual({
        minMs: 0,
        maxMs: backoffCeilingMs(row.retry, { baseDelayMs: 100, maxDelayMs: 30_000 }),
      });
    }
    // Past the cap every Socket.IO client waits the same; full jitter still spreads them.
    expect(rows[7]?.socketIo).toEqual({ minMs: 5000, maxMs: 5000 });
    expect(rows[7]?.fullJitter).toEqual({ minMs: 0, maxMs: 12_800 });
    expect(rows[7]?.socketIoLatestMs).toBe(1499 + 2999 + 5000 * 6);
  });

  it('throws for a row count out of range', () => {
    expect(() => compareBackoff(0)).toThrow(RangeError);
    expect(() => compareBackoff(2, {}, { baseDelayMs: 10, maxDelayMs: 5 })).toThrow(RangeError);
  });
});

describe('the table in lessons/heartbeats.md', () => {
  it('is what compareBackoff(8) returns', () => {
    const lesson = readFileSync(new URL('../../../lessons/heartbeats.md', import.meta.url), 'utf8');
    const n = (text: string) => text.replaceAll(' ', '');

    for (const row of compareBackoff(8)) {
      const cells = [
        row.retry,
        `${row.socketIo.minMs}–${row.socketIo.maxMs}`,
        row.socketIoLatestMs,
        `${row.fullJitter.minMs}–${row.fullJitter.maxMs}`,
        row.fullJitterLatestMs,
      ];
      // The lesson groups thousands with a space ("1 499"): compared without spaces.
      const line = `|${cells.join('|')}|`;
      expect(n(lesson)).toContain(n(line));
    }
  });
});
