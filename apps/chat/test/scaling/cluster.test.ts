/**
 * Promised (README, "Scaling out"): chat instances in processes of their own behind a
 * test-started nginx share rooms, presence and history through Redis (3 instances) or NATS (2);
 * one is killed (`SIGKILL`) mid-conversation, its client reconnects through nginx to another
 * instance, joins again with `after`, and has every message, once each, in order.
 */
import { randomUUID } from 'node:crypto';
import { findNginx, type NginxProcess, startNginx } from '@socketlab/distributed';
import { pollUntil, probeService, spawnSource, withTimeout } from '@socketlab/testkit';
import { connectSocketIo } from '@socketlab/testkit/socket-io';
import type { Socket } from 'socket.io-client';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { ChatMessage, SessionResponse } from '../../src/contract.ts';
import { ask, inbox, next } from '../helpers/chat.ts';
import { natsPrefix, redisPrefix } from '../store/namespaces.ts';

const redis = await probeService('redis');
const nats = await probeService('nats');
const nginxMissing = (() => {
  try {
    findNginx();
    return '';
  } catch (error) {
    return (error as Error).message;
  }
})();
const skipNginx = nginxMissing !== '' && process.env.CI !== 'true';
if (skipNginx) console.warn(`skipped: ${nginxMissing}`);

const JWT_SECRET = randomUUID() + randomUUID();
const PACKAGE_DIR = new URL('../../', import.meta.url);

interface Instance {
  readonly index: number;
  readonly port: number;
  kill(): Promise<void>;
}

/** `count` chat instances on one backend and prefix, each a process; killed when the test ends. */
async function instances(count: number, env: Record<string, string>): Promise<Instance[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const program = spawnSource(PACKAGE_DIR, 'test/scaling/fixtures/instance.ts', [], {
        env: { ...env, JWT_SECRET, INSTANCE_INDEX: String(index) },
      });
      const line = await pollUntil(
        () =>
          program
            .stdout()
            .split('\n')
            .find((l) => l.startsWith('{"port"')),
        `chat instance ${index} to listen`,
        { ms: 60_000, intervalMs: 50, maxTries: 2_000 }, // three processes compiling TypeScript
      ).catch((error: Error) => {
        // what the instance said by then (a start-up error, or nothing yet)
        throw new Error(
          `${error.message}; it wrote: ${program.output().slice(-500) || '(nothing)'}`,
        );
      });
      return {
        index,
        port: (JSON.parse(line) as { port: number }).port,
        async kill() {
          program.child.kill('SIGKILL');
          await withTimeout(program.exited, `instance ${index} to die`, 10_000);
        },
      };
    }),
  );
}

/** How many clients each instance holds, from its `/health`. */
async function connectionsOf(instance: Instance): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${instance.port}/health`);
  return ((await response.json()) as { connections: number }).connections;
}

interface Member {
  readonly nick: string;
  readonly socket: Socket;
  /** Every message seen, live or in a join answer, by seq. */
  readonly seen: Map<number, ChatMessage>;
  readonly instance: Instance;
}

/**
 * A guest (token from instance 0: every instance shares the secret) connected through `lb`, in
 * `room`; which instance took it is found by the one whose connection count grew.
 */
async function member(lb: NginxProcess, list: Instance[], nick: string, room: string) {
  const session = (await (
    await fetch(`http://127.0.0.1:${list[0]?.port}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ nick }),
    })
  ).json()) as SessionResponse;
  const before = await Promise.all(list.map(connectionsOf));
  const socket = await connectSocketIo(lb.http?.url as string, `${nick} through nginx`, {
    auth: { token: session.token },
    transports: ['websocket'],
    reconnection: true,
    reconnectionAttempts: 100,
    reconnectionDelay: 50,
    reconnectionDelayMax: 200,
  });
  const index = await pollUntil(async () => {
    const after = await Promise.all(list.map(connectionsOf));
    const grown = after.findIndex((n, i) => n > (before[i] ?? 0));
    return grown >= 0 ? grown : undefined;
  }, `the instance that took ${nick}`);
  const seen = new Map<number, ChatMessage>();
  socket.on('message', (m: ChatMessage) => {
    if (m.room === room) seen.set(m.seq, m);
  });
  const joined = await ask<{ messages: ChatMessage[] }>(socket, 'join', { room });
  expect(joined.ok, JSON.stringify(joined)).toBe(true);
  for (const m of joined.messages) seen.set(m.seq, m);
  return { nick, socket, seen, instance: list[index] as Instance } satisfies Member;
}

