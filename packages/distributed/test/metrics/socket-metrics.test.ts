import net from 'node:net';
import { ManualClock, nextEvent, withTimeout } from '@socketlab/testkit';
import { Registry } from 'prom-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  createSocketMetrics,
  EventLabeler,
  MAX_EVENT_LABEL_LENGTH,
  OTHER_EVENT_LABEL,
  type SocketMetricsOptions,
  serveMetrics,
} from '../../src/metrics/index.ts';
import { find, sampleValue, scrape, startSocketIo } from './helpers.ts';

async function served(options: SocketMetricsOptions) {
  const metrics = createSocketMetrics(options);
  const endpoint = await serveMetrics(metrics.registry);
  onTestFinished(() => endpoint.close());
  return { metrics, endpoint };
}

describe('createSocketMetrics on a real Socket.IO server', () => {
  it('counts open connections up and down exactly, and why each closed', async () => {
    const { io, accepted, client } = await startSocketIo();
    const { metrics, endpoint } = await served({ instance: 'chat-1' });
    metrics.instrument(io);
    const labels = { instance: 'chat-1', transport: 'socket.io' };

    expect(sampleValue(await scrape(endpoint.url), 'socketlab_connections', labels)).toBe(0);
    const clients = [await client(), await client(), await client()];
    let samples = await scrape(endpoint.url);
    expect(sampleValue(samples, 'socketlab_connections', labels)).toBe(3);
    expect(sampleValue(samples, 'socketlab_connections_total', labels)).toBe(3);

    const gone = nextEvent(accepted[0] as never, 'disconnect');
    clients[0]?.disconnect();
    await gone;
    samples = await scrape(endpoint.url);
    expect(sampleValue(samples, 'socketlab_connections', labels)).toBe(2);
    expect(sampleValue(samples, 'socketlab_connections_total', labels)).toBe(3);
    expect(
      sampleValue(samples, 'socketlab_disconnections_total', {
        ...labels,
        reason: 'client namespace disconnect',
      }),
    ).toBe(1);
  });

  it('counts every message in and out by event, a broadcast once per recipient', async () => {
    const { io, accepted, client } = await startSocketIo();
    const { metrics, endpoint } = await served({ instance: 'chat-1' });
    metrics.instrument(io);
    io.on('connection', (socket) => {
      socket.on('chat', () => {});
      socket.on('sync', (ack: () => void) => ack());
    });
    const [a, b, c] = [await client(), await client(), await client()];
    const N = 25;
    for (let i = 0; i < N; i++) a?.emit('chat', { text: `hello ${i}` });
    // One connection delivers in order: once 'sync' is acked, every chat before it was counted.
    await withTimeout(a?.emitWithAck('sync') ?? Promise.reject(), 'the sync ack');

    let ticks = 0;
    const allTicks = new Promise<void>((resolve) =>
      b?.on('tick', () => {
        if (++ticks === 7) resolve();
      }),
    );
    const news = [a, b, c].map((s) => nextEvent(s as never, 'news'));
    for (let i = 0; i < 7; i++) accepted[1]?.emit('tick', i);
    io.emit('news', 'to everyone');
    await withTimeout(Promise.all([allTicks, ...news]), 'ticks and news at the clients');

    const samples = await scrape(endpoint.url);
    const inst = { instance: 'chat-1' };
    expect(
      sampleValue(samples, 'socketlab_messages_received_total', { ...inst, event: 'chat' }),
    ).toBe(N);
    expect(
      sampleValue(samples, 'socketlab_messages_received_total', { ...inst, event: 'sync' }),
    ).toBe(1);
    expect(sampleValue(samples, 'socketlab_messages_sent_total', { ...inst, event: 'tick' })).toBe(
      7,
    );
    expect(sampleValue(samples, 'socketlab_messages_sent_total', { ...inst, event: 'news' })).toBe(
      3,
    );
  });

  it('times each acknowledged event from arrival to ack into the right bucket', async () => {
    const { io, client } = await startSocketIo();
    const clock = new ManualClock();
    const { metrics, endpoint } = await served({ instance: 'api-1', clock });
    metrics.instrument(io);
    io.on('connection', (socket) => {
      socket.on('lookup', (ms: number, ack: (answer: string) => void) => {
        clock.advance(ms); // the handler "takes" ms milliseconds
        ack('ok');
        ack('twice'); // Socket.IO ignores a second call; so does the histogram
      });
    });
    const socket = await client();
    for (const ms of [30, 30, 30, 700]) {
      expect(await withTimeout(socket.emitWithAck('lookup', ms), 'the lookup ack')).toBe('ok');
    }
    const samples = await scrape(endpoint.url);
    const labels = { instance: 'api-1', event: 'lookup' };
    const bucket = (le: string) =>
      sampleValue(samples, 'socketlab_ack_duration_seconds_bucket', { ...labels, le });
    expect(bucket('0.025')).toBe(0);
    expect(bucket('0.05')).toBe(3);
    expect(bucket('0.5')).toBe(3);
    expect(bucket('1')).toBe(4);
    expect(bucket('+Inf')).toBe(4);
    expect(sampleValue(samples, 'socketlab_ack_duration_seconds_count', labels)).toBe(4);
    expect(sampleValue(samples, 'socketlab_ack_duration_seconds_sum', labels)).toBeCloseTo(0.79, 9);
  });

  it('labels two instances apart, each with its own registry and endpoint, or sharing one', async () => {
    const one = await startSocketIo();
    const two = await startSocketIo();
    const a = await served({ instance: 'node-a' });
    const b = await served({ instance: 'node-b' });
    a.metrics.instrument(one.io);
    b.metrics.instrument(two.io);
    await one.client();
    await two.client();
    await two.client();
    const fromA = find(await scrape(a.endpoint.url), 'socketlab_connections');
    const fromB = find(await scrape(b.endpoint.url), 'socketlab_connections');
    expect(fromA.map((s) => [s.labels.instance, s.value])).toEqual([['node-a', 1]]);
    expect(fromB.map((s) => [s.labels.instance, s.value])).toEqual([['node-b', 2]]);

    const registry = new Registry();
    createSocketMetrics({ registry, instance: 'node-a' }).instrument(one.io);
    createSocketMetrics({ registry, instance: 'node-b' }).instrument(two.io);
    const both = await serveMetrics(registry);
    onTestFinished(() => both.close());
    const shared = find(await scrape(both.url), 'socketlab_connections');
    expect(shared.map((s) => [s.labels.instance, s.value])).toEqual([
      ['node-a', 1],
      ['node-b', 2],
    ]);
  });

  it('keeps 10,000 distinct event names from a client to 50 series and "other", losing no count', async () => {
    const { io, client } = await startSocketIo();
    const { metrics, endpoint } = await served({ instance: 'edge-1' });
    metrics.instrument(io);
    io.on('connection', (socket) => socket.on('done', (ack: () => void) => ack()));
    const socket = await client();
    for (let i = 0; i < 10_000; i++) socket.emit(`ev-${i}`, i);
    await withTimeout(socket.emitWithAck('done'), 'the done ack', 30_000);

    const samples = await scrape(endpoint.url);
    const received = find(samples, 'socketlab_messages_received_total', { instance: 'edge-1' });
    expect(received).toHaveLength(51);
    expect(received.reduce((sum, s) => sum + s.value, 0)).toBe(10_001);
    expect(sampleValue(samples, 'socketlab_messages_received_total', { event: 'ev-49' })).toBe(1);
    expect(
      sampleValue(samples, 'socketlab_messages_received_total', { event: OTHER_EVENT_LABEL }),
    ).toBe(9_951);
    expect(find(samples, 'socketlab_messages_received_total', { event: 'ev-50' })).toEqual([]);
  }, 60_000);

  it('with a list of events, counts every other name as "other" from the first', async () => {
    const { io, client } = await startSocketIo();
    const { metrics, endpoint } = await served({ instance: 'x', events: ['chat', 'sync'] });
    metrics.instrument(io);
    io.on('connection', (socket) => socket.on('sync', (ack: () => void) => ack()));
    const socket = await client();
    socket.emit('chat');
    socket.emit('hostile-name');
    socket.emit('x'.repeat(10_000));
    await withTimeout(socket.emitWithAck('sync'), 'the sync ack');
    const received = find(await scrape(endpoint.url), 'socketlab_messages_received_total');
    expect(received.map((s) => [s.labels.event, s.value]).sort()).toEqual([
      ['chat', 1],
      ['other', 2],
      ['sync', 1],
    ]);
  });

  it('stops counting when detached, and its live sockets leave the gauge', async () => {
    const { io, client } = await startSocketIo();
    const { metrics, endpoint } = await served({ instance: 'd' });
    const early = await client(); // connected before instrument: counted from now
    const detach = metrics.instrument(io);
    io.on('connection', (socket) => socket.on('sync', (ack: () => void) => ack()));
    await client();
    const labels = { instance: 'd', transport: 'socket.io' };
    expect(sampleValue(await scrape(endpoint.url), 'socketlab_connections', labels)).toBe(2);
    detach();
    detach();
    await client();
    early.emit('chat');
    const samples = await scrape(endpoint.url);
    expect(sampleValue(samples, 'socketlab_connections', labels)).toBe(0);
    expect(sampleValue(samples, 'socketlab_connections_total', labels)).toBe(2);
    expect(find(samples, 'socketlab_messages_received_total')).toEqual([]);
  });
});

