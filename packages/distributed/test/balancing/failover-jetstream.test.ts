/**
 * Promised (README, "NATS and JetStream"): kill one of three instances behind nginx (`SIGKILL`, a
 * crash: nothing is handed over) and its clients, moved to another instance, catch up from the
 * JetStream stream every instance serves (`serveJetStreamFeed`), so every client ends with every
 * message once, in order, after `trackJetStreamFeed` drops the duplicates the wire may carry.
 */
import path from 'node:path';
import { pollUntil, probeService, withTimeout } from '@socketlab/testkit';
import type { Socket } from 'socket.io-client';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type JetStreamFeedTracker, trackJetStreamFeed } from '../../src/nats/index.ts';
import { json, tempStream } from '../nats/helpers.ts';
import { answers, balancer, client, endpoints, probeNginx } from './helpers.ts';
import { instanceProcesses } from './processes.ts';

const nginx = await probeNginx();
const nats = await probeService('nats');

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'jetstream-instance.ts');
const MESSAGES = 60;
const KILL_AFTER = 20;
const AWAY = 40;
const expected = Array.from({ length: MESSAGES }, (_, i) => i + 1);

interface FeedClient {
  socket: Socket;
  owner: number;
  got: unknown[];
  tracker: JetStreamFeedTracker;
}

/** A stream of its own, three instances serving it behind nginx (cookie stickiness), six clients. */
async function cluster() {
  const { js, prefix: p, stream } = await tempStream(nats.url);
  const env = { NATS_URL: nats.url, STREAM: stream, SUBJECT_PREFIX: p };
  const list = await instanceProcesses(3, env, FIXTURE);
  const lb = await balancer({
    http: { upstreams: endpoints(list), stickiness: 'cookie', connectTimeoutMs: 500 },
  });
  const clients: FeedClient[] = [];
  for (let k = 0; k < 6; k++) {
    const socket = await client(lb.http?.url as string, {
      reconnection: true,
      reconnectionDelay: 50,
      reconnectionDelayMax: 200,
      reconnectionAttempts: 100,
    });
    const got: unknown[] = [];
    const tracker = trackJetStreamFeed(socket, {
      beforeCatchUp: (s) => s.emitWithAck('subscribe', 'feed'),
      onMessage: (m) => got.push(m.data),
      onError: (e) => got.push(`error ${e.code}`),
    });
    onTestFinished(() => tracker.close());
    await pollUntil(() => tracker.synced, `client ${k} to catch up once`);
    clients.push({ socket, owner: (await answers(socket, 1))[0] as number, got, tracker });
  }
  const victims = clients.filter((c) => c.owner === 0);
  expect(victims.length).toBeGreaterThan(0);
  /** Publishes from..to through JetStream, each acknowledged (stored) before the next. */
  const publish = async (from: number, to: number) => {
    for (let n = from; n <= to; n++) await js.publish(`${p}.feed.feed`, json(n));
  };
  await publish(1, KILL_AFTER);
  await pollUntil(
    () => clients.every((c) => c.got.length === KILL_AFTER),
    'every client to have the messages sent before the crash',
  );
  /** SIGKILLs instance 0 and resolves once its clients noticed. */
  const crash = async () => {
    const disconnected = victims.map(
      (c) => new Promise((resolve) => c.socket.once('disconnect', resolve)),
    );
    await list[0]?.stop('SIGKILL');
    await withTimeout(Promise.all(disconnected), 'the clients of the crashed instance to notice');
  };
  return { clients, victims, publish, crash };
}

/** Every client has 1..MESSAGES once, in order; the movers are on another instance; counts printed. */
async function everyMessageOnce(clients: FeedClient[], victims: FeedClient[], what: string) {
  await pollUntil(
    () => clients.every((c) => c.got.length >= MESSAGES && c.tracker.synced),
    'every client to have every message',
    { ms: 30_000 }, // a bound, not a timing: see failover.test.ts
  );
  for (const [k, c] of clients.entries()) {
    expect(c.got, `client ${k} (instance ${c.owner})`).toEqual(expected);
  }
  for (const c of victims) {
    expect([1, 2]).toContain((await answers(c.socket, 1))[0]);
    expect(c.tracker.stats.catchUps).toBe(2);
  }
  const stat = (key: 'duplicates' | 'replayed') =>
    victims.map((c) => c.tracker.stats[key]).join(', ');
  const wire = victims.map((c) => c.tracker.stats.delivered + c.tracker.stats.duplicates);
  console.info(
    `JetStream failover (${what}): ${victims.length} moved clients received ${wire.join(', ')} messages on the wire for ${MESSAGES} delivered; duplicates dropped: ${stat('duplicates')}; replayed: ${stat('replayed')}`,
  );
}

describe.skipIf(nginx.skip || nats.skip)(
  'one of three JetStream-feed instances behind nginx crashes',
  () => {
    beforeAll(() => {
      nginx.require();
      nats.require();
    });

    it('SIGKILLed: its clients reconnect to the others by themselves and every client has every message once, in order', {
      timeout: 90_000,
    }, async () => {
      const { clients, victims, publish, crash } = await cluster();
      await crash();
      await publish(KILL_AFTER + 1, MESSAGES); // while they reconnect (their own backoff) and catch up
      await everyMessageOnce(clients, victims, 'own reconnection');
    });

    it('SIGKILLed: what was stored while its clients were away reaches them by replay, once, in order', {
      timeout: 90_000,
    }, async () => {
      const { clients, victims, publish, crash } = await cluster();
      // The movers reconnect when the test says so, after the messages sent while they are away
      // are stored: those can only reach them by replay (no backoff timer decides it).
      for (const c of victims) c.socket.io.reconnection(false);
      await crash();
      await publish(KILL_AFTER + 1, AWAY);
      for (const c of victims) {
        c.socket.io.reconnection(true);
        c.socket.connect();
      }
      await publish(AWAY + 1, MESSAGES); // while they reconnect and catch up: replay and live overlap
      await everyMessageOnce(clients, victims, 'reconnected after 20 more');
      for (const c of victims) {
        expect(c.tracker.stats.replayed).toBeGreaterThanOrEqual(AWAY - KILL_AFTER);
      }
    });
  },
);
