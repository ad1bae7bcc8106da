/**
 * REST-to-socket latency with USERS connected: from the start of a `POST /notify` to the user's
 * socket receiving it, through the whole app (API key, rate limit, checks, store, receipts log),
 * against a bare baseline in the same run: a `node:http` POST handler that emits to the user's
 * Socket.IO room, nothing else.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BENCH_QUICK, type BenchRow } from '@socketlab/testkit';
import { Server } from 'socket.io';
import { startNotifyApp } from '../src/server/app.ts';
import {
  API_KEY,
  connectMany,
  JWT_SECRET,
  NO_LIMITS,
  percentile,
  USERS,
  until,
} from './helpers.ts';

const SAMPLES = BENCH_QUICK ? 30 : 300;

/** Latencies (ms) of SAMPLES posts to `post(user)`, each waited for on the user's socket. */
async function sample(post: (user: number) => Promise<unknown>, arrived: Map<number, number>) {
  const out: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const user = (s * 7919) % USERS;
    arrived.delete(user);
    const start = performance.now();
    await post(user);
    await until(() => arrived.has(user), `user ${user}'s notification`, 0);
    out.push((arrived.get(user) as number) - start);
  }
  return out;
}

async function appLatency(): Promise<number[]> {
  const app = await startNotifyApp({
    apiKeys: [API_KEY],
    jwtSecret: JWT_SECRET,
    limits: NO_LIMITS,
  });
  const arrived = new Map<number, number>();
  const sockets = await connectMany(
    [app.url],
    USERS,
    (i) => ({ token: app.issueToken(`u${i}`).token }),
    'notification',
    (i) => arrived.set(i, performance.now()),
  );
  try {
    return await sample(async (user) => {
      const res = await fetch(`${app.url}/notify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
        body: JSON.stringify({ user: `u${user}`, title: 'bench', body: 'x'.repeat(64) }),
      });
      await res.arrayBuffer();
    }, arrived);
  } finally {
    for (const s of sockets) s.disconnect();
    await app.close();
  }
}

async function bareLatency(): Promise<number[]> {
  const http = createServer();
  const io = new Server(http);
  io.on('connection', (socket) => void socket.join(`u${socket.handshake.auth.user}`));
  http.on('request', (req, res) => {
    if (req.url?.startsWith('/socket.io')) return;
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const n = JSON.parse(body) as { user: string };
      io.to(n.user).emit('notification', n);
      res.writeHead(202).end('{}');
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const arrived = new Map<number, number>();
  const sockets = await connectMany(
    [url],
    USERS,
    (i) => ({ user: i }),
    'notification',
    (i) => arrived.set(i, performance.now()),
  );
  try {
    return await sample(async (user) => {
      const res = await fetch(`${url}/notify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: `u${user}`, title: 'bench', body: 'x'.repeat(64) }),
      });
      await res.arrayBuffer();
    }, arrived);
  } finally {
    for (const s of sockets) s.disconnect();
    await io.close();
  }
}

export async function rows(): Promise<BenchRow[]> {
  const ours = await appLatency();
  const bare = await bareLatency();
  return ([50, 99] as const).map((p) => {
    const value = percentile(ours, p);
    const baselineValue = percentile(bare, p);
    return {
      bench: `rest-to-socket-p${p}-${USERS}-users`,
      unit: 'ms (lower is better)',
      value,
      baseline: 'bare node:http + Socket.IO',
      baselineValue,
      ratio: value / baselineValue,
    };
  });
}
