import { pollUntil } from '@socketlab/testkit';
import type { Socket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { CHAT_APP_LIMITS } from '../../src/contract.ts';
import { ROOMS_BROADCAST_INTERVAL_MS } from '../../src/server/handlers.ts';
import { createMemoryBackend } from '../../src/store/memory.ts';
import {
  ask,
  connectGuest,
  connectWith,
  inbox,
  next,
  refusalOf,
  startTestApp,
  welcomeOf,
} from '../helpers/chat.ts';

describe('connecting', () => {
  it('welcomes a connection with who it is and the limits it is held to', async () => {
    const app = await startTestApp({ limits: { historyPerRoom: 7 } });
    const ada = await connectGuest(app, 'ada');
    const { user, limits } = await welcomeOf(ada);
    expect(user).toMatchObject({ nick: 'ada', via: 'web' });
    expect(user.id).toMatch(/^guest:/);
    expect(limits).toEqual({ ...CHAT_APP_LIMITS, historyPerRoom: 7 });
  });
});

describe('maxConnections', () => {
  it('refuses a connection past it with REALTIME_ERR_LIMIT, and takes one again when one leaves', async () => {
    const app = await startTestApp({ maxConnections: 2 });
    const ada = await connectGuest(app, 'ada');
    await connectGuest(app, 'bob');
    const { token } = await app.issueGuestToken('carol');
    expect((await refusalOf(app, { token })).data).toEqual({
      code: 'REALTIME_ERR_LIMIT',
      reason: 'the server is full: try again later',
    });
    const gone = next(ada, 'disconnect');
    ada.disconnect();
    await gone;
    await pollUntil(async () => {
      try {
        return await connectWith(app, token);
      } catch {
        return undefined;
      }
    }, 'a free place');
  });
});

describe('join and leave', () => {
  it('answers join with the members and the last messages, and a second join the same, harmlessly', async () => {
    const app = await startTestApp({ limits: { historyPerRoom: 3 } });
    const ada = await connectGuest(app, 'ada');
    const first = await ask(ada, 'join', { room: 'lobby' });
    expect(first).toMatchObject({ ok: true, room: 'lobby', messages: [], truncated: false });
    expect(first.members).toEqual([(await welcomeOf(ada)).user]);
    for (const text of ['one', 'two', 'three', 'four', 'five']) {
      expect((await ask(ada, 'send', { room: 'lobby', text })).ok).toBe(true);
    }
    const again = await ask<{ messages: { text: string; seq: number }[] }>(ada, 'join', {
      room: 'lobby',
    });
    expect(again.messages.map((m) => m.text)).toEqual(['three', 'four', 'five']);
    expect(again.truncated).toBe(true);
    expect(again.members).toHaveLength(1);
  });

  it('resumes with join({ after }): only the messages after the cursor', async () => {
    const app = await startTestApp();
    const ada = await connectGuest(app, 'ada');
    await ask(ada, 'join', { room: 'lobby' });
    for (const text of ['one', 'two', 'three']) await ask(ada, 'send', { room: 'lobby', text });
    const bob = await connectGuest(app, 'bob');
    const resumed = await ask<{ messages: { text: string; seq: number }[] }>(bob, 'join', {
      room: 'lobby',
      after: 1,
    });
    expect(resumed.messages.map((m) => [m.seq, m.text])).toEqual([
      [2, 'two'],
      [3, 'three'],
    ]);
    expect(resumed.truncated).toBe(false);
    const upToDate = await ask(bob, 'join', { room: 'lobby', after: 3 });
    expect(upToDate).toMatchObject({ ok: true, messages: [], truncated: false });
  });

  it('stops delivering a room once left, and refuses to leave a room one is not in', async () => {
    const app = await startTestApp();
    const ada = await connectGuest(app, 'ada');
    const bob = await connectGuest(app, 'bob');
    await ask(ada, 'join', { room: 'a' });
    await ask(ada, 'join', { room: 'b' });
    await ask(bob, 'join', { room: 'a' });
    await ask(bob, 'join', { room: 'b' });
    expect(await ask(ada, 'leave', { room: 'a' })).toEqual({ ok: true, room: 'a' });
    const got = inbox<{ room: string; text: string }>(ada, 'message');
    const marker = next(ada, 'message', (m: { text: string }) => m.text === 'for ada');
    await ask(bob, 'send', { room: 'a', text: 'not for ada' });
    await ask(bob, 'send', { room: 'b', text: 'for ada' });
    await marker;
    expect(got.map((m) => m.text)).toEqual(['for ada']);
    expect(await ask(ada, 'leave', { room: 'a' })).toMatchObject({
      ok: false,
      error: { code: 'REALTIME_ERR_NOT_MEMBER' },
    });
  });

  it('holds a user to maxRoomsPerUser across their tabs, and lets them join again after a leave', async () => {
    const app = await startTestApp({ limits: { maxRoomsPerUser: 3 } });
    const { token } = await app.issueGuestToken('ada');
    const tab1 = await connectWith(app, token);
    const tab2 = await connectWith(app, token);
    for (const room of ['a', 'b']) expect((await ask(tab1, 'join', { room })).ok).toBe(true);
    expect((await ask(tab2, 'join', { room: 'a' })).ok).toBe(true); // already counted
    expect((await ask(tab2, 'join', { room: 'c' })).ok).toBe(true);
    const refused = await ask(tab2, 'join', { room: 'd' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'REALTIME_ERR_LIMIT' } });
    expect(refused.error?.reason).toMatch(/3 rooms/);
    await ask(tab1, 'leave', { room: 'b' });
    expect((await ask(tab1, 'join', { room: 'd' })).ok).toBe(true);
  });

  it.each([
    ['no object', 'lobby'],
    ['no room', {}],
    ['a room with a space', { room: 'a b' }],
    ['a room too long', { room: 'x'.repeat(33) }],
    ['a negative cursor', { room: 'lobby', after: -1 }],
    ['a fractional cursor', { room: 'lobby', after: 1.5 }],
  ])('refuses a join with %s (REALTIME_ERR_PAYLOAD)', async (_what, payload) => {
    const app = await startTestApp();
    const ada = await connectGuest(app, 'ada');
    const answer = await ask(ada, 'join', payload);
    expect(answer).toMatchObject({ ok: false, error: { code: 'REALTIME_ERR_PAYLOAD' } });
    expect(answer.error?.reason.length).toBeGreaterThan(10);
  });
});

