/**
 * Goodput of reliable UDP (connectReliableUdp / listenReliableUdp) on loopback, directly and
 * through listenImpairedUdpLink at 0 %, 1 % and 10 % loss, and with path MTU discovery, each
 * against a raw node:dgram blast of the same bytes in datagrams of the same payload size measured
 * in the same run (no header, no ACK, no retransmission: the ceiling), plus plain node:net TCP as
 * one context row. Timed from the end of the handshake to the last byte at the receiver.
 * One untimed transfer of each kind runs first (warm-up: V8 has compiled both paths before the
 * clock starts), and the loss-free rows move 8 MiB, so they measure a transfer in steady state
 * rather than the first milliseconds of a fresh connection.
 *   BENCH_QUICK=1 pnpm exec tsx --conditions=@socketlab/source bench/index.ts reliable-udp
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import { BENCH_QUICK, type BenchRow } from '@socketlab/testkit';
import { createSeededRandom } from '../src/impaired/prng.ts';
import { listenImpairedUdpLink } from '../src/impaired/udp-link.ts';
import {
  DEFAULT_RELIABLE_MAX_PAYLOAD_BYTES,
  RELIABLE_HEADER_BYTES,
  RELIABLE_SACK_BLOCK_BYTES,
} from '../src/reliable/packet.ts';
import { UDP_MAX_DATAGRAM_BYTES } from '../src/reliable/pmtu.ts';
import { listenReliableUdp } from '../src/reliable/server.ts';
import { connectReliableUdp, type ReliableUdpConnection } from '../src/reliable/socket.ts';

/** Short under BENCH_QUICK=1 and on CI (CI=true), so CI only proves the rows still work. */
const QUICK = BENCH_QUICK || process.env.CI === 'true';
const BYTES = QUICK ? 256 * 1024 : 2 * 1024 * 1024;
/** The loss-free rows: long enough that the handshake and the first window are a small part. */
const STEADY_BYTES = QUICK ? BYTES : 8 * 1024 * 1024;
const ROUNDS = QUICK ? 1 : 2;
const LIMIT_MS = 60_000;
/** Loopback RTTs are microseconds: a 20 ms RTO floor instead of RFC 6298's 1 s (see the lesson). */
const LIMITS = { rto: { minRtoMs: 20, initialRtoMs: 200 }, lingerMs: 50, maxRetransmits: 40 };

const payload = Buffer.from(createSeededRandom(1).fill(new Uint8Array(STEADY_BYTES)));

