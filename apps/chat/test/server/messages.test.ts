import { describe, expect, it } from 'vitest';
import { ask, connectGuest, connectWith, inbox, next, startTestApp } from '../helpers/chat.ts';

describe('send', () => {
  it('stores a message and sends it to the whole room, the sender sockets included', async () => {
    const app = await startTestApp();
    const { token, user } = await app.issueGuestToken('ada');
    const tab1 = await connectWith(app, token);
    const tab2 = await connectWith(app, token);
    const bob = await connectGuest(app, 'bob');
    for (const socket of [tab1, tab2, bob]) await ask(socket, 'join', { room: 'lobby' });
    const arrivals = [tab1, tab2, bob].map((socket) => next(socket, 'message'));
    const before = Date.now();
    const sent = await ask<{ id: string; seq: number; at: number }>(tab1, 'send', {
      room: 'lobby',
      text: 'hello',
    });
    expect(sent).toMatchObject({ ok: true, seq: 1 });
    expect(sent.at).toBeGreaterThanOrEqual(before);
    for (const got of await Promise.all(arrivals)) {
      expect(got).toEqual({
        id: sent.id,
        room: 'lobby',
        seq: 1,
        from: user,
        kind: 'text',
        text: 'hello',
        at: sent.at,
      });
    }
  });

  it('carries an action (/me) and numbers each room on its own', async () => {
    const app = await startTestApp();
    const ada = await connectGuest(app, 'ada');
    await ask(ada, 'join', { room: 'a' });
    await ask(ada, 'join', { room: 'b' });
    const got = inbox<{ room: string; seq: number; kind: string }>(ada, 'message');
    await ask(ada, 'send', { room: 'a', text: 'one' });
    await ask(ada, 'send', { room: 'a', text: 'waves', kind: 'action' });
    const last = next(ada, 'message', (m: { room: string }) => m.room === 'b');
    await ask(ada, 'send', { room: 'b', text: 'one' });
    await last;
    expect(got.map((m) => [m.room, m.seq, m.kind])).toEqual([
      ['a', 1, 'text'],
      ['a', 2, 'action'],
      ['b', 1, 'text'],
    ]);
  });

  it.each([
    ['not an object', 'hello', 'REALTIME_ERR_PAYLOAD'],
    ['no text', { room: 'lobby' }, 'REALTIME_ERR_PAYLOAD'],
    ['only spaces', { room: 'lobby', text: '   ' }, 'REALTIME_ERR_PAYLOAD'],
    ['a text that is not a string', { room: 'lobby', text: { a: 1 } }, 'REALTIME_ERR_PAYLOAD'],
    ['an unknown kind', { room: 'lobby', text: 'hi', kind: 'shout' }, 'REALTIME_ERR_PAYLOAD'],
    ['a bad room name', { room: '../etc', text: 'hi' }, 'REALTIME_ERR_PAYLOAD'],
    ['a text over maxTextLength', { room: 'lobby', text: 'x'.repeat(2001) }, 'REALTIME_ERR_LIMIT'],
    ['a room one is not in', { room: 'elsewhere', text: 'hi' }, 'REALTIME_ERR_NOT_MEMBER'],
  ])('refuses a message with %s, storing nothing', async (_what, payload, code) => {
    const app = await startTestApp();
    const ada = await connectGuest(app, 'ada');
    await ask(ada, 'join', { room: 'lobby' });
    const answer = await ask(ada, 'send', payload);
    expect(answer).toMatchObject({ ok: false, error: { code } });
    expect(answer.error?.reason).toMatch(/\w+ \w+/);
    expect(await ask(ada, 'rooms')).toMatchObject({ rooms: [{ name: 'lobby', lastSeq: 0 }] });
  });

  it('refuses an event the contract does not name, and ignores one with no acknowledgement', async () => {
    const app = await startTestApp();
    const ada = await connectGuest(app, 'ada');
    ada.emit('shout', { room: 'lobby' });
    expect(await ask(ada, 'sned', { room: 'lobby', text: 'hi' })).toEqual({
      ok: false,
      error: { code: 'REALTIME_ERR_PAYLOAD', reason: 'no such event: "sned" (see the contract)' },
    });
    expect(await ask(ada, 'rooms')).toEqual({ ok: true, rooms: [] });
  });

  it('tells a client that sends a request without an acknowledgement, and does nothing', async () => {
    const app = await startTestApp();
    const ada = await connectGuest(app, 'ada');
    const told = next<{ code: string; reason: string }>(ada, 'notice');
    ada.emit('join', { room: 'lobby' });
    expect(await told).toMatchObject({ code: 'REALTIME_ERR_PAYLOAD' });
    expect(await ask(ada, 'rooms')).toEqual({ ok: true, rooms: [] });
  });
});

describe('typing', () => {
  it('shows typing to the room, and stops on a stop, on a message, and by itself', async () => {
    const app = await startTestApp({ typingExpireMs: 150 });
    const ada = await connectGuest(app, 'ada');
    const bob = await connectGuest(app, 'bob');
    await ask(ada, 'join', { room: 'lobby' });
    await ask(bob, 'join', { room: 'lobby' });
    const seen = inbox<{ room: string; user: { nick: string }; typing: boolean }>(bob, 'typing');

    let change = next(bob, 'typing');
    ada.emit('typing', { room: 'lobby', typing: true });
    expect(await change).toMatchObject({ room: 'lobby', user: { nick: 'ada' }, typing: true });
    change = next(bob, 'typing');
    ada.emit('typing', { room: 'lobby', typing: false });
    expect(await change).toMatchObject({ typing: false });

    // The expiry: no stop, no message (a start right after a stop is throttled for 1 s, so use bob).
    const expired = [ada, bob].map((socket) =>
      next(
        socket,
        'typing',
        (t: { typing: boolean; user: { nick: string } }) => !t.typing && t.user.nick === 'bob',
      ),
    );
    bob.emit('typing', { room: 'lobby', typing: true });
    expect(await expired[0]).toMatchObject({ user: { nick: 'bob' }, typing: false });
    await expired[1];
    expect(seen.map((t) => [t.user.nick, t.typing])).toEqual([
      ['ada', true],
      ['ada', false],
      ['bob', true],
      ['bob', false],
    ]);
  });

  it('stops typing when the typist sends, and ignores typing in a room one is not in', async () => {
    const app = await startTestApp();
    const ada = await connectGuest(app, 'ada');
    const bob = await connectGuest(app, 'bob');
    await ask(ada, 'join', { room: 'lobby' });
    await ask(bob, 'join', { room: 'lobby' });
    const seen = inbox<{ typing: boolean }>(bob, 'typing');
    ada.emit('typing', { room: 'elsewhere', typing: true });
    ada.emit('typing', 'garbage');
    ada.emit('typing', { room: 'lobby', typing: 'yes' });
    const started = next(bob, 'typing');
    ada.emit('typing', { room: 'lobby', typing: true });
    await started;
    const stopped = next(bob, 'typing', (t: { typing: boolean }) => !t.typing);
    const message = next(bob, 'message');
    await ask(ada, 'send', { room: 'lobby', text: 'done typing' });
    await Promise.all([stopped, message]);
    expect(seen.map((t) => t.typing)).toEqual([true, false]);
  });
});
