/**
 * Notifications per second fanned out to USERS topic subscribers: ROUNDS notifications posted to
 * one topic, timed until every subscriber has every one. 3 instances over Redis (subscribers spread
 * over them, posts to the first) against 1 instance over the same Redis, in the same run; the goal
 * is a ratio of at least 0.8. Needs Redis; without it the group says so and gives no row.
 */
import { randomBytes } from 'node:crypto';
import { BENCH_QUICK, type BenchRow, probeService } from '@socketlab/testkit';
import { type NotifyApp, startNotifyApp } from '../src/server/app.ts';
import { API_KEY, connectMany, JWT_SECRET, NO_LIMITS, USERS, until } from './helpers.ts';

const ROUNDS = BENCH_QUICK ? 5 : 50;

async function deliveriesPerSecond(redisUrl: string, instances: number): Promise<number> {
  const keyPrefix = `socketlab-notify-bench-${randomBytes(4).toString('hex')}`;
  const apps: NotifyApp[] = [];
  for (let i = 0; i < instances; i++) {
    apps.push(
      await startNotifyApp({
        apiKeys: [API_KEY],
        jwtSecret: JWT_SECRET,
        limits: NO_LIMITS,
        redis: { url: redisUrl, keyPrefix },
      }),
    );
  }
  let received = 0;
  const sockets = await connectMany(
    apps.map((a) => a.url),
    USERS,
    (i) => ({ token: (apps[0] as NotifyApp).issueToken(`u${i}`).token }),
    'notification',
    () => received++,
  );
  try {
    await Promise.all(sockets.map((s) => s.timeout(30_000).emitWithAck('subscribe', 'bench')));
    const start = performance.now();
    for (let r = 0; r < ROUNDS; r++) {
      const res = await fetch(`${(apps[0] as NotifyApp).url}/notify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
        body: JSON.stringify({ topic: 'bench', title: `round ${r}`, body: 'x'.repeat(64) }),
      });
      if (res.status !== 202) throw new Error(`POST /notify: ${res.status}`);
    }
    await until(() => received >= USERS * ROUNDS, 'every subscriber to get every notification', 5);
    return (USERS * ROUNDS) / ((performance.now() - start) / 1000);
  } finally {
    for (const s of sockets) s.disconnect();
    await Promise.all(apps.map((a) => a.close()));
  }
}

export async function rows(): Promise<BenchRow[]> {
  const redis = await probeService('redis');
  if (!redis.reachable) {
    console.error(`fanout: no row: ${redis.missing}`);
    return [];
  }
  const one = await deliveriesPerSecond(redis.url, 1);
  const three = await deliveriesPerSecond(redis.url, 3);
  return [
    {
      bench: `fanout-${USERS}-users-3-instances`,
      unit: 'deliveries/s',
      value: three,
      baseline: '1 instance',
      baselineValue: one,
      ratio: three / one,
    },
  ];
}
