/**
 * The server side of bench/scale.ts, run in a child process so that its RSS is its own. The
 * benchmark bundles it with esbuild first and runs the bundle with plain `node` and the same V8
 * flags for every kind (no TypeScript loader, whose hooks thread has a heap of its own):
 *   node --expose-gc --min-semi-space-size=S --max-semi-space-size=S scale-server.mjs KIND [HEARTBEAT_MS]
 * KIND is one of
 * - `bare`: a `node:net` server that keeps every socket and echoes what it reads;
 * - `chat`: `listenRoomChat` (no heartbeats: the room chat has no heartbeat option);
 * - `managed`: a connection manager over line-framed TCP (`listenManagedTcp` with `lineCodec`)
 *   with heartbeats every HEARTBEAT_MS, echoing each line.
 * It prints one JSON line `{"port":…}` once listening, then answers each line on stdin with one
 * JSON line of {@link ServerStats} (its RSS read once GC has settled it); a line `snapshot PATH`
 * writes a heap snapshot there first (to see what a connection holds).
 */
import net from 'node:net';
import readline from 'node:readline';
import v8 from 'node:v8';
import { lineCodec } from '@socketlab/tcp-udp';
import { createConnectionManager, listenManagedTcp, listenRoomChat } from '../src/index.ts';

/** What the child reports when asked. */
export interface ServerStats {
  /** Resident set size in bytes, after a forced GC. */
  readonly rss: number;
  /** V8 heap in use, bytes, right after that reading's GC (JavaScript objects). */
  readonly heapUsed: number;
  /** Memory of Buffers and other C++ objects tied to JavaScript ones, bytes. */
  readonly external: number;
  /** V8 heap committed (in use or not), bytes, at that reading. */
  readonly heapTotal: number;
  /** Of it, the young generation's committed bytes (new space). */
  readonly newSpace: number;
  /** Connections it holds now. */
  readonly held: number;
  /** Connections it closed itself (heartbeat missed, limit, slow consumer, …): drops. */
  readonly serverClosed: number;
  /** Connections that closed from the peer's side or broke. */
  readonly peerClosed: number;
}

const LIMIT = 100_000;
const kind = process.argv[2];
const heartbeatIntervalMs = Number(process.argv[3] ?? 0);
let held = 0;
let serverClosed = 0;
let peerClosed = 0;

async function start(): Promise<number> {
  if (kind === 'bare') {
    const server = net.createServer({ noDelay: true }, (socket) => {
      held++;
      socket.on('error', () => undefined);
      socket.on('data', (data) => socket.write(data));
      socket.on('close', () => {
        held--;
        peerClosed++;
      });
    });
    server.maxConnections = LIMIT;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 511, resolve));
    return (server.address() as net.AddressInfo).port;
  }
  const count = (manager: {
    on(event: 'close', listener: (conn: unknown, reason: string) => void): unknown;
    on(event: 'connection', listener: () => void): unknown;
  }): void => {
    manager.on('connection', () => {
      held++;
    });
    manager.on('close', (_conn, reason) => {
      held--;
      if (reason === 'peer') peerClosed++;
      else serverClosed++;
    });
  };
  if (kind === 'chat') {
    const chat = await listenRoomChat({
      maxConnections: LIMIT,
      maxConnectionsPerAddress: LIMIT,
    });
    count(chat.manager as never);
    return chat.address.port;
  }
  if (kind === 'managed') {
    const manager = createConnectionManager({
      maxConnections: LIMIT,
      maxConnectionsPerAddress: LIMIT,
      heartbeatIntervalMs,
    });
    count(manager as never);
    manager.on('connection', (conn) => {
      conn.on('message', (data) => conn.send(data));
    });
    const listener = await listenManagedTcp({ manager, codec: lineCodec() });
    return listener.address.port;
  }
  throw new Error(`unknown server kind ${kind}: bare, chat or managed`);
}

const gc = (globalThis as { gc?: () => void }).gc;
const port = await start();
process.stdout.write(`${JSON.stringify({ port })}\n`);
const input = readline.createInterface({ input: process.stdin });

/** One reading: the heap right after a full GC, the RSS once freed pages had time to go back. */
interface Reading {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly heapTotal: number;
  readonly newSpace: number;
}

/**
 * Memory once it stops moving. Each reading runs a full, synchronous GC twice (a turn of the event
 * loop between them, so that weak callbacks the first one queued can free what they hold), takes
 * the heap at once, then waits 250 ms before the RSS (V8 hands freed pages back from a thread of
 * its own). Readings go on until four in a row agree within 64 KiB of RSS (at most 20); the
 * lowest of those four is kept.
 *
 * Plain `gc()`, not `gc({ type: 'major', execution: 'sync', flavor: 'last-resort' })` as before:
 * on Node 20 that form left about 2 KB per connection of a bare `node:net` server's garbage in
 * the heap it reported (2.8 KB per connection instead of 0.8 KB at 1,000 connections).
 */
async function settledMemory(): Promise<Reading> {
  const readings: Reading[] = [];
  for (let i = 0; i < 20; i++) {
    gc?.();
    await new Promise((resolve) => setImmediate(resolve));
    gc?.();
    const { heapUsed, external } = process.memoryUsage();
    await new Promise((resolve) => setTimeout(resolve, 250));
    const { rss, heapTotal } = process.memoryUsage();
    const young = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
    readings.push({ rss, heapUsed, external, heapTotal, newSpace: young?.space_size ?? 0 });
    const last = readings.slice(-4).map((r) => r.rss);
    if (last.length === 4 && Math.max(...last) - Math.min(...last) < 64 * 1024) break;
  }
  return readings.slice(-4).reduce((low, r) => (r.rss < low.rss ? r : low));
}

input.on('line', async (line) => {
  if (line.startsWith('snapshot ')) {
    gc?.();
    v8.writeHeapSnapshot(line.slice('snapshot '.length));
  }
  const stats: ServerStats = { ...(await settledMemory()), held, serverClosed, peerClosed };
  process.stdout.write(`${JSON.stringify(stats)}\n`);
});
// The parent went away: so does the server.
input.on('close', () => process.exit(0));