describe('instrumentTcp on a net.Server', () => {
  it('counts raw TCP connections up and down, by how they closed', async () => {
    const server = net.createServer();
    const { metrics, endpoint } = await served({ instance: 'tcp-1' });
    metrics.instrumentTcp(server);
    const accepted: net.Socket[] = [];
    server.on('connection', (socket) => accepted.push(socket));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    onTestFinished(() => {
      for (const s of accepted) s.destroy();
      server.close();
    });
    const { port } = server.address() as net.AddressInfo;
    const connect = async () => {
      const arrived = nextEvent(server, 'connection');
      const socket = net.connect(port, '127.0.0.1');
      onTestFinished(() => {
        socket.destroy();
      });
      await arrived;
      return socket;
    };
    const [first] = [await connect(), await connect()];
    const labels = { instance: 'tcp-1', transport: 'tcp' };
    expect(sampleValue(await scrape(endpoint.url), 'socketlab_connections', labels)).toBe(2);
    const closed = nextEvent(accepted[0] as net.Socket, 'close');
    accepted[0]?.on('end', () => accepted[0]?.end());
    first?.end();
    await closed;
    const samples = await scrape(endpoint.url);
    expect(sampleValue(samples, 'socketlab_connections', labels)).toBe(1);
    expect(
      sampleValue(samples, 'socketlab_disconnections_total', { ...labels, reason: 'close' }),
    ).toBe(1);
  });
});

