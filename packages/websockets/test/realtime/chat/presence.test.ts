import { ManualClock } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type PresenceChange, PresenceTracker } from '../../../src/realtime/chat/index.ts';

function tracker(graceMs = 5000) {
  const clock = new ManualClock();
  const changes: PresenceChange[] = [];
  const presence = new PresenceTracker({ graceMs, clock, onChange: (c) => changes.push(c) });
  return { clock, changes, presence };
}

describe('PresenceTracker', () => {
  it('reports a user joining a room once, and lists members in order of arrival', () => {
    const { changes, presence } = tracker();
    expect(presence.join('general', 'ada', 's1')).toEqual({
      type: 'join',
      room: 'general',
      userId: 'ada',
    });
    presence.join('general', 'bob', 's2');
    expect(presence.members('general')).toEqual(['ada', 'bob']);
    expect(changes.map((c) => `${c.type} ${c.userId}`)).toEqual(['join ada', 'join bob']);
  });

  it('counts a user with two tabs once: the second tab joining or leaving changes nothing', () => {
    const { changes, presence } = tracker();
    presence.join('general', 'ada', 'tab1');
    expect(presence.join('general', 'ada', 'tab2')).toBeUndefined();
    expect(presence.leave('general', 'tab1')).toBeUndefined();
    expect(presence.members('general')).toEqual(['ada']);
    expect(presence.leave('general', 'tab2')).toEqual({
      type: 'leave',
      room: 'general',
      userId: 'ada',
    });
    expect(presence.members('general')).toEqual([]);
    expect(presence.roomCount).toBe(0);
    expect(changes).toHaveLength(2);
  });

  it('keeps a user whose last socket disconnected for the grace period, then reports the leave', () => {
    const { clock, changes, presence } = tracker(5000);
    presence.join('general', 'ada', 's1');
    presence.join('random', 'ada', 's1');
    expect(presence.disconnect('s1')).toEqual(['general', 'random']);
    expect(presence.has('general', 'ada')).toBe(true);
    expect(presence.isConnected('general', 'ada')).toBe(false);
    clock.advance(4999);
    expect(changes.map((c) => c.type)).toEqual(['join', 'join']);
    clock.advance(1);
    expect(changes.slice(2)).toEqual([
      { type: 'leave', room: 'general', userId: 'ada' },
      { type: 'leave', room: 'random', userId: 'ada' },
    ]);
    expect(presence.has('general', 'ada')).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it('does not flap when the user reconnects within the grace period', () => {
    const { clock, changes, presence } = tracker(5000);
    presence.join('general', 'ada', 'old');
    presence.disconnect('old');
    clock.advance(3000);
    expect(presence.join('general', 'ada', 'new')).toBeUndefined();
    expect(clock.pending).toBe(0);
    clock.advance(10_000);
    expect(changes).toEqual([{ type: 'join', room: 'general', userId: 'ada' }]);
    expect(presence.isConnected('general', 'ada')).toBe(true);
  });

  it('does not start a grace period when another tab is still connected', () => {
    const { clock, presence } = tracker();
    presence.join('general', 'ada', 'tab1');
    presence.join('general', 'ada', 'tab2');
    expect(presence.disconnect('tab1')).toEqual([]);
    expect(clock.pending).toBe(0);
    expect(presence.isConnected('general', 'ada')).toBe(true);
  });

  it('leaves at once on an explicit leave, and forgets the socket after its last room', () => {
    const { presence } = tracker();
    presence.join('general', 'ada', 's1');
    expect(presence.roomsOf('s1')).toEqual(['general']);
    presence.leave('general', 's1');
    expect(presence.roomsOf('s1')).toEqual([]);
    expect(presence.leave('general', 's1')).toBeUndefined();
    expect(presence.disconnect('s1')).toEqual([]);
  });

  it('ignores unknown sockets and rooms', () => {
    const { presence } = tracker();
    expect(presence.leave('nowhere', 'ghost')).toBeUndefined();
    expect(presence.disconnect('ghost')).toEqual([]);
    expect(presence.members('nowhere')).toEqual([]);
  });

  it('refuses one socket for two users', () => {
    const { presence } = tracker();
    presence.join('a', 'ada', 's1');
    expect(() => presence.join('b', 'bob', 's1')).toThrow(TypeError);
  });

  it('clear() cancels every grace timer without reporting', () => {
    const { clock, changes, presence } = tracker();
    presence.join('general', 'ada', 's1');
    presence.disconnect('s1');
    presence.clear();
    expect(clock.pending).toBe(0);
    expect(changes).toHaveLength(1);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('refuses graceMs %s', (graceMs) => {
    expect(() => new PresenceTracker({ graceMs })).toThrow(RangeError);
  });

  it('agrees with a model after any sequence of joins, leaves, disconnects and time (property)', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('join' as const),
        room: fc.constantFrom('a', 'b'),
        socket: fc.integer({ min: 0, max: 5 }),
      }),
      fc.record({
        kind: fc.constant('leave' as const),
        room: fc.constantFrom('a', 'b'),
        socket: fc.integer({ min: 0, max: 5 }),
      }),
      fc.record({
        kind: fc.constant('disconnect' as const),
        socket: fc.integer({ min: 0, max: 5 }),
      }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 150 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const { clock, changes, presence } = tracker(100);
        // Sockets 0-2 belong to ada, 3-5 to bob; a disconnected socket id is never reused.
        const userOf = (socket: number): string => (socket < 3 ? 'ada' : 'bob');
        const generation = [0, 0, 0, 0, 0, 0];
        const sid = (socket: number): string => `${socket}.${generation[socket]}`;
        // The model: connected sockets per room, and when each user's last socket went.
        const inRoom = { a: new Set<number>(), b: new Set<number>() };
        const goneAt = new Map<string, number>();
        const present = new Map<string, boolean>();
        for (const step of ops) {
          if (step.kind === 'join') {
            presence.join(step.room, userOf(step.socket), sid(step.socket));
            inRoom[step.room].add(step.socket);
            goneAt.delete(`${step.room}/${userOf(step.socket)}`);
            present.set(`${step.room}/${userOf(step.socket)}`, true);
          } else if (step.kind === 'leave') {
            presence.leave(step.room, sid(step.socket));
            if (inRoom[step.room].delete(step.socket)) {
              const key = `${step.room}/${userOf(step.socket)}`;
              const others = [...inRoom[step.room]].some((s) => userOf(s) === userOf(step.socket));
              if (!others && !goneAt.has(key)) present.set(key, false);
            }
          } else if (step.kind === 'disconnect') {
            presence.disconnect(sid(step.socket));
            generation[step.socket] = (generation[step.socket] ?? 0) + 1;
            for (const room of ['a', 'b'] as const) {
              if (!inRoom[room].delete(step.socket)) continue;
              const key = `${room}/${userOf(step.socket)}`;
              const others = [...inRoom[room]].some((s) => userOf(s) === userOf(step.socket));
              if (!others && !goneAt.has(key)) goneAt.set(key, clock.now());
            }
          } else {
            clock.advance(step.ms);
            for (const [key, at] of goneAt) {
              if (clock.now() - at >= 100) {
                goneAt.delete(key);
                present.set(key, false);
              }
            }
          }
          for (const room of ['a', 'b'] as const) {
            const expected = ['ada', 'bob'].filter((u) => present.get(`${room}/${u}`) === true);
            expect(presence.members(room).sort()).toEqual(expected);
          }
        }
        // Changes alternate join/leave for each room and user: never two joins in a row.
        const last = new Map<string, string>();
        for (const change of changes) {
          const key = `${change.room}/${change.userId}`;
          expect(last.get(key) ?? 'leave').not.toBe(change.type);
          last.set(key, change.type);
        }
      }),
    );
  });
});
