/**
 * The tuning knobs of D9, each measured side by side in the same run on 127.0.0.1 (one process,
 * server and client both in it):
 * - Nagle: write-write-read round trips (a 10-byte header and a 10-byte body, a 1-byte reply)
 *   with `tuneSocket(socket, { noDelay: true })` against Nagle on;
 * - batching: 32-byte messages written one `write()` each against corked batches of 64 (one
 *   `writev`), Nagle off in both;
 * - highWaterMark: a bulk transfer in 16 KiB writes, honouring backpressure, with 1 MiB buffers
 *   against Node 20's default 16 KiB;
 * - backlog: a burst of connections arriving while the event loop is blocked (nothing accepts),
 *   with a backlog of 511 against 4: the SYNs that do not fit are dropped and resent after 1 s.
 * Every loop is bounded in count and in time; BENCH_QUICK=1 takes about 3 s.
 *   pnpm --filter @socketlab/distributed bench tuning
 */
import net from 'node:net';
import {
  BENCH_QUICK,
  type BenchCase,
  type BenchRow,
  compare,
  withTimeout,
} from '@socketlab/testkit';
import { listenTuned, type TunedServer, tuneSocket } from '../src/index.ts';

/** Bound on any single wait (a round trip, a transfer, a burst). */
const STEP_MS = 10_000;

const bounded = <T>(promise: Promise<T>, what: string): Promise<T> =>
  withTimeout(promise, `bench: ${what}`, STEP_MS);

async function connect(
  port: number,
  options: net.NetConnectOpts | object = {},
): Promise<net.Socket> {
  const socket = net.connect({ ...options, host: '127.0.0.1', port });
  await bounded(new Promise((resolve) => socket.once('connect', resolve)), 'connect');
  return socket;
}

/** Nagle on and off: round trips per second of header+body → 1-byte reply, and the median. */
async function nagle(): Promise<BenchRow[]> {
  const rounds = BENCH_QUICK ? 10 : 100;
  const server = await listenTuned({}, (socket) => {
    let held = 0;
    socket.on('data', (chunk: Buffer) => {
      held += chunk.length;
      for (; held >= 20; held -= 20) socket.write('k');
    });
  });
  const latencies = async (noDelay: boolean): Promise<number[]> => {
    const client = await connect(server.address.port);
    tuneSocket(client, { noDelay, keepAliveDelayMs: false });
    const out: number[] = [];
    try {
      for (let i = 0; i < rounds; i++) {
        const reply = new Promise((resolve) => client.once('data', resolve));
        const started = performance.now();
        client.write(Buffer.alloc(10, 1)); // the header
        client.write(Buffer.alloc(10, 2)); // the body
        await bounded(reply, 'a write-write-read round trip');
        out.push(performance.now() - started);
      }
    } finally {
      client.destroy();
    }
    return out;
  };
  try {
    const on: number[] = [];
    const off: number[] = [];
    for (let r = 0; r < 2; r++) {
      off.push(...(await latencies(true)));
      on.push(...(await latencies(false)));
    }
    const rate = (xs: number[]) => xs.length / (xs.reduce((a, b) => a + b, 0) / 1_000);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    return [
      row('tuning-nagle-noDelay', 'round trips/s', rate(off), 'Nagle on', rate(on)),
      row('tuning-nagle-median', 'ms (lower is better)', median(off), 'Nagle on', median(on)),
    ];
  } finally {
    await server.close();
  }
}

/** Many small writes against corked batches: 32-byte messages per second, received in full. */
async function batching(): Promise<BenchRow[]> {
  let received = 0;
  let waiting: { until: number; resolve: () => void } | undefined;
  const server = await listenTuned({}, (socket) => {
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (waiting !== undefined && received >= waiting.until) waiting.resolve();
    });
  });
  const client = await connect(server.address.port);
  tuneSocket(client);
  const message = Buffer.alloc(32, 7);
  const sendAll = async (count: number, corked: boolean): Promise<void> => {
    const until = received + count * message.length;
    const done = new Promise<void>((resolve) => {
      waiting = { until, resolve };
    });
    for (let i = 0; i < count; i += 64) {
      if (corked) client.cork();
      for (let j = i; j < Math.min(count, i + 64); j++) client.write(message);
      if (corked) client.uncork();
      if (client.writableNeedDrain)
        await bounded(new Promise((r) => client.once('drain', r)), 'drain');
    }
    if (received >= until) return;
    await bounded(done, 'the server to receive every message');
  };
  const side = (name: string, corked: boolean): BenchCase => ({
    name,
    run: (n) => sendAll(n, corked),
  });
  try {
    return [
      await compare(
        'tuning-writes-corked-64',
        'messages/s',
        side('corked x64', true),
        side('one write each', false),
        {
          batch: 2_048,
        },
      ),
    ];
  } finally {
    client.destroy();
    await server.close();
  }
}

