/**
 * What a connection costs on this machine, measured: the limits that cap how many you may hold,
 * the memory N idle TCP connections take in this process and in the kernel, what unread data
 * adds, and the TIME-WAIT entries 500 requests leave with and without a connection pool.
 *
 *   pnpm exec tsx --expose-gc --conditions=@socketlab/source examples/hold-connections.ts [N]
 *
 * N defaults to 1000 (both ends live in this process: 2 sockets and 2 file descriptors per
 * connection). Used by lessons/high-concurrency.md.
 */
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { readSocketTable } from '@socketlab/basics';
import { connectFramed, listenFramedEchoServer } from '@socketlab/tcp-udp';
import { createConnectionPool, createFramedPoolConnector } from '../src/index.ts';

const N = Number(process.argv[2] ?? 1000);
if (!Number.isInteger(N) || N < 1 || N > 20_000) {
  console.error(`N must be an integer from 1 to 20000, got ${process.argv[2]}`);
  process.exit(2);
}

const proc = (path: string): string => {
  try {
    return readFileSync(path, 'utf8').trim().replace(/\s+/g, ' ');
  } catch {
    return 'unavailable (not Linux?)';
  }
};
const maxOpenFiles = proc('/proc/self/limits')
  .match(/Max open files (\d+|unlimited) (\d+|unlimited)/)
  ?.slice(1)
  .join(' soft, ');

console.log('limits');
console.log(`  open files (ulimit -n)     ${maxOpenFiles} hard`);
console.log(`  fs.file-max                ${proc('/proc/sys/fs/file-max')}`);
console.log(`  fs.file-nr (used 0 max)    ${proc('/proc/sys/fs/file-nr')}`);
console.log(`  ip_local_port_range        ${proc('/proc/sys/net/ipv4/ip_local_port_range')}`);
console.log(`  somaxconn                  ${proc('/proc/sys/net/core/somaxconn')}`);
console.log(`  tcp_max_syn_backlog        ${proc('/proc/sys/net/ipv4/tcp_max_syn_backlog')}`);
console.log(`  tcp_rmem (min default max) ${proc('/proc/sys/net/ipv4/tcp_rmem')}`);
console.log(`  tcp_wmem (min default max) ${proc('/proc/sys/net/ipv4/tcp_wmem')}`);
console.log(`  tcp_tw_reuse               ${proc('/proc/sys/net/ipv4/tcp_tw_reuse')}`);

const gc = (globalThis as { gc?: () => void }).gc;
function snapshot() {
  gc?.();
  const { rss, heapUsed, external } = process.memoryUsage();
  const sockstat = proc('/proc/net/sockstat').match(/TCP: inuse (\d+) .*? mem (\d+)/);
  return {
    rss,
    heapUsed,
    external,
    fds: readdirSync('/proc/self/fd').length,
    tcpInUse: Number(sockstat?.[1] ?? 0),
    tcpMemPages: Number(sockstat?.[2] ?? 0),
  };
}
type Snapshot = ReturnType<typeof snapshot>;
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
const signed = (bytes: number): string => (bytes < 0 ? kib(bytes) : `+${kib(bytes)}`);
function delta(label: string, before: Snapshot, after: Snapshot, per: number): void {
  const d = (key: keyof Snapshot) => after[key] - before[key];
  console.log(`\n${label}`);
  console.log(
    `  RSS              ${signed(d('rss'))} in all, ${kib(d('rss') / per)} per connection`,
  );
  console.log(
    `  JS heap          ${signed(d('heapUsed'))} in all, ${kib(d('heapUsed') / per)} per connection`,
  );
  console.log(`  file descriptors ${d('fds')} (${(d('fds') / per).toFixed(1)} per connection)`);
  console.log(
    `  kernel TCP buffers (sockstat mem, whole machine) ${d('tcpMemPages')} pages of 4 KiB ` +
      `(${kib((d('tcpMemPages') * 4096) / per)} per connection)`,
  );
}

