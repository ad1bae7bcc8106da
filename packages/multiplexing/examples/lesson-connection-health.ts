/**
 * The connection manager keeping a line echo server healthy, on real sockets, in four scenes:
 *
 *   1. a limit: the connection past `maxConnections` is told why, then closed;
 *   2. an idle timeout: a client that says nothing is told, then closed;
 *   3. heartbeats: a client that vanished without FIN (behind stage 2's impaired proxy, which
 *      holds every byte toward it for a minute) is cut after `maxMissedHeartbeats` silent pings;
 *   4. a graceful shutdown: stop accepting, tell everyone, drain, cut what is still stuck at
 *      the deadline, and print the report.
 *
 *   pnpm exec tsx --conditions=@socketlab/source examples/lesson-connection-health.ts
 *
 * Used by lessons/connection-health.md. Every wait is bounded.
 */
import { once } from 'node:events';
import net from 'node:net';
import {
  connectFramed,
  encodeLineText,
  lineCodec,
  listenImpairedTcpProxy,
} from '@socketlab/tcp-udp';
import {
  createConnectionManager,
  framedSocketTransport,
  listenManagedTcp,
  MultiplexingError,
} from '../src/index.ts';

const started = performance.now();
const log = (text: string): void =>
  console.log(`${((performance.now() - started) / 1_000).toFixed(2).padStart(6)} s  ${text}`);
const bounded = <T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms).unref(),
    ),
  ]);

const manager = createConnectionManager<{ name: string }>({
  maxConnections: 4,
  idleTimeoutMs: 1_500,
  heartbeatIntervalMs: 400,
  maxMissedHeartbeats: 2,
  closeTimeoutMs: 1_000,
  maxBufferedBytes: 64 * 1024 * 1024,
  createMetadata: () => ({ name: 'unnamed' }),
});
manager.on('connection', (conn) => {
  conn.on('message', (line) => conn.send(line)); // the echo
});
manager.on('refused', (error) => log(`server: refused a newcomer: ${error.message}`));
manager.on('close', (conn, reason, error) =>
  log(
    `server: ${conn.metadata.name} closed: ${reason}${error instanceof MultiplexingError ? ` (${error.code})` : ''}`,
  ),
);
const { address } = await listenManagedTcp({ manager, codec: lineCodec() });
const { port } = address;
log(`echo on 127.0.0.1:${port}: maxConnections 4, idle 1.5 s, pings every 0.4 s, 2 may be missed`);

/** A raw client (like nc) that prints what it receives and when the server ends its stream. */
async function rawClient(name: string, { read = true, admitted = true } = {}): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', (err) => log(`${name}: error ${(err as NodeJS.ErrnoException).code}`));
  if (read) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      // Pings ('\u0000ping') and the echo of our own '.' keep-talking lines are not shown.
      for (const line of text
        .split('\n')
        .filter((l) => l && l !== '.' && !l.startsWith('\u0000'))) {
        log(
          `${name} got: ${line.length > 120 ? `${line.slice(0, 40)}… (${line.length} chars)` : line}`,
        );
      }
    });
    socket.on('end', () => {
      log(`${name}: the server ended the stream (FIN)`);
      socket.end();
    });
  } else {
    socket.pause();
  }
  await bounded(once(socket, 'connect'), `${name} to connect`);
  if (!admitted) return socket;
  await bounded(
    (async () => {
      while (![...manager.connections].some((c) => c.peerName.endsWith(`:${socket.localPort}`))) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })(),
    `${name} to be admitted`,
  );
  const conn = [...manager.connections].find((c) => c.peerName.endsWith(`:${socket.localPort}`));
  if (conn) conn.metadata.name = name;
  return socket;
}

log('--- 1. a connection limit');
// Raw clients do not answer pings; they send a line every 300 ms, which counts as an answer.
const keepTalking = (socket: net.Socket): NodeJS.Timeout =>
  setInterval(() => socket.write('.\n'), 300);
const alice = await rawClient('alice');
const aliceTalks = keepTalking(alice);
const bob = await rawClient('bob', { read: false }); // will never read a byte
const bobTalks = keepTalking(bob);
// A framed client answers pings by itself (framedSocketTransport) but sends no message: alive, silent.
const idleFramed = await connectFramed({ host: '127.0.0.1', port }, { codec: lineCodec() });
const idleTransport = framedSocketTransport(idleFramed);
idleTransport.on('message', (line) => log(`idle got: ${Buffer.from(line).toString('utf8')}`));
const idleEnded = new Promise<void>((resolve) => idleTransport.on('close', () => resolve()));
await bounded(
  (async () => {
    while (manager.size < 3) await new Promise((resolve) => setTimeout(resolve, 10));
  })(),
  'the idle client to be admitted',
);
const idleConn = [...manager.connections].at(-1);
if (idleConn) idleConn.metadata.name = 'idle';
// The vanished peer: framed, it would answer pings, but the proxy holds every byte toward it.
const proxy = await listenImpairedTcpProxy({
  target: { host: '127.0.0.1', port },
  toClient: { delayMs: 60_000 },
});
const ghost = await connectFramed(proxy.address, { codec: lineCodec() });
framedSocketTransport(ghost);
const ghostTalks = setInterval(() => ghost.send(encodeLineText('still here')).catch(() => {}), 300);
await bounded(
  (async () => {
    while (manager.size < 4) await new Promise((resolve) => setTimeout(resolve, 10));
  })(),
  'four connections',
);
const ghostConn = [...manager.connections].find((c) => c.metadata.name === 'unnamed');
if (ghostConn) ghostConn.metadata.name = 'ghost';
log(`server holds ${manager.size}: alice, bob, idle, ghost (through the proxy)`);
const late = await rawClient('late', { admitted: false });
if (!late.closed) await bounded(once(late, 'close'), 'the refused client to close');

log('--- 2. an idle timeout, 3. a heartbeat-missed peer');
await bounded(idleEnded, 'the idle client to be closed');
// Until now the ghost's lines reached the server (only the way back is held), and any message
// counts as an answer to a ping. From here it is silent, like a machine that lost power.
clearInterval(ghostTalks);
await bounded(
  (async () => {
    while ([...manager.connections].some((c) => c.metadata.name === 'ghost')) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })(),
  'the ghost to be cut',
);

log('--- 4. a graceful shutdown');
const bobConn = [...manager.connections].find((c) => c.metadata.name === 'bob');
const big = encodeLineText('x'.repeat(64 * 1024 - 1));
for (let i = 0; i < 256 && bobConn; i++) bobConn.send(big); // 16 MiB bob will never read
log(`server: ${bobConn?.bufferedBytes.toLocaleString('en')} bytes queued for bob`);
const report = await manager.shutdown({ closeTimeoutMs: 1_000 });
clearInterval(aliceTalks);
clearInterval(bobTalks);
log(`report: ${report.durationMs.toFixed(0)} ms`);
for (const [kind, entries] of [
  ['drained', report.drained],
  ['cut', report.cut],
] as const) {
  for (const entry of entries) {
    log(
      `  ${kind.padEnd(7)} ${entry.metadata.name} (${entry.peerName}): ${entry.unsentBytes} bytes unsent`,
    );
  }
}
log(`  refused during the shutdown: ${report.refused}`);
for (const socket of [alice, bob, late]) socket.destroy();
idleFramed.destroy();
ghost.destroy();
await proxy.close();
