import { randomUUID } from 'node:crypto';
import {
  lessonOf,
  probeService,
  type ServerUnderTest,
  startGradedServer,
  withTimeout,
} from '@socketlab/testkit';
import {
  type AckAnswer,
  connectSocketIo,
  showValue,
  socketIoGrader,
} from '@socketlab/testkit/socket-io';
import { Redis } from 'ioredis';
import type { Socket } from 'socket.io-client';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';

// Two instances of your chat, started from your module in this process, share one Redis and one
// key prefix (a new one per test); socket.io-client clients connect to each and check that rooms,
// messages and members span both.
type Exercise = typeof import('./exercise.ts');

const lesson = lessonOf(import.meta.url);
const redis = await probeService('redis');

/** A key prefix of this test's own; its keys (if any) are deleted when the test ends. */
function uniquePrefix(): string {
  const prefix = `exercise-redis-chat-${randomUUID().slice(0, 8)}`;
  onTestFinished(async () => {
    const client = new Redis(redis.url);
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  });
  return prefix;
}

/** Starts two instances of the chat on one Redis and one prefix: instance A and instance B. */
async function startTwo(keyPrefix = uniquePrefix()): Promise<[ServerUnderTest, ServerUnderTest]> {
  const start = () =>
    startGradedServer<Exercise>(
      import.meta.url,
      (mod) => mod.startChatInstance({ port: 0, redisUrl: redis.url, keyPrefix }),
      {
        uncaughtHint: `An instance threw, and took the process down with it: check every payload (and that an acknowledgement was sent) before using it. ${lesson.see('The contract')}`,
      },
    );
  const a = await start();
  const b = await start();
  return [a, b];
}

const grade = socketIoGrader({
  noAnswer: `every event is answered through its acknowledgement (members asks the other instance through Redis: is your adapter attached?). ${lesson.see('The contract')}`,
  notOk: lesson.see('The contract'),
  noEvent: lesson.see('Across instances'),
});
const { ask, ok } = grade;
const show = showValue;
type Answer = AckAnswer;
const inbox = (socket: Socket): unknown[] => grade.inbox(socket, 'message');
const nextMessage = (socket: Socket, what: string): Promise<unknown> =>
  grade.next(socket, 'message', what);

/** A client of `server`, disconnected when the test ends. */
const client = (server: ServerUnderTest): Promise<Socket> =>
  connectSocketIo(
    `http://${server.host}:${server.port}`,
    `a socket.io-client to connect to ${server.description} on port ${server.port}`,
  );

/**
 * `members` on each socket: a round trip through Redis to the other instance (fetchSockets),
 * answered after anything the instance had relayed to that socket before (pitfall 9).
 */
const settle = (sockets: Socket[]) => Promise.all(sockets.map((s) => ask(s, 'members', 'settle')));

const ids = (answer: Answer): string[] => [...((answer.members as string[]) ?? [])].sort();

