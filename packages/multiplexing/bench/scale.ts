/**
 * Scale: many connections held at once, and connections accepted per second, by servers each in
 * its own fresh child process (bench/scale-server.ts, bundled with esbuild and run with plain
 * `node` and the same V8 flags, {@link SERVER_FLAGS}, for every server) so each RSS is its own;
 * the clients live here.
 * - hold: 10,000 connections (1,000 with BENCH_QUICK=1) held for 60 s (5 s) by the room chat and
 *   by a connection manager over line framing with heartbeats (clients answer every ping), each
 *   against a bare `node:net` server holding as many. A fifth of them is a warm-up opened before
 *   the first reading (compiled code, grown tables and touched pages are paid once, before it);
 *   the other four fifths come in four steps with a reading after each (each after a forced GC).
 *   Value: server RSS per connection, bytes: (last reading − first) / the 4/5 of N opened
 *   between them, the median over RUNS runs, each in fresh processes (the steps are logged).
 *   Lower is better. The rows add the same for the V8 heap, the min–max over the runs, and
 *   `failed` (not admitted within 30 s) and `dropped` (admitted, then closed or broken before
 *   the end of the hold), both must be 0, and the heartbeat row `pongs` (pings answered).
 * - accept: connect, one exchange (an echoed line, or the chat's welcome), close, with 32 clients
 *   at a time, against the bare server. Unit: connections per second.
 *   BENCH_QUICK=1 pnpm exec tsx --conditions=@socketlab/source bench/index.ts scale
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import net from 'node:net';
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { BENCH_QUICK, type BenchRow, compare } from '@socketlab/testkit';
import { bundleForNode } from '@socketlab/testkit/bundle';
import type { ServerStats } from './scale-server.ts';

const HELD = BENCH_QUICK ? 1_000 : 10_000;
const HOLD_MS = BENCH_QUICK ? 5_000 : 60_000;
const HEARTBEAT_MS = BENCH_QUICK ? 1_000 : 5_000;
/** Measured steps after the warm-up, each HELD / (STEPS + 1) connections; the warm-up is one more. */
const STEPS = 4;
/**
 * Runs, each with fresh server processes; the rows give the median and the min–max. A quick run
 * (CI's) makes one: it only proves the benchmark works.
 */
const RUNS = Number(process.env.BENCH_SCALE_RUNS ?? (BENCH_QUICK ? 1 : 3));
/**
 * The young generation's size, MiB per semi-space, fixed (min = max) for every server. Left to
 * itself V8 grows it with the allocation rate (heartbeats grew it by up to 31 MiB), and V8 gives
 * back and takes again one of its two semi-spaces between readings whatever the flags: no cost
 * per connection, but RSS. Fixed at 1 MiB, what it can move is 2 MiB at most.
 */
const SEMI_SPACE_MIB = 1;
/** The V8 flags of every server child, whatever its kind (BENCH_SCALE_V8_FLAGS replaces them). */
export const SERVER_FLAGS: readonly string[] = process.env.BENCH_SCALE_V8_FLAGS?.split(' ').filter(
  (flag) => flag !== '',
) ?? [
  '--expose-gc',
  `--min-semi-space-size=${SEMI_SPACE_MIB}`,
  `--max-semi-space-size=${SEMI_SPACE_MIB}`,
];
/** Connections opened at once while filling up, each bounded by CONNECT_TIMEOUT_MS. */
const CONNECT_BATCH = 250;
const CONNECT_TIMEOUT_MS = 30_000;
const ACCEPT_CONCURRENCY = 32;
const PING = Buffer.from('\u0000ping\n');
const PONG = Buffer.from('\u0000pong\n');

type Kind = 'bare' | 'chat' | 'managed';

/** A median, and the lowest and highest, of some figures. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** A row with what the hold rows add: drops (must be 0) and heartbeats answered. */
export interface ScaleRow extends BenchRow {
  /** The V8 flags every server ran with, and how many runs the figures are the median of. */
  readonly serverFlags: string;
  readonly runs: number;
  /** RSS per connection over the runs (value is its median), ours and the bare server's. */
  readonly rss: Spread;
  readonly baselineRss: Spread;
  /** V8 heap in use per connection over the runs, ours and the bare server's, and the ratio. */
  readonly heap: Spread;
  readonly baselineHeap: Spread;
  readonly heapRatio: number;
  /** Heap plus external memory (Buffers, …) per connection, medians. */
  readonly heapExternal: number;
  readonly baselineHeapExternal: number;
  /** RSS and heap change over the hold itself, per connection, medians (heartbeat traffic). */
  readonly holdRss: number;
  readonly baselineHoldRss: number;
  readonly holdHeap: number;
  readonly baselineHoldHeap: number;
  /** How long opening the connections took, ms, medians. */
  readonly fillMs: number;
  readonly baselineFillMs: number;
  /** Connections not admitted within CONNECT_TIMEOUT_MS, over every run (must be 0). */
  readonly failed: number;
  readonly baselineFailed: number;
  /** Admitted connections that closed or broke before the end of the hold (must be 0). */
  readonly dropped: number;
  readonly baselineDropped: number;
  readonly pongs?: number;
}

