/**
 * The connection manager against plain `node:net`, in the same run: what admitting, watching and
 * queueing cost per message. Two rows:
 * - broadcast of 64-byte messages to many connected clients (1,000; 200 with BENCH_QUICK=1):
 *   `broadcast(manager.connections, …)` through each connection's bounded queue, against a loop of
 *   `socket.write()` over the same number of bare sockets; a batch ends when every client has
 *   received every byte. Unit: deliveries (message × client) per second. Each message carries its
 *   send time (a float64 in its first 8 bytes), so a second row gives the p99 delivery latency
 *   over every delivery of that run (both sides measured the same way).
 * - echo round trips of 64 bytes, one in flight, through a managed connection against a bare
 *   `node:net` echo.
 *   BENCH_QUICK=1 pnpm exec tsx --conditions=@socketlab/source bench/index.ts
 */
import { once } from 'node:events';
import net from 'node:net';
import { BENCH_QUICK, type BenchRow, compare } from '@socketlab/testkit';
import { broadcast, createConnectionManager, listenManagedTcp } from '../src/index.ts';
import { LatencyHistogram } from '../src/load/latency.ts';

const MESSAGE = Buffer.alloc(64, 0x61);

/** A 64-byte message stamped with the time it is sent. */
function stamped(): Buffer {
  const message = Buffer.allocUnsafe(MESSAGE.length);
  MESSAGE.copy(message);
  message.writeDoubleLE(performance.now(), 0);
  return message;
}

/** Reads one client's stream of stamped 64-byte messages, recording each one's latency. */
function latencyReader(latencies: LatencyHistogram): (chunk: Buffer) => void {
  const stamp = Buffer.alloc(8);
  let pos = 0;
  return (chunk) => {
    const now = performance.now();
    let i = 0;
    while (i < chunk.length) {
      const n = Math.min((pos < 8 ? 8 : MESSAGE.length) - pos, chunk.length - i);
      if (pos < 8) {
        chunk.copy(stamp, pos, i, i + n);
        if (pos + n === 8) latencies.record(now - stamp.readDoubleLE(0));
      }
      pos = (pos + n) % MESSAGE.length;
      i += n;
    }
  };
}
const CLIENTS = BENCH_QUICK ? 200 : 1_000;

/** Clients that count what they receive, in all; `until(bytes)` resolves once that many arrived. */
async function connectCounters(port: number, count: number) {
  const sockets: net.Socket[] = [];
  const received = { bytes: 0, target: Number.POSITIVE_INFINITY, wake: () => {} };
  const latencies = new LatencyHistogram();
  for (let i = 0; i < count; i += 50) {
    const batch = Array.from({ length: Math.min(50, count - i) }, async () => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.on('error', () => undefined);
      await once(socket, 'connect');
      const read = latencyReader(latencies);
      socket.on('data', (chunk: Buffer) => {
        read(chunk);
        received.bytes += chunk.length;
        if (received.bytes >= received.target) received.wake();
      });
      sockets.push(socket);
    });
    await Promise.all(batch);
  }
  const until = (bytes: number): Promise<void> =>
    new Promise((resolve) => {
      received.target = bytes;
      received.wake = resolve;
      if (received.bytes >= bytes) resolve();
    });
  return { sockets, received, until, latencies };
}

async function broadcastRows(): Promise<BenchRow[]> {
  const manager = createConnectionManager({
    maxConnectionsPerAddress: CLIENTS,
    heartbeatIntervalMs: 0,
  });
  const listener = await listenManagedTcp({ manager });
  const ours = await connectCounters(listener.address.port, CLIENTS);
  while (manager.size < CLIENTS) await new Promise((resolve) => setImmediate(resolve));

  const bare = new Set<net.Socket>();
  const raw = net.createServer({ noDelay: true }, (socket) => {
    socket.on('error', () => undefined);
    bare.add(socket);
    socket.on('close', () => bare.delete(socket));
  });
  raw.listen(0, '127.0.0.1');
  await once(raw, 'listening');
  const theirs = await connectCounters((raw.address() as net.AddressInfo).port, CLIENTS);
  while (bare.size < CLIENTS) await new Promise((resolve) => setImmediate(resolve));

  try {
    const row = await compare(
      `broadcast-64B-${CLIENTS}-clients`,
      'deliveries/s',
      {
        name: 'ConnectionManager broadcast',
        run: async (n) => {
          const target = ours.received.bytes + n * CLIENTS * MESSAGE.length;
          for (let i = 0; i < n; i++) broadcast(manager.connections, stamped());
          await ours.until(target);
        },
      },
      {
        name: 'node:net write loop',
        run: async (n) => {
          const target = theirs.received.bytes + n * CLIENTS * MESSAGE.length;
          for (let i = 0; i < n; i++) {
            const message = stamped();
            for (const socket of bare) socket.write(message);
          }
          await theirs.until(target);
        },
      },
      { batch: 20, maxBatches: 500 },
    );
    const p99 = ours.latencies.summary().p99;
    const baselineP99 = theirs.latencies.summary().p99;
    return [
      { ...row, value: row.value * CLIENTS, baselineValue: row.baselineValue * CLIENTS },
      {
        bench: `broadcast-64B-${CLIENTS}-clients-p99`,
        unit: 'ms p99 delivery latency (lower is better)',
        value: p99,
        baseline: row.baseline,
        baselineValue: baselineP99,
        ratio: p99 / baselineP99,
      },
    ];
  } finally {
    for (const socket of [...ours.sockets, ...theirs.sockets]) socket.destroy();
    raw.close();
    await manager.shutdown({ closeTimeoutMs: 1_000 });
  }
}

/** One client sending 64 bytes and awaiting them back, `n` times. */
async function roundTrips(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  socket.setNoDelay(true);
  let received = 0;
  let target = 0;
  let wake = (): void => {};
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received >= target) wake();
  });
  const run = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      target = received + MESSAGE.length;
      const back = new Promise<void>((resolve) => {
        wake = resolve;
      });
      socket.write(MESSAGE);
      await back;
    }
  };
  return { socket, run };
}

async function echoRow(): Promise<BenchRow> {
  const manager = createConnectionManager({ heartbeatIntervalMs: 0 });
  manager.on('connection', (conn) => {
    conn.on('message', (data) => conn.send(data));
  });
  const listener = await listenManagedTcp({ manager });
  const raw = net.createServer({ noDelay: true }, (socket) => {
    socket.on('error', () => undefined);
    socket.on('data', (data) => socket.write(data));
  });
  raw.listen(0, '127.0.0.1');
  await once(raw, 'listening');
  const ours = await roundTrips(listener.address.port);
  const theirs = await roundTrips((raw.address() as net.AddressInfo).port);
  try {
    return await compare(
      'echo-64B-round-trips',
      'round trips/s',
      { name: 'managed connection', run: ours.run },
      { name: 'node:net echo', run: theirs.run },
      { batch: 200, maxBatches: 1_000 },
    );
  } finally {
    ours.socket.destroy();
    theirs.socket.destroy();
    raw.close();
    await manager.shutdown({ closeTimeoutMs: 1_000 });
  }
}

/** The connections area's rows (see bench/index.ts). */
export async function rows(): Promise<BenchRow[]> {
  return [...(await broadcastRows()), await echoRow()];
}
