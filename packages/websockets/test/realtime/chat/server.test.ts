import { ManualClock, pollUntil, withTimeout } from '@socketlab/testkit';
import type { Socket as ServerSocket } from 'socket.io';
import { describe, expect, it, onTestFinished } from 'vitest';
import { attachChat, type ChatMessage } from '../../../src/realtime/chat/index.ts';
import { ask, client, collect, next, startIo } from './harness.ts';

type Answer = { ok: boolean; error?: { code: string; reason: string } } & Record<string, unknown>;

/** A round trip on `socket`'s own connection: whatever the server wrote to it before is in. */
const barrier = (socket: Parameters<typeof ask>[0]) => ask(socket, 'history', { room: 'zz' });

async function chatServer(options: Parameters<typeof attachChat>[1] = {}) {
  const { io, port } = await startIo();
  const chat = attachChat(io, { presenceGraceMs: 0, ...options });
  return { io, port, chat };
}

describe('attachChat on real sockets', () => {
  it('delivers a message to the room’s other members only, with server-set id, user and time', async () => {
    let ids = 0;
    const { port } = await chatServer({ newId: () => `m${++ids}`, now: () => 1_000 });
    const [ada, bob, cat, dan] = await Promise.all([
      client(port, 'ada'),
      client(port, 'bob'),
      client(port, 'cat'),
      client(port, 'dan'),
    ]);
    for (const socket of [ada, bob, cat]) {
      expect((await ask<Answer>(socket, 'join', 'general')).ok).toBe(true);
    }
    await ask(dan, 'join', 'random');
    const toAda = collect<ChatMessage>(ada, 'message');
    const toDan = collect<ChatMessage>(dan, 'message');
    const atBob = next<ChatMessage>(bob, 'message');
    const atCat = next<ChatMessage>(cat, 'message');
    const answer = await ask<Answer>(ada, 'message', {
      room: 'general',
      text: 'hello',
      userId: 'mallory',
      id: 'forged',
      at: 0,
    });
    expect(answer).toEqual({ ok: true, id: 'm1', seq: 1, at: 1_000 });
    const expected = { id: 'm1', seq: 1, room: 'general', userId: 'ada', text: 'hello', at: 1_000 };
    expect(await atBob).toEqual(expected);
    expect(await atCat).toEqual(expected);
    await Promise.all([barrier(ada), barrier(dan)]);
    expect(toAda).toEqual([]);
    expect(toDan).toEqual([]);
  });

  it('answers join with the members and recent history, and tells the room who joined', async () => {
    const { port } = await chatServer();
    const [ada, bob] = await Promise.all([client(port, 'ada'), client(port, 'bob')]);
    await ask(ada, 'join', 'general');
    await ask(ada, 'message', { room: 'general', text: 'first' });
    const presence = next(ada, 'presence');
    const joined = await ask<Answer>(bob, 'join', 'general');
    expect(joined).toMatchObject({ ok: true, room: 'general', members: ['ada', 'bob'] });
    expect((joined.history as ChatMessage[]).map((m) => m.text)).toEqual(['first']);
    expect(await presence).toEqual({ type: 'join', room: 'general', userId: 'bob' });
    // Joining again is harmless.
    expect(await ask<Answer>(bob, 'join', 'general')).toMatchObject({ ok: true });
  });

  it('stops delivery after leave, and tells the room', async () => {
    const { port } = await chatServer();
    const [ada, bob] = await Promise.all([client(port, 'ada'), client(port, 'bob')]);
    await ask(ada, 'join', 'general');
    await ask(bob, 'join', 'general');
    const left = next(ada, 'presence');
    expect(await ask<Answer>(bob, 'leave', 'general')).toEqual({ ok: true, room: 'general' });
    expect(await left).toEqual({ type: 'leave', room: 'general', userId: 'bob' });
    const toBob = collect(bob, 'message');
    await ask(ada, 'message', { room: 'general', text: 'gone?' });
    await barrier(bob);
    expect(toBob).toEqual([]);
    const notMember = await ask<Answer>(bob, 'message', { room: 'general', text: 'back?' });
    expect(notMember.error?.code).toBe('REALTIME_ERR_NOT_MEMBER');
    expect((await ask<Answer>(bob, 'leave', 'general')).error?.code).toBe(
      'REALTIME_ERR_NOT_MEMBER',
    );
  });

  it('counts a user with two tabs once, and delivers to their other tab', async () => {
    const { port, chat } = await chatServer();
    const [tab1, tab2, bob] = await Promise.all([
      client(port, 'ada'),
      client(port, 'ada'),
      client(port, 'bob'),
    ]);
    await ask(bob, 'join', 'general');
    const presence = collect(bob, 'presence');
    await ask(tab1, 'join', 'general');
    await ask(tab2, 'join', 'general');
    const atTab2 = next<ChatMessage>(tab2, 'message');
    await ask(tab1, 'message', { room: 'general', text: 'from tab 1' });
    expect((await atTab2).text).toBe('from tab 1');
    await ask(tab1, 'leave', 'general');
    await barrier(bob);
    expect(presence).toEqual([{ type: 'join', room: 'general', userId: 'ada' }]);
    expect(chat.presence.members('general')).toEqual(['bob', 'ada']);
  });

  it.each([
    ['a string', 'hello'],
    ['an array', [{ room: 'general', text: 'hi' }]],
    ['a bad room', { room: '../general', text: 'hi' }],
    ['an empty text', { room: 'general', text: '' }],
    ['a text too long', { room: 'general', text: 'x'.repeat(2001) }],
    ['a text that is an object', { room: 'general', text: { nested: true } }],
    ['no payload at all', undefined],
  ])('refuses %s with an error ack, and relays nothing', async (_, payload) => {
    const { port } = await chatServer();
    const [ada, bob] = await Promise.all([client(port, 'ada'), client(port, 'bob')]);
    await ask(ada, 'join', 'general');
    await ask(bob, 'join', 'general');
    const toBob = collect(bob, 'message');
    const answer = await ask<Answer>(ada, 'message', payload);
    expect(answer.ok).toBe(false);
    expect(answer.error?.code).toBe('REALTIME_ERR_PAYLOAD');
    await barrier(bob);
    expect(toBob).toEqual([]);
  });

  it('survives a deeply nested payload, and still serves everyone', async () => {
    const { port } = await chatServer();
    const [ada, bob] = await Promise.all([client(port, 'ada'), client(port, 'bob')]);
    await ask(ada, 'join', 'general');
    await ask(bob, 'join', 'general');
    let deep: unknown = 'x';
    for (let i = 0; i < 2000; i++) deep = { text: deep };
    const answer = await ask<Answer>(ada, 'message', { room: 'general', text: deep, deep });
    expect(answer.error?.code).toBe('REALTIME_ERR_PAYLOAD');
    const atBob = next<ChatMessage>(bob, 'message');
    await ask(ada, 'message', { room: 'general', text: 'still here' });
    expect((await atBob).text).toBe('still here');
  });

  it('ignores events sent without an acknowledgement, and answers bad joins', async () => {
    const { port } = await chatServer();
    const ada = await client(port, 'ada');
    ada.emit('join', 'general');
    ada.emit('message', { room: 'general', text: 'no ack' });
    ada.emit('history');
    ada.emit('leave', 42, 'extra', 'args');
    expect((await ask<Answer>(ada, 'join', 'user:bob')).error?.code).toBe('REALTIME_ERR_PAYLOAD');
    expect((await ask<Answer>(ada, 'join', { room: 'general' })).error?.code).toBe(
      'REALTIME_ERR_PAYLOAD',
    );
    const history = await ask<Answer>(ada, 'history', { room: 'general' });
    expect((history.messages as ChatMessage[]).map((m) => m.text)).toEqual(['no ack']);
  });

  it('caps the rooms one connection may be in', async () => {
    const { port } = await chatServer({ maxRoomsPerSocket: 2 });
    const ada = await client(port, 'ada');
    await ask(ada, 'join', 'a');
    await ask(ada, 'join', 'b');
    expect(await ask<Answer>(ada, 'join', 'b')).toMatchObject({ ok: true });
    expect((await ask<Answer>(ada, 'join', 'c')).error?.code).toBe('REALTIME_ERR_LIMIT');
    await ask(ada, 'leave', 'a');
    expect(await ask<Answer>(ada, 'join', 'c')).toMatchObject({ ok: true });
  });

  it('pages history with a before cursor, and refuses more than a room keeps', async () => {
    const { port } = await chatServer({ historyPerRoom: 5 });
    const ada = await client(port, 'ada');
    await ask(ada, 'join', 'general');
    for (let i = 1; i <= 7; i++) await ask(ada, 'message', { room: 'general', text: `m${i}` });
    const texts = (answer: Answer) => (answer.messages as ChatMessage[]).map((m) => m.text);
    const last = await ask<Answer>(ada, 'history', { room: 'general', limit: 2 });
    expect(texts(last)).toEqual(['m6', 'm7']);
    const seq = (last.messages as ChatMessage[])[0]?.seq;
    expect(
      texts(await ask<Answer>(ada, 'history', { room: 'general', before: seq, limit: 2 })),
    ).toEqual(['m4', 'm5']);
    expect((await ask<Answer>(ada, 'history', { room: 'general', limit: 6 })).error?.code).toBe(
      'REALTIME_ERR_LIMIT',
    );
    for (const bad of [{ room: 'general', before: -1 }, { room: 'general', limit: 1.5 }, null]) {
      expect((await ask<Answer>(ada, 'history', bad)).error?.code).toBe('REALTIME_ERR_PAYLOAD');
    }
    expect((await ask<Answer>(ada, 'history', { room: 'secret' })).error?.code).toBe(
      'REALTIME_ERR_NOT_MEMBER',
    );
  });

  it('relays typing to the others, throttles it, and stops it when the message is sent', async () => {
    const { port } = await chatServer({ typingThrottleMs: 60_000 });
    const [ada, bob] = await Promise.all([client(port, 'ada'), client(port, 'bob')]);
    await ask(ada, 'join', 'general');
    await ask(bob, 'join', 'general');
    const typing = collect(bob, 'typing');
    expect(await ask<Answer>(ada, 'typing', { room: 'general', typing: true })).toMatchObject({
      result: 'started',
    });
    expect(await ask<Answer>(ada, 'typing', { room: 'general', typing: true })).toMatchObject({
      result: 'throttled',
    });
    for (let i = 0; i < 20; i++) ada.emit('typing', { room: 'general', typing: true });
    await ask(ada, 'message', { room: 'general', text: 'done typing' });
    expect((await ask<Answer>(ada, 'typing', { room: 'general', typing: 'yes' })).error?.code).toBe(
      'REALTIME_ERR_PAYLOAD',
    );
    await barrier(bob);
    expect(typing).toEqual([
      { room: 'general', userId: 'ada', typing: true },
      { room: 'general', userId: 'ada', typing: false },
    ]);
  });

  it('keeps a disconnected user present for the grace period, so a quick reconnect does not flap', async () => {
    const clock = new ManualClock();
    const { io, port, chat } = await chatServer({ presenceGraceMs: 5000, clock });
    const bob = await client(port, 'bob');
    await ask(bob, 'join', 'general');
    const first = await client(port, 'ada');
    await ask(first, 'join', 'general');
    const presence = collect(bob, 'presence');
    const gone = new Promise<void>((resolve) => {
      for (const socket of io.sockets.sockets.values()) {
        if (socket.data.userId === 'ada')
          (socket as ServerSocket).once('disconnect', () => resolve());
      }
    });
    first.disconnect();
    await withTimeout(gone, 'the server to see ada disconnect');
    expect(chat.presence.members('general')).toEqual(['bob', 'ada']);
    clock.advance(4000);
    const second = await client(port, 'ada');
    await ask(second, 'join', 'general');
    clock.advance(10_000);
    await barrier(bob);
    expect(presence).toEqual([]);
    // A disconnect that is not followed by a reconnect reports the leave when the grace ends.
    const leave = next(bob, 'presence');
    second.disconnect();
    await pollUntil(
      () => !chat.presence.isConnected('general', 'ada'),
      'the server to see the second tab go',
    );
    clock.advance(5000);
    expect(await leave).toEqual({ type: 'leave', room: 'general', userId: 'ada' });
  });

  it('refuses a connection without a user when userIdOf says so', async () => {
    const { port } = await chatServer({ userIdOf: (socket) => socket.data.userId });
    const anonymous = await client(port);
    expect((await ask<Answer>(anonymous, 'join', 'general')).error?.code).toBe('REALTIME_ERR_AUTH');
  });

  it('close() detaches: requests are no longer handled', async () => {
    const { io, port, chat } = await chatServer();
    // A probe of the test's own, answered in order after whatever the client sent before it.
    io.on('connection', (socket) => socket.on('probe', (ack: () => void) => ack()));
    const ada = await client(port, 'ada');
    expect((await ask<Answer>(ada, 'join', 'general')).ok).toBe(true);
    chat.close();
    let answered = false;
    ada.emit('join', 'other', () => {
      answered = true;
    });
    await ask(ada, 'probe');
    expect(answered).toBe(false);
    expect(chat.presence.members('other')).toEqual([]);
  });

  it('runs on one namespace, apart from the others', async () => {
    const { io, port } = await startIo();
    const chat = attachChat(io.of('/chat'), { presenceGraceMs: 0 });
    onTestFinished(() => chat.close());
    const [ada, bob] = await Promise.all([
      client(port, 'ada', undefined, '/chat'),
      client(port, 'bob', undefined, '/chat'),
    ]);
    // The main namespace has no chat, only a probe of the test's own, answered in order.
    io.on('connection', (socket) => socket.on('probe', (ack: () => void) => ack()));
    const outsider = await client(port, 'cat');
    await ask(ada, 'join', 'general');
    await ask(bob, 'join', 'general');
    const atBob = next<ChatMessage>(bob, 'message');
    await ask(ada, 'message', { room: 'general', text: 'in /chat' });
    expect((await atBob).text).toBe('in /chat');
    let answered = false;
    outsider.emit('join', 'general', () => {
      answered = true;
    });
    await ask(outsider, 'probe');
    expect(answered).toBe(false);
  });
});
