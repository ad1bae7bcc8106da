import { pollUntil, probeService } from '@socketlab/testkit';
import type { Socket as ClientSocket } from 'socket.io-client';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { DistributedError } from '../../src/errors.ts';
import {
  type JetStreamFeedMessage,
  type JetStreamFeedOptions,
  serveJetStreamFeed,
  trackJetStreamFeed,
} from '../../src/nats/index.ts';
import { client, json, socketIoServer, tempStream } from './helpers.ts';

const nats = await probeService('nats');

/**
 * A stream of its own (deleted when the test ends), a Socket.IO server whose clients join rooms
 * with `join`, and a feed of `<p>.prices.*` to room `<token>` on it.
 */
async function setup(extra: Partial<JetStreamFeedOptions> = {}) {
  const { nc, jsm, js, prefix: p, stream } = await tempStream(nats.url);
  const { io, url } = await socketIoServer();
  io.on('connection', (socket) => {
    socket.on('join', (room: unknown, ack: unknown) => {
      if (typeof room === 'string') socket.join(room);
      if (typeof ack === 'function') ack(true);
    });
  });
  const drops: string[] = [];
  const feed = await serveJetStreamFeed({
    io,
    js,
    jsm,
    stream,
    routes: [{ subject: `${p}.prices.*`, room: (s) => s.split('.').at(-1) }],
    onDrop: (error: DistributedError, subject) => drops.push(`${error.code} ${subject}`),
    ...extra,
  });
  onTestFinished(() => feed.close());
  /** Publishes `n` on `<p>.prices.<room>` through JetStream and resolves with its sequence. */
  const publish = async (n: unknown, room = 'acme') =>
    (await js.publish(`${p}.prices.${room}`, json(n))).seq;
  return { nc, jsm, js, p, stream, io, url, feed, drops, publish };
}

/** A tracked client that joins `room` on every connect, and what it delivered. */
function tracked(socket: ClientSocket, room: string, extra = {}) {
  const got: JetStreamFeedMessage[] = [];
  const errors: string[] = [];
  const tracker = trackJetStreamFeed(socket, {
    beforeCatchUp: (s) => s.emitWithAck('join', room),
    onMessage: (m) => got.push(m),
    onError: (e) => errors.push(e.code),
    ...extra,
  });
  onTestFinished(() => tracker.close());
  return { tracker, got, errors, data: () => got.map((m) => m.data) };
}

/** Everything `socket` receives on the wire as `js:message` from now on. */
function wire(socket: ClientSocket): JetStreamFeedMessage[] {
  const seen: JetStreamFeedMessage[] = [];
  socket.on('js:message', (m: JetStreamFeedMessage) => seen.push(m));
  return seen;
}

/**
 * A client tracked from sequence 0 that joins, then gets 1..3 live before its catch-up asks
 * (so they are replayed again), then 4 live once synced.
 */
async function overlapping(extra = {}) {
  const { url, publish } = await setup();
  const socket = await client(url);
  const raw = wire(socket);
  const { tracker, got } = tracked(socket, 'acme', {
    lastSeq: 0,
    beforeCatchUp: async (s: ClientSocket) => {
      await s.emitWithAck('join', 'acme');
      for (let n = 1; n <= 3; n++) await publish(n);
      await pollUntil(() => raw.length === 3, 'the live messages before the catch-up');
    },
    ...extra,
  });
  await pollUntil(() => tracker.synced, 'the catch-up');
  await publish(4);
  await pollUntil(() => got.length === 4, 'message 4');
  return { tracker, got, raw };
}