describe('presence', () => {
  it('says present on a user first connection in a room and absent on their last', async () => {
    const app = await startTestApp();
    const bob = await connectGuest(app, 'bob');
    await ask(bob, 'join', { room: 'lobby' });
    const seen = inbox<{ user: { nick: string }; present: boolean }>(bob, 'presence');
    const { token } = await app.issueGuestToken('ada');
    const tab1 = await connectWith(app, token);
    const tab2 = await connectWith(app, token);
    await ask(tab1, 'join', { room: 'lobby' });
    const joined = await ask<{ members: { nick: string }[] }>(tab2, 'join', { room: 'lobby' });
    expect(joined.members.map((m) => m.nick).sort()).toEqual(['ada', 'bob']);
    await ask(tab1, 'leave', { room: 'lobby' });
    // A message after each step: events to one room arrive in order, so when it is here, any
    // presence event the steps caused is here too.
    const marker = next(bob, 'message', (m: { text: string }) => m.text === 'marker');
    await ask(bob, 'send', { room: 'lobby', text: 'marker' });
    await marker;
    expect(seen.map((p) => [p.user.nick, p.present])).toEqual([['ada', true]]);
    const gone = next(bob, 'presence', (p: { present: boolean }) => !p.present);
    tab2.disconnect();
    await gone;
    expect(seen.map((p) => [p.user.nick, p.present])).toEqual([
      ['ada', true],
      ['ada', false],
    ]);
  });
});

describe('presence grace', () => {
  /** Drops `socket`'s connection the way a reload or a network change does (no disconnect packet). */
  const drop = (socket: Socket): void => {
    socket.io.engine.close();
  };

  it('keeps a dropped connection present for presenceGraceMs, then says it left', async () => {
    const graceMs = 400;
    const app = await startTestApp({ presenceGraceMs: graceMs });
    const bob = await connectGuest(app, 'bob');
    const ada = await connectGuest(app, 'ada');
    await ask(bob, 'join', { room: 'lobby' });
    await ask(ada, 'join', { room: 'lobby' });
    const gone = next<{ present: boolean }>(bob, 'presence', (p) => !p.present);
    const droppedAt = performance.now();
    drop(ada);
    await gone;
    // Timers may fire a little early on some systems, never by a tenth of the grace.
    expect(performance.now() - droppedAt).toBeGreaterThanOrEqual(graceMs * 0.9);
  });

  it('shows no leaving and returning when a dropped user comes back within it', async () => {
    const app = await startTestApp({ presenceGraceMs: 60_000 });
    const bob = await connectGuest(app, 'bob');
    await ask(bob, 'join', { room: 'lobby' });
    const seen = inbox<{ user: { nick: string }; present: boolean }>(bob, 'presence');
    const { token } = await app.issueGuestToken('ada');
    const before = await connectWith(app, token);
    await ask(before, 'join', { room: 'lobby' });
    drop(before);
    const after = await connectWith(app, token);
    const joined = await ask<{ members: { nick: string }[] }>(after, 'join', { room: 'lobby' });
    expect(joined.members.map((m) => m.nick).sort()).toEqual(['ada', 'bob']);
    const marker = next(bob, 'message', (m: { text: string }) => m.text === 'marker');
    await ask(after, 'send', { room: 'lobby', text: 'marker' });
    await marker;
    expect(seen.map((p) => [p.user.nick, p.present])).toEqual([['ada', true]]);
  });

  it('lets a client that disconnects on purpose leave at once, and ends every grace on close', async () => {
    // Kept open past the app's close, to read what it left in the store.
    const backend = createMemoryBackend();
    const app = await startTestApp({
      presenceGraceMs: 60_000,
      backend: { ...backend, close: async () => {} },
    });
    const bob = await connectGuest(app, 'bob');
    const ada = await connectGuest(app, 'ada');
    const carol = await connectGuest(app, 'carol');
    for (const socket of [bob, ada, carol]) await ask(socket, 'join', { room: 'lobby' });
    const adaGone = next<{ user: { nick: string }; present: boolean }>(
      bob,
      'presence',
      (p) => !p.present,
    );
    ada.disconnect();
    expect((await adaGone).user.nick).toBe('ada');
    drop(carol);
    await pollUntil(() => app.io.of('/').sockets.size === 1, 'the server to see carol drop');
    // The dropped connection is still present: the room says so to whoever looks.
    const { rooms } = await ask<{ rooms: { name: string; members: number }[] }>(bob, 'rooms');
    expect(rooms).toEqual([expect.objectContaining({ name: 'lobby', members: 2 })]);
    await app.close();
    expect(await backend.stores.presence.occupied()).toEqual(new Map());
  });
});

