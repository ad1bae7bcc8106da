/**
 * Scale: many connections held at once, and connections accepted per second, by servers each in
 * its own child process (bench/scale-server.ts) so each RSS is its own; the clients live here.
 * - hold: 10,000 connections (1,000 with BENCH_QUICK=1) held for 60 s (5 s) by the room chat and
 *   by a connection manager over line framing with heartbeats (clients answer every ping), each
 *   against a bare `node:net` server holding as many. Value: server RSS per connection, bytes
 *   ((RSS after − RSS before) / N, after a forced GC, read in the child); lower is better. Every
 *   row carries `failed` (connections the server did not admit within 30 s) and `dropped`
 *   (admitted ones that closed or broke before the end of the hold), both must be 0, and the
 *   heartbeat row `pongs` (pings the clients answered). The rows add the V8 heap per connection
 *   (and its ratio), the heap plus external memory, and the RSS and heap of the second half of the
 *   connections alone (opened after a middle reading: what the first ones paid once is left out).
 * - accept: connect, one exchange (an echoed line, or the chat's welcome), close, with 32 clients
 *   at a time, against the bare server. Unit: connections per second.
 *   BENCH_QUICK=1 pnpm exec tsx --conditions=@socketlab/source bench/index.ts scale
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import net from 'node:net';
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { BENCH_QUICK, type BenchRow, compare } from '@socketlab/testkit';
import type { ServerStats } from './scale-server.ts';

const HELD = BENCH_QUICK ? 1_000 : 10_000;
const HOLD_MS = BENCH_QUICK ? 5_000 : 60_000;
const HEARTBEAT_MS = BENCH_QUICK ? 1_000 : 5_000;
/** Connections opened at once while filling up, each bounded by CONNECT_TIMEOUT_MS. */
const CONNECT_BATCH = 250;
const CONNECT_TIMEOUT_MS = 30_000;
const ACCEPT_CONCURRENCY = 32;
const PING = Buffer.from('\u0000ping\n');
const PONG = Buffer.from('\u0000pong\n');

type Kind = 'bare' | 'chat' | 'managed';