/** Rejects after `ms` unless `promise` settles first. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

let bundled: Promise<string> | undefined;

/**
 * Bundles bench/scale-server.ts (with the library's sources) once, so the servers run on plain
 * `node`: under `--import tsx` the loader's hooks thread (a V8 isolate of its own) handed back
 * some 10 MB of RSS about 20 s after start-up, inside the measurements.
 */
function serverScript(): Promise<string> {
  bundled ??= bundleForNode(
    new URL('./scale-server.ts', import.meta.url),
    new URL('..', import.meta.url),
  );
  return bundled;
}

interface ServerChild {
  readonly port: number;
  stats(): Promise<ServerStats>;
  /** Writes a heap snapshot to `path` (BENCH_SCALE_SNAPSHOTS), then reads the stats. */
  snapshot(path: string): Promise<ServerStats>;
  stop(): Promise<void>;
}

async function startServer(kind: Kind): Promise<ServerChild> {
  const script = await serverScript();
  const child: ChildProcessByStdio<Writable, Readable, null> = spawn(
    process.execPath,
    [...SERVER_FLAGS, script, kind, String(HEARTBEAT_MS)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (what: string): Promise<string> => {
    const line = await within(lines.next(), 60_000, `the ${kind} server child (${what})`);
    if (line.done === true) throw new Error(`the ${kind} server child exited (${what})`);
    return line.value;
  };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const { port } = JSON.parse(await next('start')) as { port: number };
  const ask = async (command: string): Promise<ServerStats> => {
    child.stdin.write(`${command}\n`);
    return JSON.parse(await next(command)) as ServerStats;
  };
  return {
    port,
    stats: () => ask('stats'),
    snapshot: (path) => ask(`snapshot ${path}`),
    stop: async () => {
      child.stdin.end();
      await within(exited, 5_000, `the ${kind} server child (exit)`).catch(() => {
        child.kill('SIGKILL');
      });
    },
  };
}

interface Clients {
  readonly sockets: net.Socket[];
  /** Connections that the server did not admit within CONNECT_TIMEOUT_MS (or that failed). */
  failed: number;
  /** Admitted connections that closed or broke while they should have been held. */
  dropped: number;
  pongs: number;
  /** Destroys every socket; closes from then on are not drops. */
  destroy(): Promise<void>;
}

/**
 * Opens `count` connections, CONNECT_BATCH at a time. A connection counts as open once the
 * server answered it (the chat's welcome line; the echo of `hi` from the others), so the next
 * batch only starts once the server has admitted this one: the kernel completes handshakes on
 * its own, and a server slow to admit would otherwise see its accept queue overflow. Chat
 * clients then join one of 100 rooms (a lobby of 10,000 gets 10,000 join notices per join).
 */
async function connectClients(port: number, count: number, kind: Kind, from = 0): Promise<Clients> {
  let holding = true;
  const clients: Clients = {
    sockets: [],
    failed: 0,
    dropped: 0,
    pongs: 0,
    destroy: async () => {
      holding = false;
      const closed = clients.sockets.map(
        (s) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', resolve))),
      );
      for (const socket of clients.sockets) socket.destroy();
      await within(Promise.all(closed), 30_000, 'closing the clients');
    },
  };
  const open = (i: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      let admitted = false;
      let pingBytes = 0;
      const timer = setTimeout(
        () => socket.destroy(new Error('not admitted in time')),
        CONNECT_TIMEOUT_MS,
      );
      clients.sockets.push(socket);
      if (kind !== 'chat') socket.write('hi\n');
      socket.on('data', (chunk: Buffer) => {
        let bytes = chunk.length;
        if (!admitted) {
          // Both answers are one line; a ping could follow in the same chunk.
          const end = chunk.indexOf(0x0a);
          if (end === -1) return;
          admitted = true;
          clearTimeout(timer);
          if (kind === 'chat') socket.write(`/join r${i % 100}\n`);
          resolve();
          bytes -= end + 1;
        }
        if (kind !== 'managed') return;
        // After its echo, the managed server sends these clients nothing but pings.
        pingBytes += bytes;
        while (pingBytes >= PING.length) {
          pingBytes -= PING.length;
          socket.write(PONG);
          clients.pongs++;
        }
      });
      socket.on('error', () => undefined);
      socket.once('close', () => {
        clearTimeout(timer);
        if (!admitted) clients.failed++;
        else if (holding) clients.dropped++;
        resolve();
      });
    });
  for (let i = 0; i < count; i += CONNECT_BATCH) {
    const batch = Array.from({ length: Math.min(CONNECT_BATCH, count - i) }, (_, j) =>
      open(from + i + j),
    );
    await Promise.all(batch);
  }
  return clients;
}

/** What one run of one server measured, per connection. */
interface Held {
  /** (Last reading − first reading) / connections opened between them, bytes. */
  readonly rss: number;
  readonly heap: number;
  /** The V8 heap plus external memory (Buffers, …), the same way. */
  readonly heapExternal: number;
  /** (After the hold − after the last step) / HELD: what the hold itself added. */
  readonly holdRss: number;
  readonly holdHeap: number;
  /** How long opening the HELD connections took. */
  readonly fillMs: number;
  readonly failed: number;
  readonly dropped: number;
  readonly pongs: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function spread(values: readonly number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

const round = (n: number): number => Math.round(n);

/**
 * Fills the `kind` server with HELD connections: a warm-up fifth, a reading, then STEPS steps of
 * a fifth each with a reading after each; holds them HOLD_MS, reads once more, closes them.
 * With BENCH_SCALE_SNAPSHOTS=DIR, heap snapshots are written there at the first and last reading.
 */
async function hold(kind: Kind, server: ServerChild, run: number): Promise<Held> {
  const step = Math.floor(HELD / (STEPS + 1));
  const groups: Clients[] = [];
  const snapshots = process.env.BENCH_SCALE_SNAPSHOTS;
  const read = (when: string): Promise<ServerStats> =>
    snapshots === undefined
      ? server.stats()
      : server.snapshot(`${snapshots}/${kind}-run${run + 1}-${when}.heapsnapshot`);
  let opened = 0;
  let fillMs = 0;
  const open = async (count: number): Promise<void> => {
    const started = performance.now();
    groups.push(await connectClients(server.port, count, kind, opened));
    fillMs += performance.now() - started;
    opened += count;
  };
  try {
    // Warm-up: the accept path compiled, tables grown, pages touched, before the first reading.
    await cycles(server.port, kind, 100);
    await open(HELD - STEPS * step);
    const readings = [await read('before')];
    for (let i = 0; i < STEPS; i++) {
      await open(step);
      readings.push(i === STEPS - 1 ? await read('after') : await server.stats());
    }
    await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
    const after = await server.stats();
    const first = readings[0] as ServerStats;
    const last = readings[STEPS] as ServerStats;
    const failed = groups.reduce((n, g) => n + g.failed, 0);
    const seen = groups.reduce((n, g) => n + g.dropped, 0);
    const pongs = groups.reduce((n, g) => n + g.pongs, 0);
    const missing = Math.max(0, HELD - failed - after.held);
    const serverClosed = after.serverClosed - first.serverClosed;
    const dropped = Math.max(seen, missing, serverClosed);
    if (dropped > 0 || failed > 0) {
      console.error(
        `scale: ${kind}: ${failed} of ${HELD} not admitted in ${CONNECT_TIMEOUT_MS} ms, ${dropped} dropped (clients saw ${seen}, the server holds ${after.held} and closed ${serverClosed} itself)`,
      );
    }
    const held: Held = {
      rss: (last.rss - first.rss) / (STEPS * step),
      heap: (last.heapUsed - first.heapUsed) / (STEPS * step),
      heapExternal:
        (last.heapUsed + last.external - first.heapUsed - first.external) / (STEPS * step),
      holdRss: (after.rss - last.rss) / HELD,
      holdHeap: (after.heapUsed - last.heapUsed) / HELD,
      fillMs,
      failed,
      dropped,
      pongs,
    };
    const steps = (field: (r: ServerStats) => number): string =>
      readings
        .slice(1)
        .map((r, i) => round((field(r) - field(readings[i] as ServerStats)) / step))
        .join(', ');
    console.error(
      `scale: run ${run + 1}, ${kind}: per connection, steps of ${step}: RSS ${steps((r) => r.rss)} (all ${round(held.rss)}) B, V8 heap ${steps((r) => r.heapUsed)} (all ${round(held.heap)}) B; over the hold RSS ${round(held.holdRss)}, heap ${round(held.holdHeap)} B; young generation ${round(first.newSpace / 1024)} → ${round(after.newSpace / 1024)} KiB; ${pongs} pongs; opened in ${round(fillMs)} ms`,
    );
    return held;
  } finally {
    await Promise.all(groups.map((g) => g.destroy()));
  }
}

function holdRow(name: string, ours: readonly Held[], bare: readonly Held[]): ScaleRow {
  const of = (runs: readonly Held[], field: (h: Held) => number): number => median(runs.map(field));
  const rss = spread(ours.map((h) => h.rss));
  const baselineRss = spread(bare.map((h) => h.rss));
  const heap = spread(ours.map((h) => h.heap));
  const baselineHeap = spread(bare.map((h) => h.heap));
  const pongs = ours.reduce((n, h) => n + h.pongs, 0);
  return {
    bench: `hold-${HELD}-${name}`,
    unit: 'RSS bytes/connection (lower is better)',
    value: rss.median,
    baseline: 'node:net server',
    baselineValue: baselineRss.median,
    ratio: rss.median / baselineRss.median,
    serverFlags: SERVER_FLAGS.join(' '),
    runs: ours.length,
    rss,
    baselineRss,
    heap,
    baselineHeap,
    heapRatio: heap.median / baselineHeap.median,
    heapExternal: of(ours, (h) => h.heapExternal),
    baselineHeapExternal: of(bare, (h) => h.heapExternal),
    holdRss: of(ours, (h) => h.holdRss),
    baselineHoldRss: of(bare, (h) => h.holdRss),
    holdHeap: of(ours, (h) => h.holdHeap),
    baselineHoldHeap: of(bare, (h) => h.holdHeap),
    fillMs: of(ours, (h) => h.fillMs),
    baselineFillMs: of(bare, (h) => h.fillMs),
    failed: ours.reduce((n, h) => n + h.failed, 0),
    baselineFailed: bare.reduce((n, h) => n + h.failed, 0),
    dropped: ours.reduce((n, h) => n + h.dropped, 0),
    baselineDropped: bare.reduce((n, h) => n + h.dropped, 0),
    ...(pongs > 0 ? { pongs } : {}),
  };
}

/** One connection: open, one exchange, close; rejects after 5 s. */
function cycle(port: number, kind: Kind): Promise<void> {
  const socket = net.connect({ host: '127.0.0.1', port });
  const done = new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('connect', () => {
      if (kind !== 'chat') socket.write('hi\n'); // the chat greets first
    });
    socket.on('data', (chunk: Buffer) => {
      if (chunk.includes(0x0a)) socket.end();
    });
    socket.once('close', () => resolve());
  });
  return within(done, 5_000, 'a connect-close cycle').finally(() => socket.destroy());
}

/** `n` cycles, ACCEPT_CONCURRENCY at a time. */
async function cycles(port: number, kind: Kind, n: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      next++;
      await cycle(port, kind);
    }
  };
  await Promise.all(Array.from({ length: Math.min(ACCEPT_CONCURRENCY, n) }, worker));
}

