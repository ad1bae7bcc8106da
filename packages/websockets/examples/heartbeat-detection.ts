/**
 * Measures how long a dead link goes unnoticed: Socket.IO's heartbeat (server and client) under a
 * few pingInterval/pingTimeout settings, stage 3's reconnecting client (no heartbeat), and a cut
 * link (RST) for both. Prints a table for lessons/heartbeats.md and the README.
 *
 *   pnpm exec tsx --conditions=@socketlab/source examples/heartbeat-detection.ts [--trials 8] [--seed 1]
 *
 * A "stall" is stage 2's impaired proxy told to `stall()`: it stops passing bytes without closing
 * anything (a cable pulled, a NAT mapping dropped); a "cut" is the same proxy ending the connection
 * with a RST.
 * Each stall starts at a random moment of the ping cycle (seeded), so the spread shows the window.
 */
import http from 'node:http';
import type net from 'node:net';
import { parseArgs } from 'node:util';
import { createFramedConnector, createReconnectingClient } from '@socketlab/multiplexing';
import {
  createSeededRandom,
  listenFramedEchoServer,
  listenImpairedTcpProxy,
} from '@socketlab/tcp-udp';
import { Server } from 'socket.io';
import { io as connect, type Socket } from 'socket.io-client';
import { type HeartbeatSettings, heartbeatDetectionWindow } from '../src/realtime/index.ts';

const { values } = parseArgs({
  options: { trials: { type: 'string', default: '8' }, seed: { type: 'string', default: '1' } },
});
const trials = Number(values.trials);
const random = createSeededRandom(Number(values.seed));
const LIMIT_MS = 30_000;

function once<T>(subscribe: (resolve: (value: T) => void) => void, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${what}: not within ${LIMIT_MS} ms`)),
      LIMIT_MS,
    );
    subscribe((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function ioServer(settings: Partial<HeartbeatSettings>) {
  const httpServer = http.createServer();
  const io = new Server(httpServer, settings);
  io.on('connection', (socket) =>
    socket.on('echo', (v: unknown, ack: (v: unknown) => void) => ack(v)),
  );
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  return { io, port: (httpServer.address() as net.AddressInfo).port };
}

/** One stall of a Socket.IO connection: ms until the client and the server say 'ping timeout'. */
async function stallSocketIo(settings: HeartbeatSettings) {
  const { io, port } = await ioServer(settings);
  const link = await listenImpairedTcpProxy({ target: { host: '127.0.0.1', port } });
  const serverSocket = once<import('socket.io').Socket>(
    (r) => io.once('connection', r),
    'connection',
  );
  const client: Socket = connect(`http://127.0.0.1:${link.address.port}`, {
    transports: ['websocket'],
    reconnection: false,
  });
  await once((r) => client.once('connect', () => r(undefined)), 'connect');
  const peer = await serverSocket;
  // Let a heartbeat or two pass, then stall at a random point of the cycle.
  await once((r) => client.io.engine.once('ping', () => r(undefined)), 'first ping');
  await pause(random.float() * settings.pingInterval);
  const start = performance.now();
  const clientSaw = once<number>(
    (r) =>
      client.once('disconnect', (reason) =>
        r(reason === 'ping timeout' ? performance.now() - start : Number.NaN),
      ),
    'client disconnect',
  );
  const serverSaw = once<number>(
    (r) =>
      peer.once('disconnect', (reason) =>
        r(reason === 'ping timeout' ? performance.now() - start : Number.NaN),
      ),
    'server disconnect',
  );
  link.stall();
  const result = { client: await clientSaw, server: await serverSaw };
  client.disconnect();
  await link.close();
  await io.close();
  return result;
}

/** One RST through stage 2's proxy: ms until the Socket.IO client and server notice. */
async function cutSocketIo() {
  const { io, port } = await ioServer({ pingInterval: 25_000, pingTimeout: 20_000 });
  const proxy = await listenImpairedTcpProxy({
    target: { host: '127.0.0.1', port },
    toTarget: { cutAfterBytes: 32 * 1024 },
    cutMode: 'reset',
  });
  const serverSocket = once<import('socket.io').Socket>(
    (r) => io.once('connection', r),
    'connection',
  );
  const client = connect(`http://127.0.0.1:${proxy.address.port}`, {
    transports: ['websocket'],
    reconnection: false,
  });
  await once((r) => client.once('connect', () => r(undefined)), 'connect');
  const peer = await serverSocket;
  const start = performance.now();
  const clientSaw = once<number>(
    (r) => client.once('disconnect', () => r(performance.now() - start)),
    'client',
  );
  const serverSaw = once<number>(
    (r) => peer.once('disconnect', () => r(performance.now() - start)),
    'server',
  );
  client.emit('echo', 'x'.repeat(64 * 1024));
  const result = { client: await clientSaw, server: await serverSaw };
  await proxy.close();
  await io.close();
  return result;
}