describe('EventLabeler and the options', () => {
  it('labels names up to the cap, then "other"; odd names are always "other"', () => {
    const labeler = new EventLabeler(2);
    expect(['a', 'b', 'c', 'a', 'b'].map((n) => labeler.label(n))).toEqual([
      'a',
      'b',
      'other',
      'a',
      'b',
    ]);
    expect(labeler.size).toBe(2);
    const fresh = new EventLabeler(10);
    expect(fresh.label('')).toBe('other');
    expect(fresh.label(42)).toBe('other');
    expect(fresh.label('y'.repeat(MAX_EVENT_LABEL_LENGTH + 1))).toBe('other');
    expect(fresh.label('y'.repeat(MAX_EVENT_LABEL_LENGTH))).toBe(
      'y'.repeat(MAX_EVENT_LABEL_LENGTH),
    );
    expect(fresh.size).toBe(1);
  });

  it.each([
    [{ instance: '' }, TypeError, /instance must be a non-empty string/],
    [{ instance: 'a', prefix: 'bad-prefix' }, TypeError, /prefix must match/],
    [{ instance: 'a', maxEventNames: -1 }, RangeError, /maxEventNames/],
    [{ instance: 'a', latencyBuckets: [0.1, 0.05] }, TypeError, /increasing/],
    [{ instance: 'a', latencyBuckets: [] }, TypeError, /increasing/],
  ])('refuses %j', (options, type, message) => {
    expect(() => createSocketMetrics(options as SocketMetricsOptions)).toThrow(type);
    expect(() => createSocketMetrics(options as SocketMetricsOptions)).toThrow(message);
  });

  it('refuses a registry holding a metric of the same name but another type', async () => {
    const registry = new Registry();
    const { Counter } = await import('prom-client');
    new Counter({ name: 'socketlab_connections', help: 'x', registers: [registry] });
    expect(() => createSocketMetrics({ registry, instance: 'a' })).toThrow(
      /another type \(Counter\)/,
    );
  });
});
