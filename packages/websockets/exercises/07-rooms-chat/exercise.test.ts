import { lessonOf, pollUntil, type ServerUnderTest, startGradedServer } from '@socketlab/testkit';
import {
  type AckAnswer,
  connectSocketIo,
  showValue,
  socketIoGrader,
} from '@socketlab/testkit/socket-io';
import type { Socket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';

// A wire-level spec: several socket.io-client clients at once talk to the server, so it grades
// the solution, your exercise, or a Socket.IO server in any language
// (SOCKETLAB_TARGET='cmd:python3 my_server.py', its port in PORT).
type Exercise = typeof import('./exercise.ts');

const lesson = lessonOf(import.meta.url);

function startTarget(): Promise<ServerUnderTest> {
  return startGradedServer<Exercise>(import.meta.url, (mod) => mod.startRoomsChat({ port: 0 }), {
    uncaughtHint: `A handler threw, and took the whole server down with it: check every payload (and that an acknowledgement was sent) before using it. ${lesson.see('Hostile clients')}`,
  });
}

/** Connects `count` clients at once (bounded), each disconnected when the test ends. */
function clients(server: ServerUnderTest, count: number): Promise<Socket[]> {
  return Promise.all(
    Array.from({ length: count }, () =>
      connectSocketIo(
        `http://${server.host}:${server.port}`,
        `a socket.io-client to connect to ${server.description}`,
      ),
    ),
  );
}

const grade = socketIoGrader({
  noAnswer: `every event is answered through its acknowledgement. ${lesson.see('The contract')}`,
  notOk: lesson.see('The contract'),
  noEvent: lesson.see('Who receives a message'),
});
const { ask, ok } = grade;
const show = showValue;
type Answer = AckAnswer;
/** Everything `socket` receives as `message` from now on. */
const inbox = (socket: Socket): unknown[] => grade.inbox(socket, 'message');
/** The next `message` on `socket`, bounded, with a failure that says what was awaited. */
const nextMessage = (socket: Socket, what: string): Promise<unknown> =>
  grade.next(socket, 'message', what);

/**
 * A round trip on each socket's own connection: the server answers requests in order, so
 * anything it sent a socket before answering this has arrived when the answer does.
 */
const settle = (sockets: Socket[]) => Promise.all(sockets.map((s) => ask(s, 'members', 'settle')));

function expectNothing(got: unknown[], who: string, why: string): void {
  expect(
    got,
    `${who} received ${show(got)}, but ${why}. ${lesson.see('Who receives a message')}`,
  ).toEqual([]);
}

describe('07 · a rooms chat, graded by several clients at once', () => {
  it('join answers { ok: true, room }, and refuses a room name that breaks the rule', async () => {
    const server = await startTarget();
    const [ada] = await clients(server, 1);
    expect(await ok(ada as Socket, 'join', 'lobby')).toEqual({ ok: true, room: 'lobby' });
    expect(await ok(ada as Socket, 'join', 'lobby')).toEqual({ ok: true, room: 'lobby' });
    expect(await ok(ada as Socket, 'join', 'A_b-9'.padEnd(32, 'x'))).toMatchObject({ ok: true });
    for (const bad of [
      '',
      'x'.repeat(33),
      'two words',
      'café',
      'a/b',
      'user:1',
      42,
      null,
      ['lobby'],
      { room: 'lobby' },
    ]) {
      const answer = await ask(ada as Socket, 'join', bad);
      expect(
        answer,
        `join ${show(bad)} was answered ${show(answer)}. ${lesson.see('Room names')}`,
      ).toEqual({ ok: false, error: 'INVALID_ROOM' });
    }
  });

  it('delivers a message to exactly the room’s other members, and acks with its id', async () => {
    const server = await startTarget();
    const [ada, bob, cat, dan] = (await clients(server, 4)) as [Socket, Socket, Socket, Socket];
    await Promise.all([
      ok(ada, 'join', 'lobby'),
      ok(bob, 'join', 'lobby'),
      ok(cat, 'join', 'lobby'),
    ]);
    await ok(dan, 'join', 'kitchen');
    const toAda = inbox(ada);
    const toDan = inbox(dan);
    const atBob = nextMessage(bob, 'bob (in lobby) to receive ada’s message');
    const atCat = nextMessage(cat, 'cat (in lobby) to receive ada’s message');
    const answer = await ok(ada, 'message', { room: 'lobby', text: 'hello, lobby' });
    expect(
      typeof answer.id === 'string' && answer.id.length > 0,
      `the acknowledgement ${show(answer)} carries no id (a non-empty string). ${lesson.see('The contract')}`,
    ).toBe(true);
    const expected = { id: answer.id, room: 'lobby', from: ada.id, text: 'hello, lobby' };
    for (const [who, got] of [
      ['bob', await atBob],
      ['cat', await atCat],
    ] as const) {
      expect(
        got,
        `${who} received ${show(got)}: a message is exactly { id (the ack's), room, from (the sender's socket id), text }. ${lesson.see('Who receives a message')}`,
      ).toEqual(expected);
    }
    await settle([ada, dan]);
    expectNothing(toAda, 'ada, the sender,', 'the sender has its acknowledgement and gets no copy');
    expectNothing(toDan, 'dan (in kitchen)', 'the message was for lobby');
  });

  it('gives every message its own id, and keeps each sender’s order', async () => {
    const server = await startTarget();
    const [ada, bob, cat] = (await clients(server, 3)) as [Socket, Socket, Socket];
    await Promise.all([ada, bob, cat].map((s) => ok(s, 'join', 'lobby')));
    const atCat = inbox(cat);
    const acks = await Promise.all(
      Array.from({ length: 10 }, (_, i) => [
        ok(ada, 'message', { room: 'lobby', text: `ada ${i}` }),
        ok(bob, 'message', { room: 'lobby', text: `bob ${i}` }),
      ]).flat(),
    );
    const ids = acks.map((a) => a.id);
    expect(new Set(ids).size, `20 messages got the ids ${show(ids)}: each needs its own`).toBe(20);
    await settle([cat]);
    const texts = (atCat as { text: string }[]).map((m) => m.text);
    for (const who of ['ada', 'bob']) {
      expect(
        texts.filter((t) => t.startsWith(who)),
        `cat received ${who}'s messages as ${show(texts)}. ${lesson.see('Who receives a message')}`,
      ).toEqual(Array.from({ length: 10 }, (_, i) => `${who} ${i}`));
    }
  });

  it('keeps rooms apart, also for a member of several rooms', async () => {
    const server = await startTarget();
    const [ada, bob, cat] = (await clients(server, 3)) as [Socket, Socket, Socket];
    await Promise.all([ok(ada, 'join', 'red'), ok(bob, 'join', 'blue'), ok(cat, 'join', 'red')]);
    await ok(cat, 'join', 'blue');
    const toAda = inbox(ada);
    const toBob = inbox(bob);
    const toCat = inbox(cat);
    await ok(ada, 'message', { room: 'red', text: 'to red' });
    await ok(bob, 'message', { room: 'blue', text: 'to blue' });
    await settle([ada, bob, cat]);
    expect(
      (toCat as { room: string; text: string }[]).map((m) => `${m.room}: ${m.text}`),
      `cat (in red and blue) received ${show(toCat)}. ${lesson.see('Who receives a message')}`,
    ).toEqual(['red: to red', 'blue: to blue']);
    expect(
      (toAda as { text: string }[]).map((m) => m.text),
      'ada is only in red',
    ).toEqual([]);
    expect(
      (toBob as { text: string }[]).map((m) => m.text),
      'bob is only in blue',
    ).toEqual([]);
  });

  it('does not deliver to a client because a room is named like its socket id', async () => {
    const server = await startTarget();
    const [ada, bob] = (await clients(server, 2)) as [Socket, Socket];
    const toAda = inbox(ada);
    // Socket.IO puts every socket in a room named by its id: a chat room must not be that room.
    const room = ada.id as string;
    const joined = await ask(bob, 'join', room);
    if (joined.ok) {
      await ask(bob, 'message', { room, text: 'do you get this, ada?' });
      await settle([ada]);
      expectNothing(
        toAda,
        'ada, who never joined a room',
        `bob sent to a room named ${room}, ada's socket id`,
      );
    } else {
      expect(
        joined,
        `a room named like a socket id may be refused, but only as INVALID_ROOM`,
      ).toEqual({
        ok: false,
        error: 'INVALID_ROOM',
      });
    }
    const members = await ask(bob, 'members', room);
    if (members.ok) {
      expect(
        members.members,
        `members of the room named ${room} lists ada, who never joined it. ${lesson.see('Membership')}`,
      ).not.toContain(ada.id);
    }
  });

  it('stops delivery after leave, and refuses what needs a membership it does not have', async () => {
    const server = await startTarget();
    const [ada, bob] = (await clients(server, 2)) as [Socket, Socket];
    await Promise.all([ok(ada, 'join', 'lobby'), ok(bob, 'join', 'lobby')]);
    expect(await ok(bob, 'leave', 'lobby')).toEqual({ ok: true, room: 'lobby' });
    const toBob = inbox(bob);
    await ok(ada, 'message', { room: 'lobby', text: 'bob left' });
    await settle([bob]);
    expectNothing(toBob, 'bob', 'bob left lobby');
    const toAda = inbox(ada);
    for (const [event, payload] of [
      ['leave', 'lobby'],
      ['message', { room: 'lobby', text: 'let me back in' }],
      ['message', { room: 'kitchen', text: 'never joined' }],
    ] as const) {
      const answer = await ask(bob, event, payload);
      expect(
        answer,
        `bob's ${event} ${show(payload)} was answered ${show(answer)}. ${lesson.see('The contract')}`,
      ).toEqual({
        ok: false,
        error: 'NOT_MEMBER',
      });
    }
    expect(await ask(bob, 'leave', 'no such room!')).toEqual({ ok: false, error: 'INVALID_ROOM' });
    await settle([ada]);
    expectNothing(toAda, 'ada', 'bob is no longer a member of lobby');
  });

  it.each([
    ['a string', 'hello'],
    ['null', null],
    ['an array', [{ room: 'lobby', text: 'hi' }]],
    ['no room', { text: 'hi' }],
    ['a bad room', { room: 'lob by', text: 'hi' }],
    ['no text', { room: 'lobby' }],
    ['an empty text', { room: 'lobby', text: '' }],
    ['a text of 501 characters', { room: 'lobby', text: 'x'.repeat(501) }],
    ['a text that is a number', { room: 'lobby', text: 42 }],
    ['a text that is an object', { room: 'lobby', text: { html: '<b>hi</b>' } }],
    ['nothing at all', undefined],
  ])(
    'refuses a message that is %s with INVALID_MESSAGE, and delivers it to no one',
    async (_, payload) => {
      const server = await startTarget();
      const [ada, bob] = (await clients(server, 2)) as [Socket, Socket];
      await Promise.all([ok(ada, 'join', 'lobby'), ok(bob, 'join', 'lobby')]);
      const toBob = inbox(bob);
      const answer = await ask(ada, 'message', payload);
      expect(
        answer,
        `message ${show(payload)} was answered ${show(answer)}. ${lesson.see('Messages')}`,
      ).toEqual({
        ok: false,
        error: 'INVALID_MESSAGE',
      });
      await settle([bob]);
      expectNothing(toBob, 'bob', 'the message was malformed');
    },
  );

  it('relays a new message, never the client’s payload: extra and forged fields do not reach anyone', async () => {
    const server = await startTarget();
    const [ada, bob] = (await clients(server, 2)) as [Socket, Socket];
    await Promise.all([ok(ada, 'join', 'lobby'), ok(bob, 'join', 'lobby')]);
    const atBob = nextMessage(bob, 'bob to receive ada’s message');
    const answer = await ok(ada, 'message', {
      room: 'lobby',
      text: 'hi',
      from: 'the-admin',
      id: 'forged',
      admin: true,
    });
    const got = await atBob;
    expect(
      got,
      `bob received ${show(got)}: build { id, room, from: socket.id, text } yourself. ${lesson.see('Messages')}`,
    ).toEqual({ id: answer.id, room: 'lobby', from: ada.id, text: 'hi' });
  });

  it('refuses a deeply nested payload, and keeps serving everyone', async () => {
    const server = await startTarget();
    const [ada, bob] = (await clients(server, 2)) as [Socket, Socket];
    await Promise.all([ok(ada, 'join', 'lobby'), ok(bob, 'join', 'lobby')]);
    let deep: unknown = 'x';
    for (let i = 0; i < 2000; i++) deep = { text: deep };
    const answer = await ask(ada, 'message', { room: 'lobby', text: deep, more: deep });
    expect(
      answer,
      `a message whose text nests 2000 levels was answered ${show(answer)}. ${lesson.see('Hostile clients')}`,
    ).toEqual({
      ok: false,
      error: 'INVALID_MESSAGE',
    });
    const atBob = nextMessage(bob, 'bob to receive a message after the nested one');
    await ok(ada, 'message', { room: 'lobby', text: 'still here' });
    expect(await atBob).toMatchObject({ text: 'still here' });
  });

  it('answers members with the socket ids in a room, and a disconnect removes the member', async () => {
    const server = await startTarget();
    const [ada, bob, cat] = (await clients(server, 3)) as [Socket, Socket, Socket];
    await Promise.all([
      ok(ada, 'join', 'lobby'),
      ok(bob, 'join', 'lobby'),
      ok(cat, 'join', 'lobby'),
    ]);
    const sorted = (answer: Answer) => [...((answer.members as string[]) ?? [])].sort();
    expect(
      sorted(await ok(ada, 'members', 'lobby')),
      `members of lobby. ${lesson.see('Membership')}`,
    ).toEqual([ada.id, bob.id, cat.id].sort());
    expect(await ok(ada, 'members', 'empty')).toEqual({ ok: true, members: [] });
    expect(await ask(ada, 'members', 'no such room!')).toEqual({
      ok: false,
      error: 'INVALID_ROOM',
    });
    const catId = cat.id;
    cat.disconnect();
    // The server learns of the disconnect on cat's connection, not ada's: ask until it has.
    const left = await pollUntil(
      async () => {
        const members = sorted(await ok(ada, 'members', 'lobby'));
        return members.includes(catId as string) ? false : members;
      },
      `cat to be gone from lobby's members after it disconnected. ${lesson.see('Membership')}`,
      { intervalMs: 20, maxTries: 200 },
    );
    expect(left).toEqual([ada.id, bob.id].sort());
    const toBob = nextMessage(bob, 'bob to still receive lobby’s messages');
    await ok(ada, 'message', { room: 'lobby', text: 'cat left' });
    await toBob;
  });

  it('caps a connection at 10 rooms with TOO_MANY_ROOMS', async () => {
    const server = await startTarget();
    const [ada] = (await clients(server, 1)) as [Socket];
    for (let i = 0; i < 10; i++) await ok(ada, 'join', `room-${i}`);
    expect(
      await ok(ada, 'join', 'room-3'),
      'joining a room it is in again is not an 11th',
    ).toMatchObject({ ok: true });
    expect(await ask(ada, 'join', 'room-10'), `an 11th room. ${lesson.see('Limits')}`).toEqual({
      ok: false,
      error: 'TOO_MANY_ROOMS',
    });
    await ok(ada, 'leave', 'room-0');
    await ok(ada, 'join', 'room-10');
  });

  it('survives events sent without an acknowledgement, or with odd arguments', async () => {
    const server = await startTarget();
    const [ada, bob] = (await clients(server, 2)) as [Socket, Socket];
    await ok(bob, 'join', 'lobby');
    const atBob = nextMessage(bob, 'bob to receive the message sent without an acknowledgement');
    ada.emit('join', 'lobby');
    ada.emit('message', { room: 'lobby', text: 'no ack wanted' });
    ada.emit('message');
    ada.emit('leave', 'nowhere', 'and', { more: 'arguments' });
    ada.emit('members');
    ada.emit('no-such-event', 1, 2, 3);
    expect(await atBob).toMatchObject({ text: 'no ack wanted', from: ada.id });
    expect(await ok(ada, 'members', 'lobby')).toMatchObject({ ok: true });
  });
});
