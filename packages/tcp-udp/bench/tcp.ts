/**
 * The TCP layer against plain `node:net`, in the same run: what the typed, close-aware
 * `TcpConnection` costs. Two rows: echo throughput in 64 KiB chunks (one chunk in flight, so each
 * write is awaited on both sides), and connections opened and closed gracefully per second (the
 * server closes first, so TIME-WAIT entries stay on the server's port, not on client ports).
 *   BENCH_QUICK=1 pnpm exec tsx --conditions=@socketlab/source bench/index.ts tcp
 */
import { once } from 'node:events';
import net from 'node:net';
import { type BenchRow, compare } from '@socketlab/testkit';
import {
  connectTcpClient,
  createTcpServer,
  type TcpConnection,
  type TcpServer,
} from '../src/index.ts';

const CHUNK = Buffer.alloc(64 * 1024, 0x5a);

/** Sends `n` chunks one at a time, each awaited back in full before the next. */
async function echoChunks(
  send: (chunk: Buffer) => Promise<void>,
  received: { bytes: number; wake?: () => void },
  n: number,
): Promise<void> {
  for (let i = 0; i < n; i++) {
    const target = received.bytes + CHUNK.length;
    const back = new Promise<void>((resolve) => {
      received.wake = () => {
        if (received.bytes >= target) resolve();
      };
    });
    await send(CHUNK);
    received.wake?.();
    await back;
  }
}

async function echoRow(): Promise<BenchRow> {
  const ours = createTcpServer({
    onConnection: async (conn) => {
      try {
        for await (const chunk of conn) await conn.write(chunk);
        await conn.end();
      } catch {
        // the client resets at the end of the benchmark
      }
    },
  });
  const { port: oursPort } = await ours.listen();
  const raw = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  raw.listen(0, '127.0.0.1');
  await once(raw, 'listening');
  const rawPort = (raw.address() as net.AddressInfo).port;

  const oursReceived: { bytes: number; wake?: () => void } = { bytes: 0 };
  const client = await connectTcpClient({ port: oursPort });
  client.on('data', (chunk) => {
    oursReceived.bytes += chunk.length;
    oursReceived.wake?.();
  });
  const rawReceived: { bytes: number; wake?: () => void } = { bytes: 0 };
  const socket = net.connect({ host: '127.0.0.1', port: rawPort });
  await once(socket, 'connect');
  socket.on('data', (chunk: Buffer) => {
    rawReceived.bytes += chunk.length;
    rawReceived.wake?.();
  });
  const rawWrite = (chunk: Buffer): Promise<void> =>
    new Promise((resolve, reject) => socket.write(chunk, (e) => (e ? reject(e) : resolve())));
  try {
    const row = await compare(
      'tcp-echo-64KiB',
      'MiB/s',
      { name: 'TcpConnection', run: (n) => echoChunks((c) => client.write(c), oursReceived, n) },
      { name: 'node:net', run: (n) => echoChunks(rawWrite, rawReceived, n) },
      { batch: 32, maxBatches: 2_000 },
    );
    const perSecond = (chunks: number): number => (chunks * CHUNK.length) / (1024 * 1024);
    return { ...row, value: perSecond(row.value), baselineValue: perSecond(row.baselineValue) };
  } finally {
    client.reset();
    socket.destroy();
    raw.close();
    await ours.close();
  }
}

async function oursOpenClose(port: number, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const conn: TcpConnection = await connectTcpClient({ port });
    conn.on('data', () => undefined);
    if (!conn.peerEnded) await once(conn, 'end');
    await conn.end();
  }
}

async function rawOpenClose(port: number, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.resume();
    await once(socket, 'close'); // the server ends first; Node ends ours (allowHalfOpen false)
  }
}

async function connectRow(): Promise<BenchRow> {
  const ours: TcpServer = createTcpServer({ onConnection: (conn) => void conn.end() });
  const { port: oursPort } = await ours.listen();
  const raw = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.resume();
    socket.end();
  });
  raw.listen(0, '127.0.0.1');
  await once(raw, 'listening');
  const rawPort = (raw.address() as net.AddressInfo).port;
  try {
    // Bounded: at most 20 batches of 25 per measurement, a few thousand connections in all.
    return await compare(
      'tcp-connect-close',
      'connections/s',
      { name: 'TcpServer + connectTcpClient', run: (n) => oursOpenClose(oursPort, n) },
      { name: 'node:net', run: (n) => rawOpenClose(rawPort, n) },
      { batch: 25, maxBatches: 20 },
    );
  } finally {
    raw.close();
    await ours.close();
  }
}

/** The TCP area's rows (see bench/index.ts). */
export async function rows(): Promise<BenchRow[]> {
  return [await echoRow(), await connectRow()];
}
