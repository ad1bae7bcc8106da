import { randomUUID } from 'node:crypto';
import {
  lessonOf,
  probeService,
  type ServerUnderTest,
  startGradedServer,
  withTimeout,
} from '@socketlab/testkit';
import { connectSocketIo, showValue, socketIoGrader } from '@socketlab/testkit/socket-io';
import { Redis } from 'ioredis';
import { io as connect, type Socket } from 'socket.io-client';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';

// Two instances of your service, started from your module in this process, share one Redis and
// one key prefix (a new one per test). The grader posts over HTTP with fetch and receives with
// socket.io-client clients connected to either instance.
type Exercise = typeof import('./exercise.ts');

const lesson = lessonOf(import.meta.url);
const redis = await probeService('redis');

/** The grader's tokens: `token-<user>` names `<user>`; anything else names no one. */
const authenticate = (token: string): string | undefined =>
  typeof token === 'string' && /^token-[a-z]{1,20}$/.test(token) ? token.slice(6) : undefined;

/** A key prefix of this test's own; its keys (if any) are deleted when the test ends. */
function uniquePrefix(): string {
  const prefix = `exercise-notifications-${randomUUID().slice(0, 8)}`;
  onTestFinished(async () => {
    const client = new Redis(redis.url);
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  });
  return prefix;
}

/** Starts two instances on one Redis and one prefix: instance A and instance B. */
async function startTwo(): Promise<[ServerUnderTest, ServerUnderTest]> {
  const keyPrefix = uniquePrefix();
  const start = () =>
    startGradedServer<Exercise>(
      import.meta.url,
      (mod) =>
        mod.startNotificationService({ port: 0, redisUrl: redis.url, keyPrefix, authenticate }),
      {
        uncaughtHint: `An instance threw, and took the process down with it: a request's body is hostile until checked, and every error is answered. ${lesson.see('The contract')}`,
      },
    );
  const a = await start();
  const b = await start();
  return [a, b];
}

const urlOf = (server: ServerUnderTest) => `http://${server.host}:${server.port}`;

/** A socket.io-client of `user` on `server`, disconnected when the test ends. */
const client = (server: ServerUnderTest, user: string): Promise<Socket> =>
  connectSocketIo(
    urlOf(server),
    `${user}'s socket.io-client to connect to ${server.description} on port ${server.port}. ${lesson.see('The contract')}`,
    { auth: { token: `token-${user}` } },
  );

const show = showValue;
const grade = socketIoGrader({
  noAnswer: lesson.see('The contract'),
  notOk: lesson.see('The contract'),
  noEvent: lesson.see('Across instances'),
});
const inbox = (socket: Socket): unknown[] => grade.inbox(socket, 'notification');
const nextNotification = (socket: Socket, what: string): Promise<unknown> =>
  grade.next(socket, 'notification', what);

type Answer = { status: number; body: unknown };

/** POSTs `body` (JSON unless `raw`) to /notifications; the answer's status and parsed JSON body. */
async function post(
  server: ServerUnderTest,
  body: unknown,
  { raw, type = 'application/json' }: { raw?: string; type?: string } = {},
): Promise<Answer> {
  const sent = raw ?? JSON.stringify(body);
  const res = await withTimeout(
    fetch(`${urlOf(server)}/notifications`, {
      method: 'POST',
      headers: { 'content-type': type },
      body: sent,
    }),
    `an answer to POST /notifications ${show(sent)}. ${lesson.see('The contract')}`,
  );
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(
      `POST /notifications ${show(sent)} was answered ${res.status} with a body that is not JSON: ${show(text)}. ${lesson.see('The contract')}`,
    );
  }
  return { status: res.status, body: parsed };
}

/** A POST that must be accepted: its `{ id, duplicate }`. */
async function accepted(
  server: ServerUnderTest,
  body: unknown,
): Promise<{ id: string; duplicate: boolean }> {
  const answer = await post(server, body);
  expect(
    answer,
    `POST /notifications ${show(body)} was answered ${show(answer)}. ${lesson.see('The contract')}`,
  ).toEqual({ status: 202, body: { id: expect.any(String), duplicate: expect.any(Boolean) } });
  return answer.body as { id: string; duplicate: boolean };
}

const titles = (got: unknown[]) => got.map((n) => (n as { title?: unknown }).title);

