/**
 * Memory per idle connection, server side: 10,000 open WebSockets (500 with BENCH_QUICK=1) held
 * by a server process, with the clients in another process, both of one implementation; one
 * side at a time, each in fresh processes, so no side's garbage or code is in another's figures.
 * The server's memory is read after two forced GCs, once before (after a warm-up of 100
 * connections opened and closed, so the accept path is compiled) and once with every
 * connection open; the rows give (after − before) / N. Two rows per baseline: RSS and V8 heap
 * in use. Lower is better: a ratio under 1 means ours holds less.
 * Each process needs one descriptor per connection: a lower `ulimit -n` lowers N, and says so.
 *   BENCH_QUICK=1 pnpm exec tsx --conditions=@socketlab/source bench/index.ts memory
 */
import { execFileSync } from 'node:child_process';
import { BENCH_QUICK, type BenchRow } from '@socketlab/testkit';
import { checkLoaded, Peer, rowsAgainstBoth, SIDES, type Side, type SideName } from './sides.ts';

const WANTED = BENCH_QUICK ? 500 : 10_000;
const WARM_UP = 100;
/** Descriptors a process needs beyond one per connection (stdio, IPC, the listener, …). */
const SPARE_FDS = 100;
/** How long the server may take to count every connection the client opened. */
const ADMIT_TIMEOUT_MS = 30_000;

/** The soft limit on open files, as the forked peers inherit it. */
function openFileLimit(): number {
  const out = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
  return out === 'unlimited' ? Number.POSITIVE_INFINITY : Number(out);
}

function connectionCount(): number {
  const limit = openFileLimit();
  if (limit >= WANTED + SPARE_FDS) return WANTED;
  const count = Math.max(0, limit - SPARE_FDS);
  console.error(
    `memory: ulimit -n is ${limit}, too low for ${WANTED.toLocaleString('en')} connections per process: measuring ${count} instead (raise it with \`ulimit -n ${WANTED + SPARE_FDS}\`)`,
  );
  return count;
}

/** Polls the server until it holds `count` connections, at most ADMIT_TIMEOUT_MS. */
async function serverHolds(server: Peer, count: number): Promise<void> {
  const deadline = performance.now() + ADMIT_TIMEOUT_MS;
  for (;;) {
    const { size } = await server.request('size');
    if (Number(size) === count) return;
    if (performance.now() > deadline) {
      throw new Error(`${server.what} holds ${size} connections, expected ${count}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Held {
  readonly rss: number;
  readonly heap: number;
  readonly external: number;
}

/** A side's fresh server and client processes. */
interface Processes {
  readonly server: Peer;
  readonly client: Peer;
}

async function hold(side: Side, { server, client }: Processes, count: number): Promise<Held> {
  try {
    const listening = await server.request('listen', { echo: false });
    checkLoaded(side, listening.addons);
    const port = Number(listening.port);
    await client.request('connect', { port, count: WARM_UP });
    await serverHolds(server, WARM_UP);
    await client.request('close');
    await serverHolds(server, 0);
    const before = await server.request('memory');
    const { failed } = await client.request('connect', { port, count });
    if (Number(failed) > 0) throw new Error(`${side.name}: ${failed} of ${count} did not open`);
    await serverHolds(server, count);
    const after = await server.request('memory');
    const per = (key: string): number => (Number(after[key]) - Number(before[key])) / count;
    const held = { rss: per('rss'), heap: per('heapUsed'), external: per('external') };
    console.error(
      `memory: ${side.name}: per connection RSS ${Math.round(held.rss)} B, V8 heap ${Math.round(held.heap)} B, external ${Math.round(held.external)} B`,
    );
    return held;
  } finally {
    await Promise.all([server.stop(), client.stop()]);
  }
}

/** The memory area's rows (see bench/index.ts). */
export async function rows(): Promise<BenchRow[]> {
  const count = connectionCount();
  if (count === 0) return [];
  // Every process is started at once (start-up is slow on a busy machine), then each side is
  // filled and measured in turn while the others' processes wait, idle, and stopped after.
  const started = await Promise.allSettled(
    SIDES.map(async (side) => {
      const [server, client] = await Promise.all([
        Peer.start('server', side),
        Peer.start('client', side),
      ]);
      return { server, client };
    }),
  );
  const processes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(processes.flatMap((p) => [p.server.stop(), p.client.stop()]));
    throw failed.reason;
  }
  const held = {} as Record<SideName, Held>;
  try {
    for (const [i, side] of SIDES.entries()) {
      held[side.name] = await hold(side, processes[i] as Processes, count);
    }
  } finally {
    await Promise.all(processes.flatMap((p) => [p.server.stop(), p.client.stop()]));
  }
  const of = (key: keyof Held): Record<SideName, number> => ({
    ours: held.ours[key],
    'ws-pure': held['ws-pure'][key],
    'ws-native': held['ws-native'][key],
  });
  const connections = `${count}-idle-connections`;
  const externals = (baseline: SideName) => ({
    external: held.ours.external,
    baselineExternal: held[baseline].external,
  });
  return [
    ...rowsAgainstBoth(
      `memory-rss-${connections}`,
      'server RSS bytes/connection (lower is better)',
      of('rss'),
    ),
    ...rowsAgainstBoth(
      `memory-heap-${connections}`,
      'server V8 heap bytes/connection (lower is better)',
      of('heap'),
      externals,
    ),
  ];
}