describe.skipIf(redis.skip)('01 · a chat scaled over Redis, graded across two instances', () => {
  beforeAll(() => redis.require());

  it('answers join on both instances, and refuses a bad room name', async () => {
    const [a, b] = await startTwo();
    const [ada, bob] = [await client(a), await client(b)];
    expect(await ok(ada, 'join', 'lobby')).toEqual({ ok: true, room: 'lobby' });
    expect(await ok(bob, 'join', 'lobby')).toEqual({ ok: true, room: 'lobby' });
    for (const bad of ['', 'x'.repeat(33), 'two words', 'user:1', 42, null, ['lobby']]) {
      expect(
        await ask(bob, 'join', bad),
        `join ${show(bad)}. ${lesson.see('The contract')}`,
      ).toEqual({ ok: false, error: 'INVALID_ROOM' });
    }
  });

  it('lists the members of a room on both instances, from either instance', async () => {
    const [a, b] = await startTwo();
    const [ada, bob, cat] = [await client(a), await client(b), await client(b)];
    await Promise.all([
      ok(ada, 'join', 'lobby'),
      ok(bob, 'join', 'lobby'),
      ok(cat, 'join', 'attic'),
    ]);
    const expected = [ada.id, bob.id].sort();
    for (const [who, socket] of [
      ['ada (instance A)', ada],
      ['bob (instance B)', bob],
    ] as const) {
      const answer = await ok(socket, 'members', 'lobby');
      expect(
        ids(answer),
        `members of lobby, asked by ${who}, was ${show(answer.members)}: it lists the sockets of every instance (io.in(room).fetchSockets()). ${lesson.see('Across instances')}`,
      ).toEqual(expected);
    }
    expect(ids(await ok(ada, 'members', 'nobody-here'))).toEqual([]);
  });

  it('delivers a message sent on instance A to a member on instance B, and acks it with an id', async () => {
    const [a, b] = await startTwo();
    const [ada, bob, cat] = [await client(a), await client(b), await client(a)];
    await Promise.all([
      ok(ada, 'join', 'lobby'),
      ok(bob, 'join', 'lobby'),
      ok(cat, 'join', 'lobby'),
    ]);
    await settle([ada, bob]); // both instances listen on Redis
    const toAda = inbox(ada);
    const atBob = nextMessage(bob, 'bob, on instance B, to receive ada’s message from instance A');
    const atCat = nextMessage(cat, 'cat, on instance A, to receive ada’s message');
    const answer = await ok(ada, 'message', { room: 'lobby', text: 'hello from A' });
    expect(
      typeof answer.id === 'string' && answer.id.length > 0,
      `the acknowledgement ${show(answer)} carries no id. ${lesson.see('The contract')}`,
    ).toBe(true);
    const expected = { id: answer.id, room: 'lobby', from: ada.id, text: 'hello from A' };
    expect(
      await atBob,
      `bob (instance B) received it as shown. ${lesson.see('The contract')}`,
    ).toEqual(expected);
    expect(
      await atCat,
      `cat (instance A) received it as shown. ${lesson.see('The contract')}`,
    ).toEqual(expected);
    await settle([ada]);
    expect(toAda, `ada, the sender, gets no copy. ${lesson.see('The contract')}`).toEqual([]);
  });

  it('keeps rooms apart across instances', async () => {
    const [a, b] = await startTwo();
    const [ada, bob, cat] = [await client(a), await client(b), await client(b)];
    await Promise.all([ok(ada, 'join', 'red'), ok(bob, 'join', 'red'), ok(cat, 'join', 'blue')]);
    await settle([ada, bob]);
    const toCat = inbox(cat);
    const atBob = nextMessage(bob, 'bob (red, instance B) to receive the red message');
    await ok(ada, 'message', { room: 'red', text: 'to red' });
    await atBob;
    await settle([cat]);
    expect(
      toCat,
      `cat is only in blue, on the same instance as bob. ${lesson.see('Across instances')}`,
    ).toEqual([]);
  });

  it('keeps each sender’s order across instances', async () => {
    const [a, b] = await startTwo();
    const [ada, bob] = [await client(a), await client(b)];
    await Promise.all([ok(ada, 'join', 'lobby'), ok(bob, 'join', 'lobby')]);
    await settle([ada, bob]);
    const atBob = inbox(bob);
    const last = new Promise<void>((resolve) =>
      bob.on('message', (m: { text?: string }) => m?.text === 'ada 9' && resolve()),
    );
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => ok(ada, 'message', { room: 'lobby', text: `ada ${i}` })),
    );
    await withTimeout(
      last,
      `bob (instance B) to receive ada's 10th message. ${lesson.see('Across instances')}`,
    );
    expect((atBob as { text: string }[]).map((m) => m.text)).toEqual(
      Array.from({ length: 10 }, (_, i) => `ada ${i}`),
    );
  });

  it('refuses what breaks the contract, delivered to no one on either instance', async () => {
    const [a, b] = await startTwo();
    const [ada, bob] = [await client(a), await client(b)];
    await ok(bob, 'join', 'lobby');
    await settle([ada, bob]);
    const toBob = inbox(bob);
    expect(
      await ask(ada, 'message', { room: 'lobby', text: 'not a member' }),
      `ada (instance A) never joined lobby. ${lesson.see('The contract')}`,
    ).toEqual({ ok: false, error: 'NOT_MEMBER' });
    await ok(ada, 'join', 'lobby');
    for (const bad of [
      null,
      'hi',
      ['lobby'],
      { room: 'lobby' },
      { room: 'lobby', text: '' },
      { room: 'lobby', text: 'x'.repeat(501) },
      { room: 'no such', text: 'hi' },
    ]) {
      expect(
        await ask(ada, 'message', bad),
        `message ${show(bad)}. ${lesson.see('The contract')}`,
      ).toEqual({
        ok: false,
        error: 'INVALID_MESSAGE',
      });
    }
    await settle([bob]);
    expect(
      toBob,
      `bob (instance B) received a refused message. ${lesson.see('The contract')}`,
    ).toEqual([]);
  });

  it('shares rooms only with instances of the same key prefix', async () => {
    const [a] = await startTwo();
    const [, other] = await startTwo(); // another chat on the same Redis, another prefix
    const [ada, zed] = [await client(a), await client(other)];
    await Promise.all([ok(ada, 'join', 'lobby'), ok(zed, 'join', 'lobby')]);
    const members = await ok(ada, 'members', 'lobby');
    expect(
      ids(members),
      `members of lobby on one chat listed ${show(members.members)}, from another chat that uses another keyPrefix. ${lesson.see('Your task')}`,
    ).toEqual([ada.id]);
  });
});
