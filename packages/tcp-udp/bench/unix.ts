/**
 * Unix domain sockets against TCP on 127.0.0.1, in the same run: framed echo round trips (one
 * client, one request in flight, 64-byte messages) and one-way bulk throughput.
 *   BENCH_QUICK=1 pnpm exec tsx --conditions=@socketlab/source bench/index.ts unix
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_QUICK, type BenchRow, compare } from '@socketlab/testkit';
import {
  connectFramed,
  connectTcpClient,
  connectUnix,
  type FramedSocket,
  lengthPrefixCodec,
  listenFramedEchoServer,
  listenUnix,
  type TcpConnection,
} from '../src/index.ts';

const MESSAGE = Buffer.alloc(64, 0x61);
const BULK_BYTES = (BENCH_QUICK ? 16 : 256) * 1024 * 1024;
const BULK_CHUNK = 64 * 1024;
const BULK_BUDGET_MS = BENCH_QUICK ? 2_000 : 10_000;

async function roundTrips(client: FramedSocket, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await client.send(MESSAGE);
    const echo = await client.read();
    if (echo?.length !== MESSAGE.length) throw new Error('the echo did not come back whole');
  }
}

async function echoRow(dir: string): Promise<BenchRow> {
  const path = join(dir, 'echo.sock');
  const unixServer = await listenFramedEchoServer({ framing: 'length', path });
  const tcpServer = await listenFramedEchoServer({ framing: 'length', host: '127.0.0.1', port: 0 });
  const port = typeof tcpServer.address === 'string' ? 0 : tcpServer.address.port;
  const unixClient = await connectFramed({ path }, { codec: lengthPrefixCodec() });
  const tcpClient = await connectFramed(
    { host: '127.0.0.1', port },
    { codec: lengthPrefixCodec() },
  );
  tcpClient.socket.setNoDelay(true);
  try {
    return await compare(
      'unix-echo-64B',
      'round trips/s',
      { name: 'unix socket', run: (n) => roundTrips(unixClient, n) },
      { name: 'tcp 127.0.0.1', run: (n) => roundTrips(tcpClient, n) },
      { batch: 200 },
    );
  } finally {
    unixClient.destroy();
    tcpClient.destroy();
    await Promise.all([unixServer.close(), tcpServer.close()]);
  }
}

/** Sends BULK_BYTES (or what fits the time budget) one way; returns MiB/s as the receiver saw it. */
/** One-way bulk through a {@link TcpConnection} (both sides of the comparison use the same type). */
async function bulk(server: net.Server, connect: () => Promise<TcpConnection>): Promise<number> {
  const received = new Promise<{ bytes: number; ms: number }>((resolve) => {
    server.once('connection', (socket) => {
      let bytes = 0;
      const start = performance.now();
      socket.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      socket.on('end', () => resolve({ bytes, ms: performance.now() - start }));
      socket.on('error', () => resolve({ bytes, ms: performance.now() - start }));
    });
  });
  const conn = await connect();
  const chunk = Buffer.alloc(BULK_CHUNK, 0x62);
  const deadline = performance.now() + BULK_BUDGET_MS;
  for (let sent = 0; sent < BULK_BYTES && performance.now() < deadline; sent += chunk.length) {
    await conn.write(chunk); // resolves at once, or after 'drain'
  }
  const closed = conn.end().catch(() => undefined);
  const { bytes, ms } = await received;
  conn.destroy();
  await closed;
  return bytes / (1024 * 1024) / (ms / 1000);
}

async function bulkRow(dir: string): Promise<BenchRow> {
  const unix = await listenUnix(join(dir, 'bulk.sock'));
  const tcp = net.createServer();
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  const port = (tcp.address() as net.AddressInfo).port;
  const viaTcp = (): Promise<TcpConnection> => connectTcpClient({ host: '127.0.0.1', port });
  let value = 0;
  let baselineValue = 0;
  try {
    for (let round = 0; round < (BENCH_QUICK ? 1 : 3); round++) {
      value = Math.max(value, await bulk(unix.server, () => connectUnix(unix.path)));
      baselineValue = Math.max(baselineValue, await bulk(tcp, viaTcp));
    }
  } finally {
    await unix.close();
    await new Promise((resolve) => tcp.close(resolve));
  }
  return {
    bench: 'unix-bulk-64KiB-writes',
    unit: 'MiB/s',
    value,
    baseline: 'tcp 127.0.0.1',
    baselineValue,
    ratio: value / baselineValue,
  };
}

export async function rows(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sl-bench-'));
  try {
    return [await echoRow(dir), await bulkRow(dir)];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