// 1. N idle connections, both ends here.
const accepted: net.Socket[] = [];
// pauseOnConnect: the server never reads, so what the clients send stays in the kernel.
const server = net.createServer({ pauseOnConnect: true }, (socket) => {
  socket.on('error', () => undefined);
  accepted.push(socket);
});
server.listen({ port: 0, host: '127.0.0.1', backlog: 511 });
await once(server, 'listening');
const { port } = server.address() as net.AddressInfo;

const before = snapshot();
const clients: net.Socket[] = [];
let failure: string | undefined;
for (let i = 0; i < N && failure === undefined; i += 100) {
  const batch = Array.from({ length: Math.min(100, N - i) }, async () => {
    let socket: net.Socket | undefined;
    try {
      socket = net.connect({ host: '127.0.0.1', port });
      socket.on('error', () => undefined);
      await once(socket, 'connect');
      clients.push(socket);
    } catch (error) {
      failure ??= (error as NodeJS.ErrnoException).code ?? String(error);
      socket?.destroy();
    }
  });
  await Promise.all(batch);
}
if (failure !== undefined) {
  console.log(`\nstopped after ${clients.length} of ${N} connections: ${failure}`);
  console.log('  (EMFILE: this process reached its open-files limit; see `ulimit -n`)');
}
const held = clients.length;
for (let i = 0; i < 1_000 && accepted.length < held; i++) await new Promise((r) => setImmediate(r));
const idle = snapshot();
delta(`${held} idle connections (2 sockets each)`, before, idle, held);

// 2. The kernel allocates buffer memory only for bytes in flight: 64 KiB unread on each. (Without
// pauseOnConnect, Node would read them into user space at once, a 64 KiB read per socket.)
const chunk = Buffer.alloc(64 * 1024, 0x61);
for (const socket of clients) socket.write(chunk);
for (let i = 0; i < 200; i++) await new Promise((r) => setImmediate(r));
delta(`the same, with 64 KiB written to each and never read`, idle, snapshot(), held);
const inNode = accepted.reduce((sum, socket) => sum + socket.readableLength, 0);
const unsent = clients.reduce((sum, socket) => sum + socket.writableLength, 0);
console.log(
  `  held by Node: ${kib(inNode / held)} read per connection, ${kib(unsent / held)} not yet sent`,
);
for (const socket of [...clients, ...accepted]) socket.destroy();
server.close();

// 3. TIME-WAIT: 500 requests connecting each time, then 500 through a pool of 4.
const timeWait = async (serverPort: number): Promise<number> =>
  (await readSocketTable({ protocols: ['tcp'], malformed: 'skip' })).filter(
    (e) => e.state === 'TIME-WAIT' && e.remotePort === serverPort,
  ).length;

const REQUESTS = 500;
const perRequestServer = await listenFramedEchoServer({ framing: 'length' });
const perRequestPort = (perRequestServer.address as net.AddressInfo).port;
for (let i = 0; i < REQUESTS; i++) {
  const framed = await connectFramed({ host: '127.0.0.1', port: perRequestPort });
  await framed.send(Buffer.from('ping'));
  await framed.read();
  await framed.end(); // we close first: this side keeps the TIME-WAIT entry
  await framed.closed;
}
const pooledServer = await listenFramedEchoServer({ framing: 'length' });
const pooledPort = (pooledServer.address as net.AddressInfo).port;
const pool = createConnectionPool({
  connect: createFramedPoolConnector({ host: '127.0.0.1', port: pooledPort }),
  maxSize: 4,
});
await Promise.all(
  Array.from({ length: REQUESTS }, () => pool.use((conn) => conn.request(Buffer.from('ping')))),
);
console.log(`\nTIME-WAIT entries after ${REQUESTS} requests (client side, this server's port)`);
console.log(`  connect per request   ${await timeWait(perRequestPort)}`);
console.log(`  pool of 4, still open ${await timeWait(pooledPort)}`);
await pool.close();
for (let i = 0; i < 100 && (await timeWait(pooledPort)) < 4; i++) {
  await new Promise((r) => setImmediate(r));
}
console.log(`  pool of 4, closed     ${await timeWait(pooledPort)}`);
await perRequestServer.close();
await pooledServer.close();
