import { ManualClock } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { watchChatHeartbeat } from '../../src/chat/heartbeat.ts';

function watched(maxMissed: number) {
  const clock = new ManualClock();
  const events: string[] = [];
  const beat = watchChatHeartbeat(clock, 100, maxMissed, {
    ping: () => events.push(`ping@${clock.now()}`),
    gone: (missed) => events.push(`gone@${clock.now()} after ${missed}`),
  });
  return { clock, events, beat };
}

describe('watchChatHeartbeat', () => {
  it('pings a client silent for one interval and gives it up after maxMissed', () => {
    const { clock, events } = watched(3);
    clock.advance(1_000);
    expect(events).toEqual(['ping@100', 'ping@200', 'gone@300 after 3']);
    expect(clock.pending).toBe(0);
  });

  it('never pings a client that keeps talking, and forgives one that answers', () => {
    const { clock, events, beat } = watched(2);
    for (let i = 0; i < 10; i++) {
      beat.heard();
      clock.advance(100);
    }
    expect(events).toEqual([]);
    clock.advance(100); // silent: pinged
    beat.heard(); // answered
    clock.advance(100);
    clock.advance(100); // silent again: pinged, not gone (the count started over)
    expect(events).toEqual(['ping@1100', 'ping@1300']);
    clock.advance(100);
    expect(events.at(-1)).toBe('gone@1400 after 2');
  });

  it('stops when told', () => {
    const { clock, events, beat } = watched(2);
    beat.stop();
    clock.advance(1_000);
    expect(events).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});
