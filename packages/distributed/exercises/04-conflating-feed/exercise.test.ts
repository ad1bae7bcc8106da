import net from 'node:net';
import { getDefaultHighWaterMark } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { connectFramed, FramedSocket, listenImpairedTcpProxy } from '@socketlab/tcp-udp';
import { lessonOf, loadExercise, ManualClock, pollUntil } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';

// This spec grades a ConflatingBuffer in-process on a clock it moves by hand, then wires the
// buffer and writeConflated into a TCP server of its own and stalls one consumer through stage
// 2's impaired proxy. Every call is logged, so a failure shows the whole story.
type Exercise = typeof import('./exercise.ts');
type Buffer_ = import('./exercise.ts').ConflatingBuffer<string, number>;
const lesson = lessonOf(import.meta.url);
const load = (): Promise<Exercise> => loadExercise<Exercise>(import.meta.url);

interface Driven {
  buffer: Buffer_;
  clock: ManualClock;
  offer(key: string, value: number): string;
  take(max?: number): Array<[string, number]>;
  advance(ms: number): void;
  fail(what: string, section: string): never;
}

async function drive(options: {
  maxKeys?: number;
  overflow?: 'drop-new' | 'drop-oldest';
  minIntervalMs?: number;
}): Promise<Driven> {
  const { ConflatingBuffer } = await load();
  const clock = new ManualClock();
  const log = [`new ConflatingBuffer(${JSON.stringify(options)} + a manual clock)`];
  const buffer = new ConflatingBuffer<string, number>({ ...options, clock });
  return {
    buffer,
    clock,
    offer(key, value) {
      const result = buffer.offer(key, value);
      log.push(`offer(${JSON.stringify(key)}, ${value}) → ${JSON.stringify(result)}`);
      return result;
    },
    take(max) {
      const result = max === undefined ? buffer.take() : buffer.take(max);
      log.push(`t=${clock.now()} ms  take(${max ?? ''}) → ${JSON.stringify(result)}`);
      return result;
    },
    advance(ms) {
      clock.advance(ms);
      log.push(`(the clock moves ${ms} ms)`);
    },
    fail(what, section): never {
      throw new Error(
        `${what}\nwhat happened:\n  ${log.join('\n  ')}\n  stats: ${JSON.stringify(buffer.stats)}\n${lesson.see(section)}`,
      );
    },
  };
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

describe('04 · a conflating buffer, in-process on a manual clock', () => {
  it('keeps one value per key, the latest, and counts what it overwrote', async () => {
    const d = await drive({});
    const results = [d.offer('a', 1), d.offer('a', 2), d.offer('a', 3)];
    if (!same(results, ['queued', 'conflated', 'conflated'])) {
      d.fail(
        'offer answers "queued" for a new dirty key, "conflated" when it was already dirty',
        'Latest value per key',
      );
    }
    if (d.buffer.size !== 1)
      d.fail('one key is pending, whatever its updates', 'Latest value per key');
    if (!same(d.take(), [['a', 3]]))
      d.fail('take hands out the latest value only', 'Latest value per key');
    if (!same(d.buffer.stats, { offered: 3, delivered: 1, conflated: 2, dropped: 0, evicted: 0 })) {
      d.fail(
        'expected stats { offered: 3, delivered: 1, conflated: 2, dropped: 0, evicted: 0 }',
        'Latest value per key',
      );
    }
    if (d.buffer.size !== 0 || d.take().length !== 0)
      d.fail('a taken key is forgotten', 'Latest value per key');
  });

  it('hands out keys oldest-dirty first: a hot key keeps its place, and takes at most max', async () => {
    const d = await drive({});
    d.offer('hot', 1);
    d.offer('b', 1);
    for (let i = 2; i <= 50; i++) d.offer('hot', i);
    d.offer('c', 1);
    if (
      !same(d.take(2), [
        ['hot', 50],
        ['b', 1],
      ])
    ) {
      d.fail(
        'expected [["hot",50],["b",1]]: hot became dirty first and kept its place',
        'Fair order',
      );
    }
    d.offer('hot', 51);
    if (
      !same(d.take(), [
        ['c', 1],
        ['hot', 51],
      ])
    ) {
      d.fail('expected [["c",1],["hot",51]]: hot, dirty again, goes behind c', 'Fair order');
    }
    if (d.take(0).length !== 0) d.fail('take(0) hands out nothing', 'Fair order');
  });

  it.each(['drop-new', 'drop-oldest'] as const)(
    'bounds its keys at maxKeys (%s)',
    async (overflow) => {
      const d = await drive({ maxKeys: 2, overflow });
      d.offer('a', 1);
      d.offer('b', 1);
      if (d.offer('a', 2) !== 'conflated')
        d.fail('a key already pending is never refused', 'A bound on keys');
      const result = d.offer('c', 1);
      const want =
        overflow === 'drop-new' ? ['dropped', ['a', 'b'], 1, 0] : ['queued', ['b', 'c'], 0, 1];
      const keys = d.take().map(([k]) => k);
      if (
        result !== want[0] ||
        !same(keys, want[1]) ||
        d.buffer.stats.dropped !== want[2] ||
        d.buffer.stats.evicted !== want[3]
      ) {
        d.fail(
          `with ${overflow}: expected offer("c") → ${JSON.stringify(want[0])}, keys ${JSON.stringify(want[1])}, dropped ${want[2]}, evicted ${want[3]}`,
          'A bound on keys',
        );
      }
    },
  );

  it('delivers a key at most once per minIntervalMs, conflating meanwhile, and lets other keys past', async () => {
    const d = await drive({ minIntervalMs: 100 });
    d.offer('a', 1);
    d.take();
    d.offer('a', 2);
    d.offer('a', 3);
    d.offer('b', 1);
    if (!same(d.take(), [['b', 1]])) d.fail('a is inside its window: only b may go', 'A window');
    d.advance(99);
    if (d.take().length !== 0) d.fail('99 ms after its delivery, a still waits', 'A window');
    d.advance(1);
    if (!same(d.take(), [['a', 3]])) d.fail('at 100 ms, a goes with its latest value', 'A window');
  });

  it('refuses bad options with a RangeError', async () => {
    const { ConflatingBuffer } = await load();
    for (const options of [
      { maxKeys: 0 },
      { maxKeys: 1.5 },
      { minIntervalMs: -1 },
      { minIntervalMs: Number.NaN },
    ]) {
      expect(
        () => new ConflatingBuffer(options),
        `new ConflatingBuffer(${JSON.stringify(options)}) must throw a RangeError. ${lesson.see('Your task')}`,
      ).toThrow(RangeError);
    }
  });

  it('property: never an older value than one already seen; drained, the consumer holds the latest of every key; memory bounded by keys', async () => {
    const { ConflatingBuffer } = await load();
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.constantFrom(0, 25),
        fc.array(fc.tuple(fc.nat(9), fc.nat(4), fc.nat(30)), { maxLength: 300 }),
        (keys, minIntervalMs, ops) => {
          const clock = new ManualClock();
          const buffer = new ConflatingBuffer<number, number>({
            maxKeys: keys,
            minIntervalMs,
            clock,
          });
          const latest = new Map<number, number>();
          const seen = new Map<number, number>();
          const deliver = (batch: Array<[number, number]>): void => {
            for (const [k, v] of batch) {
              if (v <= (seen.get(k) ?? 0))
                throw new Error(
                  `key ${k}: got ${v} after ${seen.get(k)}. ${lesson.see('Latest value per key')}`,
                );
              seen.set(k, v);
            }
          };
          ops.forEach(([key, take, ms], i) => {
            latest.set(key % keys, i + 1);
            buffer.offer(key % keys, i + 1);
            if (take > 0) deliver(buffer.take(take));
            clock.advance(ms);
            if (buffer.size > keys)
              throw new Error(
                `${buffer.size} keys pending for ${keys} keys. ${lesson.see('A bound on keys')}`,
              );
          });
          for (let round = 0; round < 5 && buffer.size > 0; round++) {
            deliver(buffer.take());
            clock.advance(minIntervalMs);
          }
          if (!same([...seen].sort(), [...latest].sort())) {
            throw new Error(
              `after draining, the consumer must hold the latest of every key. ${lesson.see('Latest value per key')}`,
            );
          }
          const s = buffer.stats;
          if (s.delivered + s.conflated !== s.offered)
            throw new Error(
              `delivered + conflated must equal offered: ${JSON.stringify(s)}. ${lesson.see('Latest value per key')}`,
            );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('writeConflated writes while the sink takes more, and stops when it is full', async () => {
    const { ConflatingBuffer, writeConflated } = await load();
    const buffer = new ConflatingBuffer<number, number>();
    for (let k = 0; k < 10; k++) buffer.offer(k, k);
    const sent: number[] = [];
    const sink = {
      get writableNeedDrain() {
        return sent.length >= 4;
      },
      send: (p: Uint8Array) => sent.push(p[0] as number),
    };
    const wrote = writeConflated(buffer, sink, (k) => Uint8Array.of(k), 2);
    expect(
      { wrote, sent, pending: buffer.size },
      `a sink full after 4 writes, batches of 2. ${lesson.see('The wiring')}`,
    ).toEqual({ wrote: 4, sent: [0, 1, 2, 3], pending: 6 });
  });
});

describe('04 · the same buffer on real sockets, with a stalled consumer', () => {
  it('a stalled consumer costs one value per key and a socket buffer; the other keeps receiving; resumed, it gets the latest of every key', async () => {
    const { ConflatingBuffer, writeConflated } = await load();
    const KEYS = 200;
    const PAD = 'x'.repeat(500); // a quote with its fields: big enough to fill the kernel buffers
    const latest = new Map<string, number>();
    const consumers = new Map<net.Socket, Buffer_ & { pump: () => void }>();
    // The spec's own server: one buffer per connection, pumped with your writeConflated.
    const server = net.createServer((socket) => {
      const framed = new FramedSocket(socket);
      const buffer = new ConflatingBuffer<string, number>({ maxKeys: KEYS }) as Buffer_ & {
        pump: () => void;
      };
      const sink = {
        get writableNeedDrain() {
          return socket.writableNeedDrain;
        },
        send: (p: Uint8Array) => framed.send(p).catch(() => {}),
      };
      buffer.pump = () => {
        if (!socket.destroyed)
          writeConflated(buffer, sink, (k, v) => Buffer.from(`${k}=${v}=${PAD}`));
      };
      socket.on('drain', buffer.pump);
      consumers.set(socket, buffer);
      socket.on('close', () => consumers.delete(socket));
      framed.closed.then(() => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    onTestFinished(
      () =>
        new Promise<void>((r) => {
          for (const s of consumers.keys()) s.destroy();
          server.close(() => r());
        }),
    );
    const port = (server.address() as net.AddressInfo).port;
    const proxy = await listenImpairedTcpProxy({ target: { host: '127.0.0.1', port } });
    onTestFinished(() => proxy.close());
    const read = (framed: FramedSocket) => {
      const got = new Map<string, number>();
      const state = { regressions: 0 };
      (async () => {
        for await (const frame of framed) {
          const [k, v] = frame.toString().split('=') as [string, string];
          if (Number(v) <= (got.get(k) ?? 0)) state.regressions++;
          got.set(k, Number(v));
        }
      })().catch(() => {});
      return { got, state };
    };
    const fastSocket = await connectFramed({ host: '127.0.0.1', port });
    onTestFinished(() => fastSocket.destroy());
    const stalledSocket = await connectFramed({ host: '127.0.0.1', port: proxy.address.port });
    onTestFinished(() => stalledSocket.destroy());
    const fast = read(fastSocket);
    const stalled = read(stalledSocket);
    await pollUntil(() => consumers.size === 2, 'both consumers to be connected');
    const fastPort = fastSocket.socket.localPort;
    const stalledEntry = [...consumers].find(([s]) => s.remotePort !== fastPort);
    if (stalledEntry === undefined) throw new Error('no stalled consumer');
    const [stalledServerSide, stalledBuffer] = stalledEntry;
    proxy.stall('toClient');

    let seq = 0;
    let maxPending = 0;
    let maxBytes = 0;
    for (let round = 0; round < 100; round++) {
      for (let k = 0; k < KEYS; k++) {
        latest.set(`k${k}`, ++seq);
        for (const buffer of consumers.values()) buffer.offer(`k${k}`, seq);
      }
      for (const buffer of consumers.values()) buffer.pump();
      await nextTurn();
      maxPending = Math.max(maxPending, stalledBuffer.size);
      maxBytes = Math.max(maxBytes, stalledServerSide.writableLength);
    }
    const matches = (got: Map<string, number>) =>
      got.size === KEYS && [...latest].every(([k, v]) => got.get(k) === v);
    await pollUntil(() => matches(fast.got), 'the fast consumer to hold the latest of every key');
    const report = `pending keys ≤ ${maxPending}, socket buffer ≤ ${maxBytes} B, conflated ${stalledBuffer.stats.conflated} of ${stalledBuffer.stats.offered}`;
    expect(maxPending, `${report}. ${lesson.see('A bound on keys')}`).toBeLessThanOrEqual(KEYS);
    expect(
      maxBytes,
      `${report}: write only while writableNeedDrain is false. ${lesson.see('The wiring')}`,
    ).toBeLessThan(getDefaultHighWaterMark(false) + 48 * 1024);
    expect(
      stalledBuffer.stats.conflated,
      `${report}: the stalled consumer's updates must conflate. ${lesson.see('The wiring')}`,
    ).toBeGreaterThan(0);

    proxy.resume();
    await pollUntil(
      () => matches(stalled.got),
      'the resumed consumer to hold the latest of every key',
      { ms: 10_000 },
    );
    expect(
      fast.state.regressions + stalled.state.regressions,
      `a consumer saw an older value after a newer one. ${lesson.see('Latest value per key')}`,
    ).toBe(0);
  });
});