describe('the room list', () => {
  it('lists occupied rooms and rooms with history, and is sent when a room is created or emptied', async () => {
    const app = await startTestApp();
    const ada = await connectGuest(app, 'ada');
    const bob = await connectGuest(app, 'bob');
    expect(await ask(ada, 'rooms')).toEqual({ ok: true, rooms: [] });
    const created = next<{ name: string }[]>(bob, 'rooms');
    await ask(ada, 'join', { room: 'quiet' });
    expect(await created).toEqual([{ name: 'quiet', members: 1, lastSeq: 0 }]);
    await ask(ada, 'join', { room: 'talk' });
    await ask(ada, 'send', { room: 'talk', text: 'hello' });
    expect(await ask(bob, 'rooms')).toEqual({
      ok: true,
      rooms: [
        { name: 'quiet', members: 1, lastSeq: 0 },
        { name: 'talk', members: 1, lastSeq: 1 },
      ],
    });
    const emptied = next<{ name: string }[]>(bob, 'rooms', (list) => list.length === 1);
    ada.disconnect();
    // quiet had no history: gone; talk keeps its messages: listed with nobody in it.
    expect(await emptied).toEqual([{ name: 'talk', members: 0, lastSeq: 1 }]);
  });
  it('coalesces the list: rooms created and emptied in a loop do not send it once a step', async () => {
    const app = await startTestApp();
    const mallory = await connectGuest(app, 'mallory');
    const bob = await connectGuest(app, 'bob');
    const lists = inbox<unknown[]>(bob, 'rooms');
    const startedAt = performance.now();
    for (let i = 0; i < 15; i++) {
      await ask(mallory, 'join', { room: `churn-${i}` });
      await ask(mallory, 'leave', { room: `churn-${i}` });
    }
    // The last list says what is true after the loop: nothing.
    const settled = next<unknown[]>(bob, 'rooms', (list) => list.length === 0);
    await ask(mallory, 'join', { room: 'final' });
    await ask(mallory, 'leave', { room: 'final' });
    await settled;
    // 32 changes, but one list per 250 ms at most (and one more for the last change).
    const elapsedMs = performance.now() - startedAt;
    expect(lists.length).toBeLessThanOrEqual(
      Math.ceil(elapsedMs / ROOMS_BROADCAST_INTERVAL_MS) + 1,
    );
    expect(lists.length).toBeLessThan(32);
  });
});

describe('history', () => {
  it('answers older pages with before and limit, at most historyPerRoom', async () => {
    const app = await startTestApp({ limits: { historyPerRoom: 4 } });
    const ada = await connectGuest(app, 'ada');
    await ask(ada, 'join', { room: 'lobby' });
    for (let i = 1; i <= 8; i++) await ask(ada, 'send', { room: 'lobby', text: `m${i}` });
    const page = await ask<{ messages: { seq: number }[] }>(ada, 'history', {
      room: 'lobby',
      before: 5,
      limit: 2,
    });
    expect(page.messages.map((m) => m.seq)).toEqual([3, 4]);
    expect(page.room).toBe('lobby');
    const capped = await ask<{ messages: { seq: number }[] }>(ada, 'history', {
      room: 'lobby',
      limit: 500,
    });
    expect(capped.messages.map((m) => m.seq)).toEqual([5, 6, 7, 8]);
  });

  it('refuses the history of a room one is not in, and a bad cursor', async () => {
    const app = await startTestApp();
    const ada = await connectGuest(app, 'ada');
    expect(await ask(ada, 'history', { room: 'lobby' })).toMatchObject({
      ok: false,
      error: { code: 'REALTIME_ERR_NOT_MEMBER' },
    });
    await ask(ada, 'join', { room: 'lobby' });
    for (const bad of [{ room: 'lobby', before: 0 }, { room: 'lobby', limit: 'all' }, []]) {
      expect(await ask(ada, 'history', bad)).toMatchObject({
        ok: false,
        error: { code: 'REALTIME_ERR_PAYLOAD' },
      });
    }
  });
});