describe.skipIf(nats.skip)('serveJetStreamFeed and trackJetStreamFeed', () => {
  beforeAll(() => nats.require());

  it('relays live with sequences, and replays what a client missed while away after it reconnects', async () => {
    const { url, publish, feed } = await setup();
    const socket = await client(url);
    const { tracker, got, data, errors } = tracked(socket, 'acme');
    await pollUntil(() => tracker.synced, 'the first catch-up');
    for (let n = 1; n <= 3; n++) await publish(n);
    await pollUntil(() => got.length === 3, 'three live messages');
    expect(got.every((m) => m.replay === undefined)).toBe(true);

    socket.disconnect();
    for (let n = 4; n <= 6; n++) {
      await publish(n);
      await publish(`other ${n}`, 'globex'); // another room's: never replayed to this client
    }
    socket.connect();
    await pollUntil(() => got.length === 6 && tracker.synced, 'the catch-up after reconnecting');
    await publish(7);
    await pollUntil(() => got.length === 7, 'the live flow after the catch-up');
    expect(data()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(got.map((m) => m.seq)).toEqual([1, 2, 3, 4, 6, 8, 10]);
    expect(got.slice(3, 6).every((m) => m.replay === true)).toBe(true);
    expect(tracker.stats).toMatchObject({ delivered: 7, replayed: 3, duplicates: 0, catchUps: 2 });
    expect(tracker.lastSeq).toBe(10);
    expect(errors).toEqual([]);
    expect(feed.stats.replayed).toBe(3);
  });

  it('delivers each message once and in order when replay and live overlap on the wire', async () => {
    const { tracker, got, raw } = await overlapping();
    expect(got.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    const marks = raw.map((m) => `${m.seq}${m.replay ? 'r' : ''}`);
    expect(marks).toEqual(['1', '2', '3', '1r', '2r', '3r', '4']);
    expect(tracker.stats).toMatchObject({ delivered: 4, duplicates: 3, replayed: 3, catchUps: 1 });
  });

  it('holds at most maxHeld live messages during a catch-up, and catches up once more for those it dropped', async () => {
    const { tracker, got } = await overlapping({ maxHeld: 1 });
    expect(got.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    expect(tracker.stats.catchUps).toBe(2);
  });

  it('refuses bad options with RangeError', async () => {
    const { io, js, stream } = await setup();
    const route = { subject: 'x.*', room: () => 'r' };
    await expect(
      serveJetStreamFeed({ io, js, stream, routes: [route], maxCatchUp: 0 }),
    ).rejects.toThrow(RangeError);
    await expect(serveJetStreamFeed({ io, js, stream, routes: [] })).rejects.toThrow(RangeError);
    const socket = await client((await socketIoServer()).url);
    expect(() => trackJetStreamFeed(socket, { onMessage: () => {}, maxHeld: 0 })).toThrow(
      RangeError,
    );
    expect(() => trackJetStreamFeed(socket, { onMessage: () => {}, ackTimeoutMs: 1.5 })).toThrow(
      RangeError,
    );
  });

  it('answers a client too far behind, or behind what the stream keeps, with a reset', async () => {
    const { url, publish, jsm, stream } = await setup({ maxCatchUp: 5 });
    const socket = await client(url);
    await socket.emitWithAck('join', 'acme');
    for (let n = 1; n <= 8; n++) await publish(n);
    expect(await socket.emitWithAck('js:catch-up', { lastSeq: 2 })).toMatchObject({
      ok: false,
      code: 'DISTRIBUTED_ERR_LIMIT',
      resetTo: 8,
    });
    expect(await socket.emitWithAck('js:catch-up', { lastSeq: 3 })).toEqual({
      ok: true,
      replayed: 5,
      lastSeq: 8,
    });
    await jsm.streams.purge(stream, { keep: 2 }); // the stream keeps 7 and 8 only
    expect(await socket.emitWithAck('js:catch-up', { lastSeq: 5 })).toMatchObject({
      ok: false,
      code: 'DISTRIBUTED_ERR_LIMIT',
      resetTo: 8,
    });
    expect(await socket.emitWithAck('js:catch-up', { lastSeq: 6 })).toMatchObject({
      ok: true,
      replayed: 2,
    });

    // the tracker: told to resync, then goes on after the reset point
    const resets: string[] = [];
    const other = await client(url);
    const { tracker, got } = tracked(other, 'acme', {
      lastSeq: 1,
      onReset: (to: number, e: DistributedError) => resets.push(`${to} ${e.code}`),
    });
    await pollUntil(() => tracker.synced, 'the tracker to sync after the reset');
    await publish(9);
    await pollUntil(() => got.length === 1, 'message 9');
    expect(resets).toEqual(['8 DISTRIBUTED_ERR_LIMIT']);
    expect(got.map((m) => m.data)).toEqual([9]);
    expect(tracker.stats.resets).toBe(1);
  });

  it('refuses hostile catch-up requests with a typed answer, drops malformed messages, and keeps serving', async () => {
    const { url, publish, nc, p, feed, drops } = await setup();
    const socket = await client(url);
    await socket.emitWithAck('join', 'acme');
    await publish(1);
    nc.publish(`${p}.prices.acme`, new TextEncoder().encode('{not json')); // not through JetStream: still stored
    await nc.flush();
    await publish(3);
    for (const request of [
      undefined,
      null,
      42,
      '2',
      { lastSeq: '2' },
      { lastSeq: 1.5 },
      { lastSeq: -1 },
      { lastSeq: 2 ** 53 },
      { lastSeq: 1e300 },
      { lastSeq: 4 }, // beyond the stream's last sequence (3)
      { lastSeq: [0] },
    ]) {
      expect(
        await socket.emitWithAck('js:catch-up', request),
        `catch-up ${JSON.stringify(request)}`,
      ).toMatchObject({ ok: false, code: 'DISTRIBUTED_ERR_PAYLOAD' });
    }
    socket.emit('js:catch-up', { lastSeq: 0 }); // no ack: nothing to answer, no work
    const [first, second] = await Promise.all([
      socket.emitWithAck('js:catch-up', { lastSeq: 0 }),
      socket.emitWithAck('js:catch-up', { lastSeq: 0 }),
    ]);
    expect(first).toEqual({ ok: true, replayed: 2, lastSeq: 3 });
    expect(second).toMatchObject({ ok: false, code: 'DISTRIBUTED_ERR_PAYLOAD' });
    expect(await socket.emitWithAck('js:catch-up', { lastSeq: 4 })).toMatchObject({
      resetTo: 3, // ahead of the stream (made anew?): resync
    });
    expect(feed.stats.refused).toBe(13);
    expect(drops).toContain(`DISTRIBUTED_ERR_PAYLOAD ${p}.prices.acme`);
    expect(await socket.emitWithAck('js:catch-up', { lastSeq: null })).toEqual({
      ok: true,
      replayed: 0,
      lastSeq: 3,
    });
  });

  it('stops the live flow and the catch-ups after close()', async () => {
    const { io, js, jsm, p, stream, url, publish, feed } = await setup();
    const socket = await client(url);
    await socket.emitWithAck('join', 'acme');
    const raw = wire(socket);
    await feed.close();
    const server = io.sockets.sockets.get(socket.id as string);
    expect(server?.listenerCount('js:catch-up')).toBe(0);
    // a second feed started after: the message reaches the client once, from it alone
    const again = await serveJetStreamFeed({
      io,
      js,
      jsm,
      stream,
      routes: [{ subject: `${p}.prices.*`, room: (s) => s.split('.').at(-1) }],
    });
    onTestFinished(() => again.close());
    await publish(1);
    await pollUntil(() => raw.length > 0, 'the message from the second feed');
    await socket.emitWithAck('join', 'settle'); // a round trip: anything emitted before is here
    expect(raw).toEqual([{ subject: `${p}.prices.acme`, seq: 1, data: 1 }]);
    expect(feed.stats.relayed).toBe(0);
  });
});
