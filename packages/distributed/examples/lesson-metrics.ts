/**
 * The metrics of lessons/monitoring.md: a Socket.IO server on 127.0.0.1, port 0, instrumented
 * with createSocketMetrics and served with serveMetrics; three clients connect, one sends five
 * 'chat' messages and two acknowledged 'lookup' requests, the server broadcasts one 'news', one
 * client leaves, and a hostile client sends 200 made-up event names. Then it scrapes /metrics over
 * HTTP and prints what it got (HELP and TYPE lines left out, and of the histogram's twelve buckets
 * only the first and the last).
 *   pnpm exec tsx --conditions=@socketlab/source examples/lesson-metrics.ts
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSocketMetrics, serveMetrics } from '@socketlab/distributed';
import { Server } from 'socket.io';
import { io as connect, type Socket } from 'socket.io-client';

const http = createServer();
const io = new Server(http);
await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
const { port } = http.address() as AddressInfo;
const metrics = createSocketMetrics({
  instance: `127.0.0.1:${port}`,
  events: ['chat', 'lookup', 'news', 'sync'],
});
metrics.instrument(io);
const endpoint = await serveMetrics(metrics.registry);
io.on('connection', (socket) => {
  socket.on('chat', () => {});
  socket.on('lookup', (key: string, ack: (value: string) => void) => ack(`value of ${key}`));
  socket.on('sync', (ack: () => void) => ack());
});

const client = async (): Promise<Socket> => {
  const socket = connect(`http://127.0.0.1:${port}`, { transports: ['websocket'] });
  await new Promise((resolve) => socket.once('connect', () => resolve(undefined)));
  return socket;
};
const [a, b, c] = [await client(), await client(), await client()];
for (let i = 0; i < 5; i++) a.emit('chat', `message ${i}`);
await a.emitWithAck('lookup', 'user:1');
await a.emitWithAck('lookup', 'user:2');
const heard = [a, b, c].map((s) => new Promise((resolve) => s.once('news', resolve)));
io.emit('news', 'deploy at 14:00');
await Promise.all(heard);
const left = new Promise((resolve) =>
  io.sockets.sockets.get(c.id ?? '')?.once('disconnect', resolve),
);
c.disconnect();
await left;
for (let i = 0; i < 200; i++) b.emit(`x-${i}`, i);
await b.emitWithAck('sync');

const res = await fetch(endpoint.url);
console.log(
  `GET ${endpoint.url.replace(String(endpoint.address.port), '<port>')} → ${res.status} ${res.headers.get('content-type')}`,
);
const text = await res.text();
for (const line of text.split('\n')) {
  if (line === '' || line.startsWith('#')) continue;
  if (line.includes('_bucket{') && !/le="(0\.001|\+Inf)"/.test(line)) continue;
  console.log(line.replace(`instance="127.0.0.1:${port}"`, 'instance="127.0.0.1:<port>"'));
}
for (const s of [a, b]) s.disconnect();
await endpoint.close();
await new Promise((resolve) => io.close(resolve));