/** Bulk throughput with 1 MiB stream buffers against 16 KiB, writes of 16 KiB with backpressure. */
async function highWaterMark(): Promise<BenchRow[]> {
  const totalBytes = (BENCH_QUICK ? 16 : 256) * 1024 * 1024;
  const chunk = Buffer.alloc(16 * 1024, 3);
  const transfer = async (hwm: number): Promise<number> => {
    let sent = 0;
    const server: TunedServer = await listenTuned({ highWaterMark: hwm }, (socket) => {
      const pump = (): void => {
        while (sent < totalBytes) {
          sent += chunk.length;
          if (!socket.write(chunk)) {
            socket.once('drain', pump);
            return;
          }
        }
        socket.end();
      };
      pump();
    });
    try {
      const started = performance.now();
      // Node's Socket takes a stream's highWaterMark; @types/node 20 does not list it for connect().
      const client = net.connect({
        host: '127.0.0.1',
        port: server.address.port,
        highWaterMark: hwm,
      } as net.NetConnectOpts);
      let got = 0;
      client.on('data', (data: Buffer) => {
        got += data.length;
      });
      await bounded(new Promise((resolve) => client.once('end', resolve)), 'the bulk transfer');
      client.destroy();
      if (got !== totalBytes) throw new Error(`bench: received ${got} of ${totalBytes} bytes`);
      return totalBytes / 1024 / 1024 / ((performance.now() - started) / 1_000);
    } finally {
      await server.close();
    }
  };
  let large = 0;
  let small = 0;
  for (let r = 0; r < (BENCH_QUICK ? 1 : 3); r++) {
    large = Math.max(large, await transfer(1024 * 1024));
    small = Math.max(small, await transfer(16 * 1024));
  }
  return [row('tuning-highWaterMark-1MiB', 'MiB/s', large, '16 KiB', small)];
}

/**
 * A burst of `count` connections while nothing accepts for `blockMs`: how many the server has
 * accepted `graceMs` after it wakes up. The connect() calls (so the SYNs) happen before the block;
 * the connections the accept queue could not hold wait for a SYN resent after 1 s, then 3 s, 7 s…
 */
async function burst(
  backlog: number,
  count: number,
  blockMs: number,
  graceMs: number,
): Promise<number> {
  let accepted = 0;
  const server = await listenTuned({ backlog }, (socket) => {
    socket.on('error', () => {});
    accepted++;
  });
  const clients: net.Socket[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const socket = net.connect({ host: '127.0.0.1', port: server.address.port });
      socket.on('error', () => {});
      clients.push(socket);
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, blockMs); // nothing accepts
    await new Promise((resolve) => setTimeout(resolve, graceMs));
    return accepted;
  } finally {
    for (const socket of clients) socket.destroy();
    await server.close();
  }
}

async function backlog(): Promise<BenchRow[]> {
  const count = 64;
  const blockMs = BENCH_QUICK ? 50 : 200;
  let large = 0;
  let small = 0;
  for (let r = 0; r < (BENCH_QUICK ? 1 : 3); r++) {
    large = Math.max(large, await burst(511, count, blockMs, 300));
    small = Math.max(small, await burst(4, count, blockMs, 300));
  }
  return [
    row(
      `tuning-backlog-burst-${count}`,
      'connections accepted within 300 ms of waking',
      large,
      'backlog 4',
      small,
    ),
  ];
}

function row(
  bench: string,
  unit: string,
  value: number,
  baseline: string,
  baselineValue: number,
): BenchRow {
  return { bench, unit, value, baseline, baselineValue, ratio: value / baselineValue };
}

export async function rows(): Promise<BenchRow[]> {
  return [
    ...(await nagle()),
    ...(await batching()),
    ...(await highWaterMark()),
    ...(await backlog()),
  ];
}
