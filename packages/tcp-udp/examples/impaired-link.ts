/**
 * Sends 200 numbered datagrams to a UDP echo server through an impaired link and shows what came
 * back: lost, duplicated and reordered replies, and the link's counters.
 *   pnpm exec tsx --conditions=@socketlab/source examples/impaired-link.ts
 *   SEED=42 LOSS=0.2 JITTER=10 pnpm exec tsx --conditions=@socketlab/source examples/impaired-link.ts
 * The same SEED prints the same decisions on every run: that is how a failure is replayed.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { listenImpairedUdpLink, randomSeed } from '../src/index.ts';

const seed = Number(process.env.SEED ?? randomSeed());
const loss = Number(process.env.LOSS ?? 0.1);
const jitterMs = Number(process.env.JITTER ?? 5);

const echo = dgram.createSocket('udp4');
echo.on('message', (data, from) => echo.send(data, from.port, from.address));
echo.bind(0, '127.0.0.1');
await once(echo, 'listening');

const link = await listenImpairedUdpLink({
  target: { host: '127.0.0.1', port: echo.address().port },
  seed,
  loss,
  duplicate: 0.05,
  jitterMs,
});
console.log(`seed ${link.seed}: loss ${loss} each way, duplicate 0.05, jitter ${jitterMs} ms`);

const client = dgram.createSocket('udp4');
const arrived: number[] = [];
client.on('message', (data) => arrived.push(data.readUInt32BE(0)));
client.bind(0, '127.0.0.1');
await once(client, 'listening');
for (let i = 0; i < 200; i++) {
  const packet = Buffer.alloc(4);
  packet.writeUInt32BE(i);
  client.send(packet, link.address.port, '127.0.0.1');
  if (i % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 2)); // do not overflow buffers
}
// Wait until nothing is pending in the link, bounded to 2 s.
for (let waited = 0; waited < 2000; waited += 20) {
  await new Promise((resolve) => setTimeout(resolve, 20));
  const pending = link.stats.toTarget.pending + link.stats.toClient.pending;
  if (pending === 0 && link.stats.toClient.received === link.stats.toTarget.forwarded) break;
}
const unique = new Set(arrived);
let overtaken = 0;
for (let i = 1; i < arrived.length; i++) if ((arrived[i] ?? 0) < (arrived[i - 1] ?? 0)) overtaken++;
console.log(
  `sent 200, got ${arrived.length} replies: ${unique.size} distinct, ` +
    `${arrived.length - unique.size} duplicates, ${overtaken} out of order`,
);
console.log('first 30 in arrival order:', arrived.slice(0, 30).join(' '));
console.log('link stats:', JSON.stringify(link.stats));
await link.close();
client.close();
echo.close();