function acceptRow(
  kind: 'chat' | 'managed',
  server: ServerChild,
  bare: ServerChild,
): Promise<BenchRow> {
  return compare(
    `accept-${kind === 'chat' ? 'chat' : 'managed-echo'}`,
    'connections/s (connect, exchange, close)',
    { name: kind, run: (n) => cycles(server.port, kind, n) },
    { name: 'node:net echo', run: (n) => cycles(bare.port, 'bare', n) },
    { batch: 100, maxBatches: BENCH_QUICK ? 5 : 30 },
  );
}

/** The scale area's rows (see bench/index.ts). */
export async function rows(): Promise<BenchRow[]> {
  const kinds = ['bare', 'chat', 'managed'] as const;
  const held: Record<Kind, Held[]> = { bare: [], chat: [], managed: [] };
  const accept: BenchRow[] = [];
  console.error(
    `scale: ${RUNS} runs, each server in a fresh \`node ${SERVER_FLAGS.join(' ')}\` process; ${HELD} connections (a fifth as warm-up, ${STEPS} measured steps) held ${HOLD_MS / 1000} s`,
  );
  for (let run = 0; run < RUNS; run++) {
    const servers = await Promise.all(kinds.map((kind) => startServer(kind)));
    const [bare, chat, managed] = servers as [ServerChild, ServerChild, ServerChild];
    try {
      // Quick: the three at once (3 × 1,000 client sockets); full: one after the other, as
      // 3 × 10,000 client sockets would pass this process's 20,000 file descriptors.
      const results = BENCH_QUICK
        ? await Promise.all(kinds.map((kind, i) => hold(kind, servers[i] as ServerChild, run)))
        : [
            await hold('bare', bare, run),
            await hold('chat', chat, run),
            await hold('managed', managed, run),
          ];
      kinds.forEach((kind, i) => {
        held[kind].push(results[i] as Held);
      });
      if (run === RUNS - 1) {
        accept.push(await acceptRow('managed', managed, bare), await acceptRow('chat', chat, bare));
      }
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
    }
  }
  return [
    holdRow('chat', held.chat, held.bare),
    holdRow('managed-heartbeats', held.managed, held.bare),
    ...accept,
  ];
}
