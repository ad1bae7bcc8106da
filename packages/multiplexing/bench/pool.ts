/**
 * The connection pool against the obvious alternative, connecting for every request, in the same
 * run, on one framed request/response server (64-byte frames, u32 length prefix). Two rows:
 * - one request at a time: a pool of 1 connection against connect → request → destroy;
 * - 16 requests in flight: 16 workers sharing a pool of 4 against 16 workers that each connect
 *   per request.
 * Unit: requests per second (higher is better).
 *   BENCH_QUICK=1 pnpm exec tsx --conditions=@socketlab/source bench/index.ts pool
 */
import type net from 'node:net';
import { connectFramed, listenFramedEchoServer } from '@socketlab/tcp-udp';
import { BENCH_QUICK, type BenchRow, compare } from '@socketlab/testkit';
import { createConnectionPool, createFramedPoolConnector } from '../src/index.ts';

const PAYLOAD = Buffer.alloc(64, 0x61);

/** The framed echo server of stage 2, with TCP_NODELAY (several requests share a connection). */
async function listenReplyServer() {
  const server = await listenFramedEchoServer({ framing: 'length', noDelay: true });
  const { port } = server.address as net.AddressInfo;
  return { port, close: () => server.close() };
}

/** Runs `n` calls of `one()` with `workers` of them in flight at a time. */
async function inFlight(n: number, workers: number, one: () => Promise<void>): Promise<void> {
  const per = Math.ceil(n / workers);
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      const count = Math.min(per, n - w * per);
      for (let i = 0; i < count; i++) await one();
    }),
  );
}

async function poolRow(workers: number, maxSize: number): Promise<BenchRow> {
  const server = await listenReplyServer();
  const target = { host: '127.0.0.1', port: server.port };
  const pool = createConnectionPool({ connect: createFramedPoolConnector(target), maxSize });
  const pooled = (): Promise<void> =>
    pool.use(async (conn) => {
      await conn.request(PAYLOAD);
    });
  const perRequest = async (): Promise<void> => {
    const framed = await connectFramed(target);
    try {
      framed.socket.setNoDelay(true);
      await framed.send(PAYLOAD);
      await framed.read();
    } finally {
      framed.destroy();
    }
  };
  try {
    return await compare(
      `pool-request-64B-${workers}-in-flight`,
      'requests/s',
      { name: `pool of ${maxSize}`, run: (n) => inFlight(n, workers, pooled) },
      { name: 'connect per request', run: (n) => inFlight(n, workers, perRequest) },
      { batch: BENCH_QUICK ? 64 : 256, maxBatches: 2_000 },
    );
  } finally {
    await pool.close({ timeoutMs: 1_000 });
    await server.close();
  }
}

/** The pool area's rows (see bench/index.ts). */
export async function rows(): Promise<BenchRow[]> {
  return [await poolRow(1, 1), await poolRow(16, 4)];
}
