import { spawn } from 'node:child_process';
import net from 'node:net';
import { writeHeapSnapshot } from 'node:v8';
import { lineCodec } from '@socketlab/tcp-udp';
import { createConnectionManager, listenManagedTcp, listenRoomChat } from './src/index.ts';
const kind = process.argv[2] ?? 'managed';
const N = Number(process.argv[3] ?? 2000);
let port: number;
if (kind === 'bare') {
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.on('error', () => undefined);
    socket.on('data', (data) => socket.write(data));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', 511, r));
  port = (server.address() as net.AddressInfo).port;
} else if (kind === 'chat') {
  const chat = await listenRoomChat({ maxConnections: 100000, maxConnectionsPerAddress: 100000 });
  port = chat.address.port;
} else {
  const manager = createConnectionManager({ maxConnections: 100000, maxConnectionsPerAddress: 100000, heartbeatIntervalMs: 1000 });
  manager.on('connection', (conn) => conn.on('message', (d) => conn.send(d)));
  port = (await listenManagedTcp({ manager, codec: lineCodec() })).address.port;
}
const gc = (globalThis as any).gc;
const settle = async () => { for (let i = 0; i < 4; i++) { gc({ type: 'major', execution: 'sync', flavor: 'last-resort' }); await new Promise((r) => setTimeout(r, 100)); } };
// warm up with a few connections
const warm = spawn(process.execPath, ['/tmp/hm/clients.mjs', String(port), '50', kind], { stdio: ['pipe', 'pipe', 'inherit'] });
await new Promise((r) => warm.stdout.once('data', r)); warm.stdin.write('x'); await new Promise((r) => warm.once('exit', r));
await new Promise((r) => setTimeout(r, 500));
await settle();
const h0 = process.memoryUsage();
writeHeapSnapshot(`/tmp/hm/${kind}-0.heapsnapshot`);
const c = spawn(process.execPath, ['/tmp/hm/clients.mjs', String(port), String(N), kind], { stdio: ['pipe', 'pipe', 'inherit'] });
await new Promise((r) => c.stdout.once('data', r));
await new Promise((r) => setTimeout(r, 2500));
await settle();
const h1 = process.memoryUsage();
writeHeapSnapshot(`/tmp/hm/${kind}-1.heapsnapshot`);
console.log(kind, 'heapUsed/conn', Math.round((h1.heapUsed - h0.heapUsed) / N), 'external/conn', Math.round((h1.external - h0.external) / N), 'rss/conn', Math.round((h1.rss - h0.rss) / N));
c.stdin.write('x');
process.exit(0);
