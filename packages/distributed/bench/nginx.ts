/**
 * End-to-end latency through nginx: Socket.IO ack round trips (`emit('echo', n, ack)`, answered
 * at once) from concurrent clients (20; 6 with BENCH_QUICK=1), each sending its pings one after
 * the other, through our own nginx (`startNginx`, cookie stickiness, one worker) in front of
 * three instances, against the same clients connected straight to one instance. Rounds
 * alternate between the two; the percentiles are over every round trip of each side. nginx,
 * the instances and the clients share the machine's two cores.
 *   pnpm --filter @socketlab/distributed bench nginx
 */
import { BENCH_QUICK, type BenchRow, withTimeout } from '@socketlab/testkit';
import { createRealtimeServer } from '@socketlab/websockets/realtime';
import type { Server } from 'socket.io';
import type { Socket } from 'socket.io-client';
import { findNginx, type NginxProcess, startNginx } from '../src/index.ts';
import { connectClients, listen, STEP_MS } from './fanout.ts';

const CLIENTS = BENCH_QUICK ? 6 : 20;
/** Round trips per client per round. */
const PINGS = BENCH_QUICK ? 20 : 250;
const ROUNDS = BENCH_QUICK ? 1 : 3;

/** Whether nginx is here: one line and a skip when it is not, a failure under CI=true. */
function nginxMissing(): string | undefined {
  try {
    findNginx();
    return undefined;
  } catch (error) {
    const missing = `${(error as Error).message}; the nginx benchmark starts its own nginx on loopback ports`;
    if (process.env.CI === 'true')
      throw new Error(`${missing} (CI=true: a missing tool is a failure)`);
    console.warn(`skipped: ${missing}`);
    return missing;
  }
}

/** Every client sends PINGS pings one after the other, all clients at once; the latencies in ms. */
async function roundTrips(clients: readonly Socket[]): Promise<number[]> {
  const out: number[] = [];
  await Promise.all(
    clients.map(async (socket) => {
      for (let i = 0; i < PINGS; i++) {
        const started = performance.now();
        await withTimeout(socket.timeout(STEP_MS).emitWithAck('echo', i), 'bench: a ping', STEP_MS);
        out.push(performance.now() - started);
      }
    }),
  );
  return out;
}

/** Latencies of one round: CLIENTS clients on `url`, connected, measured, disconnected. */
async function round(url: string): Promise<number[]> {
  const clients = await connectClients([url], CLIENTS);
  try {
    await roundTrips(clients.slice(0, 1)); // warm-up: the first pings of a connection are slower
    return await roundTrips(clients);
  } finally {
    for (const socket of clients) socket.disconnect();
  }
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;

/** The nginx area's rows (see bench/index.ts). */
export async function rows(): Promise<BenchRow[]> {
  if (nginxMissing() !== undefined) return [];
  const instances: Server[] = [];
  let lb: NginxProcess | undefined;
  try {
    const upstreams: { host: string; port: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const io = createRealtimeServer({ connectionStateRecovery: false });
      io.on('connection', (socket) => {
        socket.on('echo', (n: unknown, ack: unknown) => {
          if (typeof ack === 'function') ack(n);
        });
      });
      instances.push(io);
      const { port } = new URL(await listen(io));
      upstreams.push({ host: '127.0.0.1', port: Number(port) });
    }
    lb = await startNginx({ http: { upstreams, stickiness: 'cookie' } });
    const viaNginx = lb.http?.url as string;
    const direct = `http://127.0.0.1:${upstreams[0]?.port}`;
    const through: number[] = [];
    const straight: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      straight.push(...(await round(direct)));
      through.push(...(await round(viaNginx)));
    }
    through.sort((a, b) => a - b);
    straight.sort((a, b) => a - b);
    const side = `direct to 1 instance, ${CLIENTS} clients`;
    const latency = (p: number): BenchRow => {
      const value = percentile(through, p);
      const baselineValue = percentile(straight, p);
      return {
        bench: `nginx-3-instances-ack-p${p}`,
        unit: 'ms (lower is better)',
        value,
        baseline: side,
        baselineValue,
        ratio: value / baselineValue,
      };
    };
    return [latency(50), latency(99)];
  } finally {
    await lb?.stop();
    await Promise.all(instances.map((io) => io.close()));
  }
}
