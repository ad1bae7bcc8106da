/**
 * The experiment of lessons/streaming.md: one slow consumer of a 1,000-key feed, behind
 * 100,000 updates, served three ways (an unbounded queue, a bounded queue that drops, and
 * conflation), then the library's TCP feed with a consumer stalled by stage 2's impaired proxy.
 * The first part is deterministic (a seeded generator, no clock); every line it prints is on
 * the lesson's page (a test checks), except the lines starting with "measured:".
 *   pnpm exec tsx --conditions=@socketlab/source examples/lesson-streaming.ts
 */
import { getDefaultHighWaterMark } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  ConflatingBuffer,
  ConflatingFeed,
  decodeFeedUpdate,
  serveConflatingFeed,
} from '@socketlab/distributed';
import { connectFramed, createSeededRandom, listenImpairedTcpProxy } from '@socketlab/tcp-udp';

const KEYS = 1000;
const UPDATES = 100_000;

/** The updates: 80 % on 100 hot keys, 20 % on the 900 others, from seed 12. */
function updates(): Array<[number, number]> {
  const random = createSeededRandom(12);
  const out: Array<[number, number]> = [];
  for (let seq = 1; seq <= UPDATES; seq++) {
    const key = random.chance(0.8) ? random.int(0, 99) : random.int(100, KEYS - 1);
    out.push([key, seq]);
  }
  return out;
}

interface Strategy {
  name: string;
  offer(key: number, seq: number): void;
  take(): [number, number] | undefined;
  held(): number;
}

function queue(limit: number): Strategy {
  const q: Array<[number, number]> = [];
  let head = 0;
  return {
    name: limit === Number.POSITIVE_INFINITY ? 'queue (unbounded)' : `queue (${limit}, drop new)`,
    offer(key, seq) {
      if (q.length - head < limit) q.push([key, seq]);
    },
    take() {
      return head < q.length ? q[head++] : undefined;
    },
    held: () => q.length - head,
  };
}

function conflation(): Strategy {
  const buffer = new ConflatingBuffer<number, number>({ maxKeys: KEYS });
  return {
    name: 'conflation',
    offer: (key, seq) => void buffer.offer(key, seq),
    take: () => buffer.take(1)[0],
    held: () => buffer.size,
  };
}

/** The consumer takes one update per 10 published for the first half, then stalls; then drains. */
function run(strategy: Strategy, feed: Array<[number, number]>) {
  const latest = new Map<number, number>();
  const seen = new Map<number, number>();
  let maxHeld = 0;
  let delivered = 0;
  let stale = 0; // delivered when a newer value of the key already existed
  const deliver = (update: [number, number] | undefined): boolean => {
    if (update === undefined) return false;
    delivered++;
    if (latest.get(update[0]) !== update[1]) stale++;
    seen.set(update[0], update[1]);
    return true;
  };
  feed.forEach(([key, seq], i) => {
    latest.set(key, seq);
    strategy.offer(key, seq);
    if (i < UPDATES / 2 && i % 10 === 9) deliver(strategy.take());
    maxHeld = Math.max(maxHeld, strategy.held());
  });
  const heldAtStop = strategy.held();
  while (deliver(strategy.take())) {}
  let wrong = 0;
  for (const [key, seq] of latest) if (seen.get(key) !== seq) wrong++;
  return { maxHeld, heldAtStop, delivered, stale, wrong };
}

const feed = updates();
console.log(
  `${UPDATES} updates over ${KEYS} keys; the consumer takes 1 in 10 for the first half, then stalls, then drains`,
);
console.log(
  'strategy                 max held   delivered   stale deliveries   keys wrong after drain',
);
for (const strategy of [queue(Number.POSITIVE_INFINITY), queue(KEYS), conflation()]) {
  const r = run(strategy, feed);
  console.log(
    `${strategy.name.padEnd(24)} ${String(r.maxHeld).padStart(8)}   ${String(r.delivered).padStart(9)}   ${String(r.stale).padStart(16)}   ${String(r.wrong).padStart(22)}`,
  );
}

// The same over TCP: the library's feed, one consumer stalled by the impaired proxy.
const tcpFeed = new ConflatingFeed<string, { seq: number; pad: string }>({ maxKeys: KEYS });
const server = await serveConflatingFeed(tcpFeed);
const proxy = await listenImpairedTcpProxy({
  target: { host: '127.0.0.1', port: server.address.port },
});
const client = await connectFramed({ host: '127.0.0.1', port: proxy.address.port });
const got = new Map<string, number>();
const reading = (async () => {
  for await (const frame of client) {
    const { key, value } = decodeFeedUpdate<string, { seq: number }>(frame);
    got.set(key, value.seq);
  }
})().catch(() => {});
for (let i = 0; i < 100 && server.connections().length === 0; i++) await nextTurn();
proxy.stall('toClient');
const pad = 'x'.repeat(200);
let maxBytes = 0;
let maxPending = 0;
for (let round = 0; round < 100; round++) {
  for (let k = 0; k < KEYS; k++) tcpFeed.publish(`k${k}`, { seq: round * KEYS + k + 1, pad });
  await nextTurn();
  await nextTurn();
  const row = server.connections()[0];
  maxBytes = Math.max(maxBytes, row?.bufferedBytes ?? 0);
  maxPending = Math.max(maxPending, row?.pendingKeys ?? 0);
}
const row = server.connections()[0];
console.log(
  `measured: stalled consumer, socket buffer at most ${maxBytes} B, at most ${maxPending} pending keys, ${row?.conflated} of ${tcpFeed.published} updates conflated`,
);
console.log(`TCP, one consumer stalled while 100000 updates of ${KEYS} keys (200 B each) go by:`);
console.log(
  `  the server's socket buffer for it stayed within its high-water mark and one batch: ${maxBytes < getDefaultHighWaterMark(false) + 48 * 1024 ? 'yes' : 'no'}`,
);
console.log(
  `  its pending values stayed at most one per key: ${maxPending <= KEYS ? 'yes' : 'no'}`,
);
proxy.resume();
const matches = () => [...tcpFeed.entries()].every(([k, v]) => got.get(k) === v.seq);
for (let i = 0; i < 10_000 && !matches(); i++) await new Promise((r) => setTimeout(r, 1));
console.log(`  resumed, it holds the latest value of every key: ${matches() ? 'yes' : 'no'}`);
client.destroy();
await reading;
await proxy.close();
await server.close();