async function say(from: Member, room: string, text: string): Promise<number> {
  const answer = await ask<{ seq: number }>(from.socket, 'send', { room, text });
  expect(answer.ok, JSON.stringify(answer)).toBe(true);
  return answer.seq;
}

/** Until every member has seen seqs 1…`last`. */
async function allSeen(members: Member[], last: number): Promise<void> {
  await pollUntil(
    () => members.every((m) => m.seen.size >= last),
    `everyone to have messages 1…${last}`,
    { ms: 10_000 },
  );
  for (const m of members) {
    expect(
      [...m.seen.keys()].sort((a, b) => a - b),
      m.nick,
    ).toEqual(Array.from({ length: last }, (_, i) => i + 1));
  }
}

async function conversation(list: Instance[]): Promise<void> {
  const lb = await startNginx({
    http: {
      upstreams: list.map((i) => ({ host: '127.0.0.1', port: i.port })),
      stickiness: 'cookie', // no cookie in Node clients: round robin, so they spread out
      connectTimeoutMs: 500,
    },
  });
  onTestFinished(() => lb.stop());
  const room = 'ops';
  const members: Member[] = [];
  for (const nick of ['ann', 'bob', 'cat'].slice(0, Math.max(list.length, 2))) {
    const arrivals = members.map((m) =>
      next<{ user: { nick: string }; present: boolean }>(
        m.socket,
        'presence',
        (p) => p.user.nick === nick,
      ),
    );
    members.push(await member(lb, list, nick, room));
    for (const p of await Promise.all(arrivals)) expect(p.present).toBe(true);
  }
  const where = new Set(members.map((m) => m.instance.index));
  expect(where.size, 'the clients are on different instances').toBe(
    Math.min(list.length, members.length),
  );
  const roster = await ask<{ members: { nick: string }[] }>(members[0]?.socket as Socket, 'join', {
    room,
  });
  expect(roster.members.map((m) => m.nick).sort()).toEqual(members.map((m) => m.nick).sort());

  let last = 0;
  for (const [i, from] of members.entries()) last = await say(from, room, `hello ${i}`);
  await allSeen(members, last);

  // The victim's instance dies mid-conversation; the others keep talking while it moves.
  const [speaker, victim] = members as [Member, Member];
  const lost = next(victim.socket, 'disconnect', () => true, 10_000);
  const back = next(victim.socket, 'connect', () => true, 20_000);
  const notices = inbox(victim.socket, 'notice');
  await victim.instance.kill();
  await lost;
  for (let i = 0; i < 5; i++) last = await say(speaker, room, `while away ${i}`);
  await back;
  const cursor = Math.max(...victim.seen.keys());
  const resumed = await ask<{ messages: ChatMessage[]; truncated: boolean }>(
    victim.socket,
    'join',
    { room, after: cursor },
  );
  expect(resumed.ok, JSON.stringify(resumed)).toBe(true);
  expect(resumed.truncated).toBe(false);
  expect(resumed.messages.map((m) => m.seq)).toEqual(
    Array.from({ length: last - cursor }, (_, i) => cursor + i + 1),
  );
  for (const m of resumed.messages) victim.seen.set(m.seq, m);
  // And the conversation goes on, both ways, across the instances left.
  last = await say(victim, room, 'back');
  last = await say(speaker, room, 'welcome back');
  await allSeen(members, last);
  expect(notices).toEqual([]); // a crash says nothing: the client just reconnects
}

describe.skipIf(redis.skip || skipNginx)('three chat instances over Redis behind nginx', () => {
  beforeAll(() => {
    redis.require();
    if (nginxMissing !== '') throw new Error(nginxMissing);
  });

  it('share a room, and a killed instance clients move and miss nothing', {
    timeout: 120_000,
  }, async () => {
    const prefix = redisPrefix(redis.url);
    const list = await instances(3, { BACKEND: 'redis', BROKER_URL: redis.url, PREFIX: prefix });
    await conversation(list);
  });
});

describe.skipIf(nats.skip || skipNginx)('two chat instances over NATS', () => {
  beforeAll(() => {
    nats.require();
    if (nginxMissing !== '') throw new Error(nginxMissing);
  });

  it('share a room, and a killed instance clients move and miss nothing', {
    timeout: 120_000,
  }, async () => {
    const prefix = natsPrefix(nats.url);
    const list = await instances(2, { BACKEND: 'nats', BROKER_URL: nats.url, PREFIX: prefix });
    await conversation(list);
  });
});