function bounded<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${LIMIT_MS} ms`)), LIMIT_MS);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** MB/s of one reliable-UDP upload, optionally through an impaired link with `loss`. */
async function reliableGoodput(
  loss: number | undefined,
  seed: number,
  congestionControl: 'fixed' | 'reno' = 'fixed',
  onStats: (stats: ReliableUdpConnection['stats']) => void = () => {},
  extra: { maxDatagramBytes?: number } = {},
  bytes = BYTES,
): Promise<number> {
  const limits = { ...LIMITS, congestionControl, ...extra };
  let done: (n: number) => void = () => {};
  const finished = new Promise<number>((resolve) => {
    done = resolve;
  });
  const server = await listenReliableUdp(limits, (connection) => {
    (async () => {
      let n = 0;
      for await (const chunk of connection) n += chunk.length;
      await connection.end();
      done(n);
    })().catch(() => {});
  });
  const link =
    loss === undefined
      ? undefined
      : await listenImpairedUdpLink({ target: server.address, seed, loss });
  try {
    const port = link ? link.address.port : server.address.port;
    const client = await connectReliableUdp({ ...limits, host: '127.0.0.1', port });
    // With path MTU discovery, let the search finish first (bounded: 2 s): the row is about the
    // size it finds, not about the first milliseconds at 1,200 bytes.
    const target = extra.maxDatagramBytes;
    for (let i = 0; target !== undefined && i < 200; i++) {
      if (client.stats.pathDatagramBytes >= target) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const started = performance.now(); // after the handshake, as for TCP: goodput of the transfer
    for (let offset = 0; offset < bytes; offset += 64 * 1024) {
      await client.write(payload.subarray(offset, Math.min(bytes, offset + 64 * 1024)));
    }
    const ending = client.end();
    const received = await bounded(finished, 'a reliable-UDP transfer');
    const seconds = (performance.now() - started) / 1000;
    await ending.catch(() => {});
    onStats(client.stats);
    client.close();
    if (received !== bytes) throw new Error(`reliable UDP delivered ${received} of ${bytes} bytes`);
    return bytes / 1e6 / seconds;
  } finally {
    await link?.close();
    await server.close();
  }
}

/**
 * MB/s of a raw node:dgram blast of `datagramBytes`-byte payloads carrying the same bytes: no
 * header, no ACK, no retransmission, so the ceiling of what datagrams allow in this process. The
 * sender sends 32 datagrams per event-loop turn (libuv reads at most 32 per readable event, so a
 * bigger burst only overflows the receiver's buffer) and yields with setImmediate; what the kernel
 * drops anyway is simply not counted.
 * Timed from the first send to the last datagram received.
 */
async function dgramGoodput(datagramBytes: number, bytes = BYTES): Promise<number> {
  const receiver = dgram.createSocket('udp4');
  const sender = dgram.createSocket('udp4');
  let received = 0;
  let lastAt = 0;
  let notify: () => void = () => {};
  receiver.on('message', (message) => {
    received += message.length;
    lastAt = performance.now();
    if (received >= bytes) notify();
  });
  try {
    await new Promise<void>((resolve) => receiver.bind(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) =>
      sender.connect(receiver.address().port, '127.0.0.1', resolve),
    );
    const started = performance.now();
    for (let offset = 0; offset < bytes; ) {
      for (let i = 0; i < 32 && offset < bytes; i++, offset += datagramBytes) {
        sender.send(payload.subarray(offset, Math.min(bytes, offset + datagramBytes)));
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    // Everything is sent: wait for the rest, or 200 ms of silence (the kernel dropped some).
    for (let i = 0; i < 100 && received < bytes; i++) {
      const before = received;
      await new Promise<void>((resolve) => {
        notify = resolve;
        setTimeout(resolve, 20);
      });
      if (received === before && performance.now() - lastAt > 200) break;
    }
    const seconds = ((lastAt || performance.now()) - started) / 1000;
    return received / 1e6 / seconds;
  } finally {
    sender.close();
    receiver.close();
  }
}

/** MB/s of one plain TCP upload of the same bytes on loopback. */
async function tcpGoodput(): Promise<number> {
  let done: (n: number) => void = () => {};
  const finished = new Promise<number>((resolve) => {
    done = resolve;
  });
  const server = net.createServer((socket) => {
    let n = 0;
    socket.on('data', (chunk: Buffer) => {
      n += chunk.length;
    });
    socket.on('end', () => {
      done(n);
      socket.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const { port } = server.address() as net.AddressInfo;
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const started = performance.now();
    for (let offset = 0; offset < BYTES; offset += 64 * 1024) {
      if (!socket.write(payload.subarray(offset, offset + 64 * 1024))) await once(socket, 'drain');
    }
    socket.end();
    const received = await bounded(finished, 'a TCP transfer');
    const seconds = (performance.now() - started) / 1000;
    socket.destroy();
    if (received !== BYTES) throw new Error(`TCP delivered ${received} of ${BYTES} bytes`);
    return BYTES / 1e6 / seconds;
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * RTT fairness: two uploads at once through one impaired link (1 % loss) to one server, the
 * second through an extra link that adds 10 ms each way (a longer RTT). Returns each flow's MB/s,
 * timed from the common start until its end() resolves (every byte acknowledged).
 */
async function fairness(seed: number): Promise<[short: number, long: number]> {
  const limits = { ...LIMITS, congestionControl: 'reno' as const };
  const server = await listenReliableUdp(limits, (connection) => {
    (async () => {
      for await (const _ of connection) {
        // drain: each client's end() resolves once all its bytes were acknowledged
      }
      await connection.end();
    })().catch(() => {});
  });
  const shared = await listenImpairedUdpLink({ target: server.address, seed, loss: 0.01 });
  const far = await listenImpairedUdpLink({ target: shared.address, seed: seed + 1, delayMs: 10 });
  try {
    const clients = await Promise.all(
      [shared, far].map((link) =>
        connectReliableUdp({ ...limits, host: '127.0.0.1', port: link.address.port }),
      ),
    );
    const started = performance.now();
    const done = clients.map(
      (client) =>
        new Promise<number>((resolve) => {
          const upload = async (): Promise<void> => {
            for (let offset = 0; offset < BYTES; offset += 64 * 1024) {
              await client.write(payload.subarray(offset, offset + 64 * 1024));
            }
            await client.end();
            resolve(performance.now());
          };
          upload().catch(() => resolve(Number.NaN));
        }),
    );
    const ends = await bounded(Promise.all(done), 'two fair-share uploads');
    for (const client of clients) client.close();
    const [short, long] = ends.map((at) => BYTES / 1e6 / ((at - started) / 1000));
    return [short ?? 0, long ?? 0];
  } finally {
    await far.close();
    await shared.close();
    await server.close();
  }
}

export async function rows(): Promise<BenchRow[]> {
  const cases: [string, number | undefined, 'fixed' | 'reno'][] = [
    ['reliable-udp direct', undefined, 'fixed'],
    ['reliable-udp link 0% loss', 0, 'fixed'],
    ['reliable-udp link 1% loss', 0.01, 'fixed'],
    ['reliable-udp link 10% loss', 0.1, 'fixed'],
    ['reliable-udp reno link 1% loss', 0.01, 'reno'],
    ['reliable-udp reno link 10% loss', 0.1, 'reno'],
  ];
  const out: BenchRow[] = [];
  const payloadBytes = DEFAULT_RELIABLE_MAX_PAYLOAD_BYTES;
  // Warm-up, untimed: both paths compiled before either is measured.
  await reliableGoodput(undefined, 1);
  await dgramGoodput(payloadBytes);
  for (const [bench, loss, control] of cases) {
    const bytes = loss === undefined || loss === 0 ? STEADY_BYTES : BYTES;
    let value = 0;
    let baselineValue = 0;
    for (let r = 0; r < ROUNDS; r++) {
      value = Math.max(value, await reliableGoodput(loss, 42 + r, control, undefined, {}, bytes));
      baselineValue = Math.max(baselineValue, await dgramGoodput(payloadBytes, bytes));
    }
    out.push({
      bench: `${bench} ${bytes >> 10} KiB`,
      unit: 'MB/s',
      value,
      baseline: `node:dgram blast ${payloadBytes} B`,
      baselineValue,
      ratio: value / baselineValue,
    });
  }
  // Path MTU discovery on loopback: the segment size it settles on, against a raw blast of
  // datagrams with that payload.
  let mtu = 0;
  let segment = payloadBytes;
  for (let r = 0; r < ROUNDS; r++) {
    const value = await reliableGoodput(
      undefined,
      42 + r,
      'fixed',
      (stats) => {
        segment = stats.pathDatagramBytes - RELIABLE_HEADER_BYTES - 4 * RELIABLE_SACK_BLOCK_BYTES;
      },
      { maxDatagramBytes: UDP_MAX_DATAGRAM_BYTES },
    );
    mtu = Math.max(mtu, value);
  }
  let mtuRaw = 0;
  for (let r = 0; r < ROUNDS; r++) mtuRaw = Math.max(mtuRaw, await dgramGoodput(segment));
  out.push({
    bench: `reliable-udp direct, path MTU found: ${segment} B payload, ${BYTES >> 10} KiB`,
    unit: 'MB/s',
    value: mtu,
    baseline: `node:dgram blast ${segment} B`,
    baselineValue: mtuRaw,
    ratio: mtu / mtuRaw,
  });
  let short = 0;
  let long = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const [a, b] = await fairness(7 + r);
    short = Math.max(short, a);
    long = Math.max(long, b);
  }
  out.push({
    bench: `reliable-udp RTT fairness, reno, 1% loss, +20 ms RTT flow, ${BYTES >> 10} KiB each`,
    unit: 'MB/s (1.0 = fair)',
    value: long,
    baseline: 'short-RTT flow on the same link',
    baselineValue: short,
    ratio: long / short,
  });
  let tcp = 0;
  let raw = 0;
  for (let r = 0; r < ROUNDS; r++) {
    tcp = Math.max(tcp, await tcpGoodput());
    raw = Math.max(raw, await dgramGoodput(payloadBytes));
  }
  out.push({
    bench: `node:net TCP loopback ${BYTES >> 10} KiB`,
    unit: 'MB/s',
    value: tcp,
    baseline: `node:dgram blast ${payloadBytes} B`,
    baselineValue: raw,
    ratio: tcp / raw,
  });
  return out;
}
