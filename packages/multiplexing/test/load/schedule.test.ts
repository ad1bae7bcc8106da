import { describe, expect, it } from 'vitest';
import { LoadSchedule, type LoadScheduleSettings } from '../../src/load/schedule.ts';

/**
 * Drives a schedule against a simulated echo server on a virtual clock: each reply comes
 * `serviceMs` after its send, except that the server stalls from `stallFromMs` to `stallToMs`:
 * a message sent in that window is answered at `stallToMs`. Deterministic to the microsecond.
 */
function simulate(
  settings: Omit<LoadScheduleSettings, 'startMs'>,
  server: { serviceMs: number; stallFromMs?: number; stallToMs?: number },
): LoadSchedule {
  const schedule = new LoadSchedule({ ...settings, startMs: 0 });
  const replies: { id: number; at: number }[] = [];
  let t = 0;
  for (let step = 0; step < 1_000_000; step++) {
    for (const send of schedule.poll(t)) {
      const stalled =
        server.stallFromMs !== undefined &&
        server.stallToMs !== undefined &&
        t >= server.stallFromMs &&
        t < server.stallToMs;
      replies.push({
        id: send.id,
        at: stalled ? (server.stallToMs as number) : t + server.serviceMs,
      });
    }
    replies.sort((a, b) => a.at - b.at);
    const due = schedule.nextDueMs();
    const reply = replies[0];
    if (reply === undefined && due === undefined) return schedule;
    if (reply !== undefined && (due === undefined || reply.at <= due)) {
      replies.shift();
      t = reply.at;
      expect(schedule.receive(reply.id, t)).toBe('recorded');
    } else {
      t = due as number;
    }
  }
  throw new Error('the simulation did not end in 1,000,000 steps');
}

const ONE_SECOND = { connections: 1, messagesPerSecond: 1000, durationMs: 1000, maxInFlight: 1 };

describe('LoadSchedule', () => {
  it('schedules rate × duration messages at evenly spaced intended times, round-robin', () => {
    const schedule = new LoadSchedule({ ...ONE_SECOND, connections: 3, startMs: 50 });
    expect(schedule.totalMessages).toBe(1000);
    expect(schedule.intendedTime(0)).toBe(50);
    expect(schedule.intendedTime(10)).toBe(60);
    const first = schedule.poll(52);
    expect(first.map((s) => [s.id, s.connection, s.intendedMs])).toEqual([
      [0, 0, 50],
      [1, 1, 51],
      [2, 2, 52],
    ]);
    // Connection 0 still waits for the reply to message 0: message 3 waits with its time kept.
    expect(schedule.poll(53)).toEqual([]);
    expect(schedule.counts()).toMatchObject({ scheduled: 4, sent: 3, unsent: 1, unanswered: 3 });
    expect(schedule.receive(0, 60)).toBe('recorded');
    expect(schedule.poll(60)).toEqual([{ id: 3, connection: 0, intendedMs: 53 }]);
  });

  it('reports the same latency both ways when the server keeps up', () => {
    const schedule = simulate(ONE_SECOND, { serviceMs: 0.25 });
    expect(schedule.counts()).toEqual({
      scheduled: 1000,
      sent: 1000,
      received: 1000,
      duplicates: 0,
      unsent: 0,
      unanswered: 0,
    });
    expect(schedule.corrected.summary().p99).toBeCloseTo(0.25, 2);
    expect(schedule.uncorrected.summary().p99).toBeCloseTo(0.25, 2);
  });

  it('counts a stall against every message that was due during it (coordinated omission corrected)', () => {
    // The server stalls for 500 ms in a 1 s run at 1,000 msg/s: half the messages were due
    // while it was stalled, and a user sending them would have waited up to 500 ms.
    const schedule = simulate(ONE_SECOND, { serviceMs: 0.25, stallFromMs: 200, stallToMs: 700 });
    const corrected = schedule.corrected.summary();
    const uncorrected = schedule.uncorrected.summary();
    expect(schedule.counts()).toMatchObject({ sent: 1000, received: 1000, unanswered: 0 });
    // Naive: only the one message in flight at the stall saw it; p99 stays at the service time.
    expect(uncorrected.max).toBeCloseTo(500, 0);
    expect(uncorrected.p99).toBeCloseTo(0.25, 2);
    // Corrected: the ~500 messages due in [200, 700) waited for the stall to end, from 500 ms
    // (message 200) down; the backlog then drains at 4 per ms while 1 more is due each ms.
    expect(corrected.max).toBeCloseTo(500, 0);
    expect(corrected.p90).toBeGreaterThan(300);
    expect(corrected.p99).toBeGreaterThan(450);
    expect(corrected.p50).toBeGreaterThan(uncorrected.p50);
    for (const p of ['p50', 'p90', 'p99', 'p999', 'max'] as const) {
      expect(corrected[p]).toBeGreaterThanOrEqual(uncorrected[p]);
    }
  });

  it('tells a duplicate from an id it never sent', () => {
    const schedule = new LoadSchedule({ ...ONE_SECOND, startMs: 0 });
    schedule.poll(0);
    expect(schedule.receive(0, 1)).toBe('recorded');
    expect(schedule.receive(0, 2)).toBe('duplicate');
    expect(schedule.receive(999, 2)).toBe('unknown');
    expect(schedule.receive(-1, 2)).toBe('unknown');
    expect(schedule.counts().duplicates).toBe(1);
  });

  it('stops sending on a dead connection and counts what it lost', () => {
    const schedule = new LoadSchedule({ ...ONE_SECOND, connections: 2, startMs: 0 });
    schedule.poll(1); // ids 0 and 1 sent
    schedule.markDead(1);
    expect(schedule.poll(5).map((s) => s.connection)).toEqual([]); // 0 waits for a reply; 1 is dead
    expect(schedule.receive(0, 5)).toBe('recorded');
    expect(schedule.poll(5).map((s) => s.id)).toEqual([2]);
    expect(schedule.counts()).toMatchObject({ sent: 3, received: 1, unanswered: 2, unsent: 3 });
  });
});