describe.skipIf(redis.skip)(
  '05 · a notification microservice, graded over REST and a socket',
  () => {
    beforeAll(() => redis.require());

    it('pushes a notification posted on instance A to the user’s socket on instance B', async () => {
      const [a, b] = await startTwo();
      const ada = await client(b, 'ada');
      const atAda = nextNotification(
        ada,
        'ada, on instance B, to receive what was posted on instance A',
      );
      const before = Date.now();
      const { id, duplicate } = await accepted(a, { user: 'ada', title: 'Build', body: 'green' });
      expect(duplicate, `a first post is not a duplicate. ${lesson.see('The contract')}`).toBe(
        false,
      );
      const got = (await atAda) as Record<string, unknown>;
      expect(got, `ada received ${show(got)}. ${lesson.see('The contract')}`).toEqual({
        id,
        type: 'notification',
        title: 'Build',
        body: 'green',
        at: expect.any(Number),
        user: 'ada',
      });
      expect(
        got.at as number,
        `at is when the server accepted it, in ms since the epoch`,
      ).toBeGreaterThanOrEqual(before - 1000);
      const again = nextNotification(ada, 'ada to receive one with a type and no body');
      const second = await accepted(b, { user: 'ada', title: 'Deploy', type: 'deploy' });
      expect(await again).toEqual({
        id: second.id,
        type: 'deploy',
        title: 'Deploy',
        at: expect.any(Number),
        user: 'ada',
      });
    });

    it('pushes only to the recipient: every socket of that user, on every instance, and no one else', async () => {
      const [a, b] = await startTwo();
      const [adaOnA, adaOnB, bobOnA, bobOnB] = [
        await client(a, 'ada'),
        await client(b, 'ada'),
        await client(a, 'bob'),
        await client(b, 'bob'),
      ];
      const toBob = [inbox(bobOnA), inbox(bobOnB)];
      const both = Promise.all([
        nextNotification(adaOnA, 'ada’s socket on A'),
        nextNotification(adaOnB, 'ada’s socket on B'),
      ]);
      await accepted(a, { user: 'ada', title: 'for ada' });
      await both;
      // a barrier: bob's own notification, posted after ada's, reaches both of bob's sockets
      const barrier = Promise.all([
        nextNotification(bobOnA, 'bob’s socket on A to receive his own'),
        nextNotification(bobOnB, 'bob’s socket on B to receive his own'),
      ]);
      await accepted(b, { user: 'bob', title: 'for bob' });
      await barrier;
      expect(
        toBob.map(titles),
        `bob's sockets received ${show(toBob)}: a notification goes to the room of its user only. ${lesson.see('The contract')}`,
      ).toEqual([['for bob'], ['for bob']]);
    });

    it('answers a repeated idempotency key with the first id, and sends nothing twice', async () => {
      const [a] = await startTwo();
      const ada = await client(a, 'ada');
      const got = inbox(ada);
      const first = nextNotification(ada, 'the first delivery');
      const one = await accepted(a, { user: 'ada', title: 'Paid', idempotencyKey: 'invoice-7' });
      await first;
      const two = await accepted(a, { user: 'ada', title: 'Paid', idempotencyKey: 'invoice-7' });
      expect(
        two,
        `a retry with the same idempotencyKey was answered ${show(two)}. ${lesson.see('Idempotency')}`,
      ).toEqual({ id: one.id, duplicate: true });
      const other = await accepted(a, {
        user: 'ada',
        title: 'Refund',
        idempotencyKey: 'invoice-8',
      });
      expect(
        other.duplicate,
        `another key is another notification. ${lesson.see('Idempotency')}`,
      ).toBe(false);
      const barrier = nextNotification(ada, 'ada to receive the barrier');
      await accepted(a, { user: 'ada', title: 'barrier' });
      await barrier;
      expect(
        titles(got),
        `ada received ${show(titles(got))}: the retry must not be delivered again. ${lesson.see('Idempotency')}`,
      ).toEqual(['Paid', 'Refund', 'barrier']);
    });

    it('refuses bad requests with a JSON error and the right status, delivers nothing, and keeps serving', async () => {
      const [a] = await startTwo();
      const ada = await client(a, 'ada');
      const got = inbox(ada);
      const refused = async (status: number, error: string, body: unknown, init = {}) => {
        const answer = await post(a, body, init);
        expect(
          answer,
          `POST /notifications ${show((init as { raw?: string }).raw ?? body)} ${show(init)}. ${lesson.see('The contract')}`,
        ).toEqual({ status, body: { error, message: expect.any(String) } });
      };
      await refused(400, 'INVALID_JSON', undefined, { raw: '{"user": "ada", "title":' });
      await refused(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        { user: 'ada', title: 'x' },
        { type: 'text/plain' },
      );
      await refused(413, 'PAYLOAD_TOO_LARGE', {
        user: 'ada',
        title: 'x',
        body: 'y'.repeat(20_000),
      });
      for (const bad of [
        null,
        [],
        'ada',
        { title: 'no user' },
        { user: '', title: 'x' },
        { user: 'two words', title: 'x' },
        { user: 42, title: 'x' },
        { user: 'ada' },
        { user: 'ada', title: '' },
        { user: 'ada', title: 'x'.repeat(201) },
        { user: 'ada', title: 'x', body: 7 },
        { user: 'ada', title: 'x', idempotencyKey: '' },
        { user: 'ada', title: 'x', extra: true },
      ]) {
        await refused(400, 'INVALID_NOTIFICATION', bad);
      }
      const barrier = nextNotification(ada, 'ada to receive a good one after the bad ones');
      await accepted(a, { user: 'ada', title: 'still serving' });
      await barrier;
      expect(titles(got), `only the good one is delivered. ${lesson.see('The contract')}`).toEqual([
        'still serving',
      ]);
    });

    it('refuses a socket whose token names no user', async () => {
      const [a] = await startTwo();
      const refused = (auth: Record<string, unknown>) =>
        withTimeout(
          new Promise<string>((resolve) => {
            const socket = connect(urlOf(a), {
              transports: ['websocket'],
              forceNew: true,
              reconnection: false,
              auth,
            });
            onTestFinished(() => {
              socket.disconnect();
            });
            socket.once('connect', () => resolve('connected'));
            socket.once('connect_error', () => resolve('refused'));
          }),
          `a socket with auth ${show(auth)} to be refused or connected`,
        );
      for (const auth of [{ token: 'nope' }, {}, { token: 42 }]) {
        expect(await refused(auth), `auth ${show(auth)}. ${lesson.see('The contract')}`).toBe(
          'refused',
        );
      }
      expect(await refused({ token: 'token-ada' })).toBe('connected');
    });
  },
);