/** A row with what the hold rows add: drops (must be 0) and heartbeats answered. */
export interface ScaleRow extends BenchRow {
  /** RSS after − RSS before, in bytes, for ours and the bare server. */
  readonly rssGrowth?: number;
  readonly baselineRssGrowth?: number;
  /** How long opening the N connections took, in ms (for ours and the bare server). */
  readonly fillMs?: number;
  readonly baselineFillMs?: number;
  /** V8 heap in use after − before, per connection: steadier than RSS at 1,000 connections. */
  readonly heapPerConnection?: number;
  readonly baselineHeapPerConnection?: number;
  /** heapPerConnection / baselineHeapPerConnection. */
  readonly heapRatio?: number;
  /** V8 heap plus external memory (Buffers, …), after − before, per connection. */
  readonly heapExternalPerConnection?: number;
  readonly baselineHeapExternalPerConnection?: number;
  /** V8 heap committed (used or not), after − before, per connection. */
  readonly heapTotalPerConnection?: number;
  readonly baselineHeapTotalPerConnection?: number;
  /**
   * Growth of the young generation's committed bytes over the fill and hold: V8 grows it with the
   * allocation rate (heartbeats), whatever N; it is part of the RSS growth.
   */
  readonly newSpaceGrowth?: number;
  readonly baselineNewSpaceGrowth?: number;
  /** RSS and V8 heap of the second half of the connections alone (after − middle reading). */
  readonly marginalRssPerConnection?: number;
  readonly baselineMarginalRssPerConnection?: number;
  readonly marginalHeapPerConnection?: number;
  readonly baselineMarginalHeapPerConnection?: number;
  /** Connections not admitted within CONNECT_TIMEOUT_MS (must be 0). */
  readonly failed?: number;
  readonly baselineFailed?: number;
  /** Admitted connections that closed or broke before the end of the hold (must be 0). */
  readonly dropped?: number;
  readonly baselineDropped?: number;
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

/**
 * A child's RSS drops by about 10 MB some 20 s after it starts, whatever the main thread's GC
 * does (the TypeScript loader's hooks thread, a V8 isolate of its own, giving back its start-up
 * memory): its "before" reading waits until it is this old. A quick run does not wait, so its
 * RSS figures are noise (its heap figures are not).
 */
const SETTLE_MS = BENCH_QUICK ? 3_000 : 35_000;

interface ServerChild {
  readonly port: number;
  /** Resolves once the child is SETTLE_MS old. */
  settled(): Promise<void>;
  stats(): Promise<ServerStats>;
  stop(): Promise<void>;
}

async function startServer(kind: Kind): Promise<ServerChild> {
  const script = new URL('./scale-server.ts', import.meta.url).pathname;
  const child: ChildProcessByStdio<Writable, Readable, null> = spawn(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      'tsx',
      '--conditions=@socketlab/source',
      script,
      kind,
      String(HEARTBEAT_MS),
    ],
    { cwd: new URL('..', import.meta.url).pathname, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (what: string): Promise<string> => {
    const line = await within(lines.next(), 30_000, `the ${kind} server child (${what})`);
    if (line.done === true) throw new Error(`the ${kind} server child exited (${what})`);
    return line.value;
  };
  const started = performance.now();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const { port } = JSON.parse(await next('start')) as { port: number };
  return {
    port,
    settled: () =>
      new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, SETTLE_MS - (performance.now() - started))),
      ),
    stats: async () => {
      child.stdin.write('stats\n');
      return JSON.parse(await next('stats')) as ServerStats;
    },
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

interface Held {
  readonly perConnection: number;
  /** RSS after − RSS before, bytes. */
  readonly growth: number;
  /** V8 heap in use after − before, per connection. */
  readonly heap: number;
  /** V8 heap in use plus external memory (Buffers, …), after − before, per connection. */
  readonly heapExternal: number;
  /** V8 heap committed (used or not), after − before, per connection. */
  readonly heapTotal: number;
  /** Growth of the young generation's committed size, bytes: set by the allocation rate, not N. */
  readonly newSpaceGrowth: number;
  /** RSS and V8 heap of the second half alone (after − middle, per connection): the marginal cost. */
  readonly marginalRss: number;
  readonly marginalHeap: number;
  /** How long opening the HELD connections took. */
  readonly fillMs: number;
  readonly failed: number;
  readonly dropped: number;
  readonly pongs: number;
}

/** Both halves of the clients as one. */
function sum(a: Clients, b: Clients | undefined): Pick<Clients, 'failed' | 'dropped' | 'pongs'> {
  return {
    failed: a.failed + (b?.failed ?? 0),
    dropped: a.dropped + (b?.dropped ?? 0),
    pongs: a.pongs + (b?.pongs ?? 0),
  };
}

/**
 * Fills the `kind` server with HELD connections in two halves, with a reading between them,
 * holds them HOLD_MS, measures, closes them. The whole (after − before) / HELD is the figure the
 * issue asks for; the second half alone (after − middle) leaves out what the first connections
 * paid once for all (compiled code, grown tables), so it is the steadier per-connection cost.
 */
async function hold(kind: Kind, server: ServerChild): Promise<Held> {
  const half = Math.floor(HELD / 2);
  let first: Clients | undefined;
  let second: Clients | undefined;
  try {
    await server.settled();
    // Warm-up: the accept path compiled and lazily set up before the "before" reading.
    await cycles(server.port, kind, 100);
    const before = await server.stats();
    let filling = performance.now();
    first = await connectClients(server.port, half, kind);
    let fillMs = performance.now() - filling;
    const middle = await server.stats();
    filling = performance.now();
    second = await connectClients(server.port, HELD - half, kind, half);
    fillMs += performance.now() - filling;
    await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
    const after = await server.stats();
    const clients = sum(first, second);
    const missing = Math.max(0, HELD - clients.failed - after.held);
    const serverClosed = after.serverClosed - before.serverClosed;
    const dropped = Math.max(clients.dropped, missing, serverClosed);
    if (dropped > 0 || clients.failed > 0) {
      console.error(
        `scale: ${kind}: ${clients.failed} of ${HELD} not admitted in ${CONNECT_TIMEOUT_MS} ms, ${dropped} dropped (clients saw ${clients.dropped}, the server holds ${after.held} and closed ${serverClosed} itself)`,
      );
    }
    const growth = after.rss - before.rss;
    const heap = (after.heapUsed - before.heapUsed) / HELD;
    const external = (after.external - before.external) / HELD;
    const marginalRss = (after.rss - middle.rss) / (HELD - half);
    const marginalHeap = (after.heapUsed - middle.heapUsed) / (HELD - half);
    console.error(
      `scale: ${kind}: per connection RSS ${Math.round(growth / HELD)} B (second half ${Math.round(marginalRss)} B), V8 heap ${Math.round(heap)} B (second half ${Math.round(marginalHeap)} B), external ${Math.round(external)} B, heap committed ${Math.round((after.heapTotal - before.heapTotal) / HELD)} B (young generation ${Math.round((after.newSpace - before.newSpace) / 1024)} KiB in all); ${clients.pongs} pongs; opened in ${Math.round(fillMs)} ms`,
    );
    return {
      perConnection: growth / HELD,
      growth,
      heap,
      heapExternal: heap + external,
      heapTotal: (after.heapTotal - before.heapTotal) / HELD,
      newSpaceGrowth: after.newSpace - before.newSpace,
      marginalRss,
      marginalHeap,
      fillMs,
      failed: clients.failed,
      dropped,
      pongs: clients.pongs,
    };
  } finally {
    await Promise.all([first?.destroy(), second?.destroy()]);
  }
}

function holdRow(name: string, ours: Held, bare: Held): ScaleRow {
  return {
    bench: `hold-${HELD}-${name}`,
    unit: 'RSS bytes/connection (lower is better)',
    value: ours.perConnection,
    baseline: 'node:net server',
    baselineValue: bare.perConnection,
    ratio: ours.perConnection / bare.perConnection,
    rssGrowth: ours.growth,
    baselineRssGrowth: bare.growth,
    fillMs: ours.fillMs,
    baselineFillMs: bare.fillMs,
    heapPerConnection: ours.heap,
    baselineHeapPerConnection: bare.heap,
    heapRatio: ours.heap / bare.heap,
    heapExternalPerConnection: ours.heapExternal,
    baselineHeapExternalPerConnection: bare.heapExternal,
    heapTotalPerConnection: ours.heapTotal,
    baselineHeapTotalPerConnection: bare.heapTotal,
    newSpaceGrowth: ours.newSpaceGrowth,
    baselineNewSpaceGrowth: bare.newSpaceGrowth,
    marginalRssPerConnection: ours.marginalRss,
    baselineMarginalRssPerConnection: bare.marginalRss,
    marginalHeapPerConnection: ours.marginalHeap,
    baselineMarginalHeapPerConnection: bare.marginalHeap,
    failed: ours.failed,
    baselineFailed: bare.failed,
    dropped: ours.dropped,
    baselineDropped: bare.dropped,
    ...(ours.pongs > 0 ? { pongs: ours.pongs } : {}),
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
  // Started together, so only the first waits out SETTLE_MS; each is filled in turn.
  const servers = await Promise.all(
    (['bare', 'chat', 'managed'] as const).map((kind) => startServer(kind)),
  );
  const [bare, chat, managed] = servers as [ServerChild, ServerChild, ServerChild];
  try {
    // Quick: the three at once (3 × 1,000 client sockets); full: one after the other, as
    // 3 × 10,000 client sockets would pass this process's 20,000 file descriptors.
    const [bareHeld, chatHeld, managedHeld] = BENCH_QUICK
      ? await Promise.all([hold('bare', bare), hold('chat', chat), hold('managed', managed)])
      : [await hold('bare', bare), await hold('chat', chat), await hold('managed', managed)];
    return [
      holdRow('chat', chatHeld, bareHeld),
      holdRow('managed-heartbeats', managedHeld, bareHeld),
      await acceptRow('managed', managed, bare),
      await acceptRow('chat', chat, bare),
    ];
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}