/** Stage 3's client: a RST is noticed at once; a stall is still unnoticed after `watchMs`. */
async function stage3(kind: 'cut' | 'stall', watchMs: number) {
  const echo = await listenFramedEchoServer({ framing: 'length' });
  const echoPort = (echo.address as net.AddressInfo).port;
  const proxy = await listenImpairedTcpProxy({
    target: { host: '127.0.0.1', port: echoPort },
    ...(kind === 'cut' ? { toTarget: { cutAfterBytes: 32 * 1024 }, cutMode: 'reset' } : {}),
  });
  const client = createReconnectingClient({
    connect: createFramedConnector({ host: '127.0.0.1', port: proxy.address.port }),
    baseDelayMs: 100,
  });
  await once((r) => client.once('connected', () => r(undefined)).start(), 'stage 3 connected');
  const start = performance.now();
  let noticed: number | undefined;
  client.once('disconnected', () => {
    noticed = performance.now() - start;
  });
  if (kind === 'cut') {
    void client.send(Buffer.alloc(64 * 1024)).catch(() => {});
    await once((r) => client.once('retrying', () => r(undefined)), 'stage 3 retrying');
  } else {
    proxy.stall();
    await client.send(Buffer.from('into the void'));
    await pause(watchMs);
  }
  const result = noticed; // read before close(), which reports a 'closed' disconnection of its own
  await client.close();
  await proxy.close();
  await echo.close();
  return result;
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
  return { min: s[0] ?? Number.NaN, median: at(0.5), max: s.at(-1) ?? Number.NaN };
};
const f = (ms: number | undefined) => (ms === undefined ? '—' : ms.toFixed(0));

console.log(`node ${process.version}, ${trials} trials per row, seed ${random.seed}\n`);
console.log('| what | settings (ms) | noticed by | min | median | max | window (ms) |');
console.log('| --- | --- | --- | ---: | ---: | ---: | --- |');
for (const settings of [
  { pingInterval: 100, pingTimeout: 200 },
  { pingInterval: 250, pingTimeout: 250 },
  { pingInterval: 1000, pingTimeout: 500 },
]) {
  const client: number[] = [];
  const server: number[] = [];
  for (let i = 0; i < trials; i++) {
    const r = await stallSocketIo(settings);
    client.push(r.client);
    server.push(r.server);
  }
  const w = heartbeatDetectionWindow(settings);
  const name = `interval ${settings.pingInterval} / timeout ${settings.pingTimeout}`;
  for (const [who, xs] of [
    ['Socket.IO client', client],
    ['Socket.IO server', server],
  ] as const) {
    const s = stats(xs);
    console.log(
      `| stall | ${name} | ${who} | ${f(s.min)} | ${f(s.median)} | ${f(s.max)} | ${w.minMs}–${w.maxMs} |`,
    );
  }
}
const cuts = { client: [] as number[], server: [] as number[] };
for (let i = 0; i < trials; i++) {
  const r = await cutSocketIo();
  cuts.client.push(r.client);
  cuts.server.push(r.server);
}
for (const [who, xs] of [
  ['Socket.IO client', cuts.client],
  ['Socket.IO server', cuts.server],
] as const) {
  const s = stats(xs);
  console.log(
    `| cut (RST) | interval 25000 / timeout 20000 | ${who} | ${f(s.min)} | ${f(s.median)} | ${f(s.max)} | at once |`,
  );
}
const stage3Cuts: number[] = [];
for (let i = 0; i < trials; i++) stage3Cuts.push((await stage3('cut', 0)) ?? Number.NaN);
const s3 = stats(stage3Cuts);
console.log(
  `| cut (RST) | no heartbeat | stage 3 client | ${f(s3.min)} | ${f(s3.median)} | ${f(s3.max)} | at once |`,
);
const watchMs = 5000;
const unnoticed = await stage3('stall', watchMs);
console.log(
  `| stall | no heartbeat | stage 3 client | ${unnoticed === undefined ? `not noticed in ${watchMs} ms` : f(unnoticed)} | | | never (until TCP gives up) |`,
);
