/**
 * UDP request/response: the library's client and server (envelope, id matching, retry timers,
 * response cache) against a bare node:dgram ping-pong on connected sockets, in the same run.
 *   BENCH_QUICK=1 pnpm exec tsx --conditions=@socketlab/source bench/index.ts udp
 */
import dgram from 'node:dgram';
import { type BenchRow, compare } from '@socketlab/testkit';
import { createUdpClient, createUdpServer } from '../src/index.ts';

async function rawPingPong(): Promise<{
  run: (n: number) => Promise<void>;
  close: () => Promise<void>;
}> {
  const server = dgram.createSocket('udp4');
  server.on('message', (m, r) => server.send(m, r.port, r.address));
  await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
  const client = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => client.connect(server.address().port, '127.0.0.1', resolve));
  const payload = Buffer.alloc(64, 1);
  return {
    run: async (n) => {
      for (let i = 0; i < n; i++) {
        await new Promise<void>((resolve) => {
          client.once('message', () => resolve());
          client.send(payload);
        });
      }
    },
    close: async () => {
      await new Promise<void>((resolve) => client.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function rows(): Promise<BenchRow[]> {
  const server = createUdpServer({ handler: (payload) => payload, maxCacheEntries: 4096 });
  const { port } = await server.listen();
  const client = createUdpClient({ host: '127.0.0.1', port, timeoutMs: 1000, maxOutstanding: 64 });
  const raw = await rawPingPong();
  const payload = Buffer.alloc(64, 1);
  try {
    const sequential = await compare(
      'udp-request-64B-sequential',
      'req/s',
      {
        name: 'socketlab',
        run: async (n) => {
          for (let i = 0; i < n; i++) await client.request(payload);
        },
      },
      { name: 'dgram ping-pong', run: raw.run },
      { batch: 200 },
    );
    const concurrent = await compare(
      'udp-request-64B-32-in-flight',
      'req/s',
      {
        name: 'socketlab',
        run: async (n) => {
          for (let done = 0; done < n; done += 32) {
            await Promise.all(
              Array.from({ length: Math.min(32, n - done) }, () => client.request(payload)),
            );
          }
        },
      },
      { name: 'dgram ping-pong', run: raw.run },
      { batch: 640 },
    );
    return [sequential, concurrent];
  } finally {
    await client.close();
    await server.close();
    await raw.close();
  }
}
