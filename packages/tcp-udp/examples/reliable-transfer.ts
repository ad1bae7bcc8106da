/**
 * Sends random bytes over reliable UDP through an impaired link and checks them with SHA-256.
 *   pnpm exec tsx --conditions=@socketlab/source examples/reliable-transfer.ts
 *   SEED=7 LOSS=0.2 BYTES=1000000 pnpm exec tsx --conditions=@socketlab/source examples/reliable-transfer.ts
 */
import { createHash } from 'node:crypto';
import {
  connectReliableUdp,
  createSeededRandom,
  listenImpairedUdpLink,
  listenReliableUdp,
  randomSeed,
} from '../src/index.ts';

const seed = Number(process.env.SEED ?? randomSeed());
const loss = Number(process.env.LOSS ?? 0.1);
const size = Number(process.env.BYTES ?? 500_000);
// Loopback round trips take microseconds: a 20 ms RTO floor instead of RFC 6298's 1 s.
const limits = { rto: { minRtoMs: 20, initialRtoMs: 200 }, lingerMs: 100 };
const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

const data = createSeededRandom(seed).fill(new Uint8Array(size));
let deliver: (data: Buffer) => void = () => {};
const received = new Promise<Buffer>((resolve) => {
  deliver = resolve;
});
const server = await listenReliableUdp(limits, async (connection) => {
  const chunks: Buffer[] = [];
  for await (const chunk of connection) chunks.push(chunk);
  await connection.end();
  deliver(Buffer.concat(chunks));
});
const link = await listenImpairedUdpLink({
  target: server.address,
  seed,
  loss,
  duplicate: 0.1,
  jitterMs: 4,
});
console.log(`seed ${seed}: ${size} bytes through loss ${loss}, duplicate 0.1, jitter 4 ms`);
const started = performance.now();
const client = await connectReliableUdp({ ...limits, host: '127.0.0.1', port: link.address.port });
await client.write(data);
await client.end();
const got = await received;
const seconds = (performance.now() - started) / 1000;
console.log(`sent     ${sha(data)}\nreceived ${sha(got)} (${got.length} bytes)`);
console.log(`${(size / 1e6 / seconds).toFixed(2)} MB/s; client stats:`, client.stats);
console.log('link stats:', JSON.stringify(link.stats));
await client.closed;
await link.close();
await server.close();
