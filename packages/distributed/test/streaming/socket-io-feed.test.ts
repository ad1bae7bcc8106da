import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { pollUntil } from '@socketlab/testkit';
import { Server } from 'socket.io';
import { type Socket as ClientSocket, io as connect } from 'socket.io-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  ConflatingFeed,
  type FeedUpdate,
  serveConflatingFeedOverSocketIo,
} from '../../src/streaming/index.ts';

async function setUp() {
  const http = createServer();
  const io = new Server(http);
  onTestFinished(() => new Promise<void>((r) => io.close(() => r())));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const { port } = http.address() as AddressInfo;
  const feed = new ConflatingFeed<string, number>({ maxKeys: 1000 });
  const served = serveConflatingFeedOverSocketIo(io, feed, { maxBatch: 100 });
  onTestFinished(() => served.close());
  /** A client that records the latest value per key; `hold` keeps its acks until `release`. */
  const client = async (hold = false) => {
    const socket: ClientSocket = connect(`http://127.0.0.1:${port}`, { transports: ['websocket'] });
    onTestFinished(() => {
      socket.disconnect();
    });
    const latest = new Map<string, number>();
    const held: Array<() => void> = [];
    const state = { batches: 0, regressions: 0, holding: hold };
    socket.on('feed', (batch: FeedUpdate<string, number>[], ack: () => void) => {
      state.batches++;
      for (const { key, value } of batch) {
        if ((latest.get(key) ?? -1) >= value) state.regressions++;
        latest.set(key, value);
      }
      if (state.holding) held.push(ack);
      else ack();
    });
    await new Promise<void>((r) => socket.once('connect', () => r()));
    const release = () => {
      state.holding = false;
      for (const ack of held.splice(0)) ack();
    };
    return { socket, latest, state, release };
  };
  const matches = (got: Map<string, number>) =>
    got.size === feed.size && [...feed.entries()].every(([k, v]) => got.get(k) === v);
  return { feed, served, client, matches };
}

describe('serveConflatingFeedOverSocketIo (Socket.IO 4.8, acks as the signal)', () => {
  it('a client that stops acking holds one batch in flight and one value per key; the other keeps receiving; its acks resumed, it gets the latest of every key', async () => {
    const { feed, served, client, matches } = await setUp();
    const fast = await client();
    const stalled = await client(true);
    await pollUntil(() => served.connections().length === 2, 'both clients served');
    let seq = 0;
    let maxPending = 0;
    for (let round = 0; round < 100; round++) {
      for (let k = 0; k < 1000; k++) feed.publish(`k${k}`, ++seq);
      await nextTurn();
      const row = served.connections().find((c) => c.id === stalled.socket.id);
      maxPending = Math.max(maxPending, row?.pendingKeys ?? 0);
    }
    await pollUntil(() => matches(fast.latest), 'the fast client to hold every latest value');
    const row = served.connections().find((c) => c.id === stalled.socket.id);
    expect(stalled.state.batches).toBe(1); // one batch, then nothing until its ack
    expect(row?.inFlight).toBe(true);
    expect(maxPending).toBeLessThanOrEqual(1000);
    expect(row?.conflated).toBeGreaterThan(90_000);
    stalled.release();
    await pollUntil(() => matches(stalled.latest), 'the resumed client to catch up');
    expect(fast.state.regressions + stalled.state.regressions).toBe(0);
  });

  it('refuses a bad maxBatch', () => {
    const io = new Server(); // attached to nothing: no port, nothing to close
    expect(() =>
      serveConflatingFeedOverSocketIo(io, new ConflatingFeed(), { maxBatch: 0 }),
    ).toThrow(RangeError);
  });
});
