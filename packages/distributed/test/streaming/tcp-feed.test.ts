import net from 'node:net';
import { getDefaultHighWaterMark } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { connectFramed, type FramedSocket, listenImpairedTcpProxy } from '@socketlab/tcp-udp';
import { pollUntil, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  ConflatingFeed,
  decodeFeedUpdate,
  serveConflatingFeed,
} from '../../src/streaming/index.ts';

interface Tick {
  seq: number;
  pad: string;
}

/** A consumer that reads every frame, keeps the latest value per key and checks order per key. */
function consume(framed: FramedSocket) {
  const latest = new Map<string, number>();
  const state = { received: 0, regressions: 0 };
  const done = (async () => {
    for await (const frame of framed) {
      const { key, value } = decodeFeedUpdate<string, Tick>(frame);
      if ((latest.get(key) ?? -1) >= value.seq) state.regressions++;
      latest.set(key, value.seq);
      state.received++;
    }
  })().catch(() => {});
  return { latest, state, done };
}

async function setUp(maxKeys = 1000) {
  const feed = new ConflatingFeed<string, Tick>({ maxKeys });
  const server = await serveConflatingFeed(feed);
  onTestFinished(() => server.close());
  const connect = async (port = server.address.port) => {
    const framed = await connectFramed({ host: '127.0.0.1', port });
    onTestFinished(() => framed.destroy());
    return framed;
  };
  return { feed, server, connect };
}

const matches = (got: Map<string, number>, feed: ConflatingFeed<string, Tick>): boolean =>
  got.size === feed.size && [...feed.entries()].every(([k, v]) => got.get(k) === v.seq);

describe('serveConflatingFeed over real TCP (127.0.0.1, port 0)', () => {
  it('a consumer that keeps up gets every update, none conflated, in order per key', async () => {
    const { feed, server, connect } = await setUp();
    const client = consume(await connect());
    await pollUntil(() => server.connections().length === 1, 'the server to see the client');
    let seq = 0;
    for (let round = 0; round < 20; round++) {
      for (let k = 0; k < 50; k++) feed.publish(`k${k}`, { seq: ++seq, pad: '' });
      const want = (round + 1) * 50;
      await pollUntil(() => client.state.received >= want, `round ${round} to arrive`);
    }
    expect(client.state.received).toBe(1000);
    expect(client.state.regressions).toBe(0);
    expect(server.connections()[0]?.conflated).toBe(0);
    expect(matches(client.latest, feed)).toBe(true);
  });

  it('a new consumer first receives the current value of every key', async () => {
    const { feed, connect } = await setUp();
    for (let k = 0; k < 100; k++) feed.publish(`k${k}`, { seq: k, pad: '' });
    const client = consume(await connect());
    await pollUntil(() => matches(client.latest, feed), 'the snapshot');
    expect(client.state.received).toBe(100);
  });

  it('a stalled consumer leaves memory bounded while 100,000 updates over 1,000 keys go by; the others keep receiving; after resume it gets the latest of every key', async () => {
    const { feed, server, connect } = await setUp(1000);
    const proxy = await listenImpairedTcpProxy({
      target: { host: '127.0.0.1', port: server.address.port },
    });
    onTestFinished(() => proxy.close());
    const fastSocket = await connect();
    const fast = consume(fastSocket);
    const stalled = consume(await connect(proxy.address.port));
    await pollUntil(() => server.connections().length === 2, 'both consumers to be connected');
    const fastPort = fastSocket.socket.localPort;
    const stalledRow = () => server.connections().find((c) => !c.remote.endsWith(`:${fastPort}`));
    proxy.stall('toClient'); // the proxy stops reading the server: a consumer that never reads

    const pad = 'x'.repeat(200);
    let seq = 0;
    let maxBufferedBytes = 0;
    let maxPendingKeys = 0;
    let fastReceivedMidway = 0;
    for (let round = 0; round < 100; round++) {
      for (let k = 0; k < 1000; k++) feed.publish(`k${k}`, { seq: ++seq, pad });
      await nextTurn(); // the server's pumps and the sockets run between rounds
      await nextTurn();
      const row = stalledRow();
      maxBufferedBytes = Math.max(maxBufferedBytes, row?.bufferedBytes ?? 0);
      maxPendingKeys = Math.max(maxPendingKeys, row?.pendingKeys ?? 0);
      if (round === 50) fastReceivedMidway = fast.state.received;
    }
    expect(seq).toBe(100_000);
    await pollUntil(
      () => matches(fast.latest, feed),
      'the fast consumer to hold every latest value',
    );
    const row = stalledRow();
    if (row === undefined) throw new Error('the stalled consumer was disconnected');
    // Bounded: the socket's own buffer (its high-water mark: 16 KiB on Node 20, 64 KiB from Node
    // 22) plus one batch; one value per key.
    expect(maxBufferedBytes).toBeLessThan(getDefaultHighWaterMark(false) + 48 * 1024);
    expect(maxPendingKeys).toBeLessThanOrEqual(1000);
    expect(row.conflated).toBeGreaterThan(50_000);
    expect(fastReceivedMidway).toBeGreaterThan(0);
    expect(fast.state.regressions).toBe(0);

    proxy.resume();
    await pollUntil(
      () => matches(stalled.latest, feed),
      'the stalled consumer, resumed, to catch up',
      { ms: 10_000 },
    );
    expect(stalled.state.regressions).toBe(0);
  });

  it('a consumer sending a bad frame is closed alone; the others keep receiving', async () => {
    const { feed, server, connect } = await setUp();
    const good = consume(await connect());
    const bad = net.connect({ host: '127.0.0.1', port: server.address.port });
    onTestFinished(() => {
      bad.destroy();
    });
    await withTimeout(new Promise((r) => bad.once('connect', r)), 'connect');
    await pollUntil(() => server.connections().length === 2, 'two connections');
    const closed = new Promise((r) => bad.once('close', r));
    bad.write(Buffer.from([0xff, 0xff, 0xff, 0xff])); // a 4 GiB frame: refused at the header
    await withTimeout(closed, 'the bad consumer to be closed');
    feed.publish('after', { seq: 1, pad: '' });
    await pollUntil(() => good.latest.get('after') === 1, 'the good consumer to receive');
    expect(server.connections()).toHaveLength(1);
  });
});

describe('serveConflatingFeed with a value it cannot send', () => {
  it('skips and counts an update whose encode throws or whose frame is too large; the connection carries on', async () => {
    const feed = new ConflatingFeed<string, unknown>();
    const server = await serveConflatingFeed(feed);
    onTestFinished(() => server.close());
    const framed = await connectFramed({ host: '127.0.0.1', port: server.address.port });
    onTestFinished(() => framed.destroy());
    const got = new Map<string, unknown>();
    (async () => {
      for await (const frame of framed) {
        const { key, value } = decodeFeedUpdate(frame);
        got.set(key, value);
      }
    })().catch(() => {});
    await pollUntil(() => server.connections().length === 1, 'the connection');
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    feed.publish('cyclic', cycle); // JSON.stringify throws
    feed.publish('huge', 'x'.repeat(70_000)); // over the 64 KiB frame limit
    feed.publish('fine', 1);
    await pollUntil(() => got.get('fine') === 1, 'the next update');
    await pollUntil(() => server.connections()[0]?.skipped === 2, 'both bad updates counted');
    expect(got.has('cyclic') || got.has('huge')).toBe(false);
  });
});
