import { randomBytes } from 'node:crypto';
import { listenImpairedTcpProxy } from '@socketlab/tcp-udp';
import { nextEvent, probeService } from '@socketlab/testkit';
import mqtt from 'mqtt';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { DistributedError } from '../../src/errors.ts';
import {
  createTelemetryClient,
  type Reading,
  TelemetryClient,
  type TelemetryClientOptions,
} from '../../src/mqtt/index.ts';

const broker = await probeService('mqtt');

/** A topic prefix no other test (or earlier run) uses. */
const prefix = (): string => `socketlab-test/${randomBytes(6).toString('hex')}`;

async function connect<T = unknown>(
  options: Partial<TelemetryClientOptions<T>> = {},
): Promise<TelemetryClient<T>> {
  const client = await createTelemetryClient<T>({
    url: broker.url,
    reconnectPeriodMs: 0,
    ...options,
  });
  onTestFinished(() => client.close({ endSession: true }));
  return client;
}

describe.skipIf(broker.skip)('TelemetryClient (Mosquitto)', () => {
  beforeAll(() => broker.require());

  it('delivers a QoS 1 reading to a subscriber, after the broker acked it', async () => {
    const base = prefix();
    const subscriber = await connect<{ celsius: number }>();
    const publisher = await connect();
    const stream = await subscriber.stream(`${base}/+/temp`, { qos: 1 });
    await publisher.publish(`${base}/kitchen/temp`, { celsius: 21.5 }, { qos: 1 }); // resolves on PUBACK
    const reading = await stream.next();
    expect(reading).toMatchObject({
      topic: `${base}/kitchen/temp`,
      value: { celsius: 21.5 },
      qos: 1,
      retained: false,
    });
  });

  it('delivers at the lower of the publish and subscription QoS', async () => {
    const base = prefix();
    const subscriber = await connect();
    const publisher = await connect();
    const atMostOnce = await subscriber.stream(`${base}/zero`, { qos: 0 });
    const atLeastOnce = await subscriber.stream(`${base}/one`, { qos: 1 });
    await publisher.publish(`${base}/zero`, 1, { qos: 1 });
    await publisher.publish(`${base}/one`, 2, { qos: 0 });
    expect((await atMostOnce.next())?.qos).toBe(0);
    expect((await atLeastOnce.next())?.qos).toBe(0);
  });

  it('queues QoS 1 for an offline kept session, but not QoS 0', async () => {
    const base = prefix();
    const clientId = `socketlab-test-${randomBytes(4).toString('hex')}`;
    const first = await createTelemetryClient({
      url: broker.url,
      clientId,
      sessionExpirySeconds: 60,
      reconnectPeriodMs: 0,
    });
    await first.stream(`${base}/#`, { qos: 1 }); // resolves on SUBACK
    await first.close(); // the session, and its subscription, stay on the broker

    const publisher = await connect();
    await publisher.publish(`${base}/lost`, 'qos0 while offline', { qos: 0 });
    await publisher.publish(`${base}/kept`, 'qos1 while offline', { qos: 1 });

    const again = new TelemetryClient({
      url: broker.url,
      clientId,
      sessionExpirySeconds: 60,
      reconnectPeriodMs: 0,
    });
    onTestFinished(() => again.close({ endSession: true }));
    const queued = nextEvent<[Reading]>(again, 'reading');
    await again.connect();
    // Mosquitto keeps order: had the QoS 0 message been queued, it would have come first.
    const [reading] = await queued;
    expect(reading).toMatchObject({ topic: `${base}/kept`, value: 'qos1 while offline', qos: 1 });
  });

  it('gives a late subscriber the retained last value at once, flagged retained', async () => {
    const base = prefix();
    const device = await connect();
    await device.publish(`${base}/status`, 'stale', { retain: true });
    await device.publish(`${base}/status`, 'online', { retain: true });
    onTestFinished(() => device.clearRetained(`${base}/status`));

    const late = await connect();
    const stream = await late.stream(`${base}/status`);
    expect(await stream.next()).toMatchObject({ value: 'online', retained: true });
    await device.publish(`${base}/status`, 'busy', { retain: true });
    expect(await stream.next()).toMatchObject({ value: 'busy', retained: false }); // live, not from the store
  });

  it('publishes the last will when a client vanishes without DISCONNECT', async () => {
    const base = prefix();
    const watcher = await connect();
    const status = await watcher.stream(`${base}/+/status`);
    const device = await connect({
      will: { topic: `${base}/d1/status`, value: { online: false }, retain: false },
    });
    await device.publish(`${base}/d1/status`, { online: true });
    expect((await status.next())?.value).toEqual({ online: true });

    await device.destroy(); // the socket is destroyed: no DISCONNECT reaches the broker
    expect(await status.next()).toMatchObject({
      topic: `${base}/d1/status`,
      value: { online: false },
    });
  });

  it('publishes the last will when the network link is reset under it', async () => {
    const base = prefix();
    const target = new URL(broker.url);
    const proxy = await listenImpairedTcpProxy({
      target: { host: target.hostname, port: Number(target.port) || 1883 },
    });
    onTestFinished(() => proxy.close());
    const watcher = await connect();
    const status = await watcher.stream(`${base}/d3/status`);
    const device = await connect({
      url: `mqtt://${proxy.address.host}:${proxy.address.port}`,
      will: { topic: `${base}/d3/status`, value: 'offline', retain: false },
    });
    expect(device.connected).toBe(true);
    proxy.cutAll('reset'); // what a lost Wi-Fi or a crashed gateway looks like to the broker
    expect(await status.next()).toMatchObject({ value: 'offline' });
  });

  it('does not publish the will after a clean close', async () => {
    const base = prefix();
    const watcher = await connect();
    const status = await watcher.stream(`${base}/#`);
    const device = await createTelemetryClient({
      url: broker.url,
      reconnectPeriodMs: 0,
      will: { topic: `${base}/d2/status`, value: 'gone', retain: false },
    });
    await device.close();
    await watcher.publish(`${base}/marker`, 'after close');
    // Had the will been sent, it would have reached the watcher before the marker.
    expect(await status.next()).toMatchObject({ topic: `${base}/marker` });
  });

  it('routes + and # wildcards to the streams they match', async () => {
    const base = prefix();
    const client = await connect();
    const temps = await client.stream(`${base}/+/temp`);
    const kitchen = await client.stream(`${base}/kitchen/#`);
    const sent = [
      `${base}/kitchen/temp`,
      `${base}/kitchen/oven/temp`,
      `${base}/hall/temp`,
      `${base}/hall/humidity`,
    ];
    for (const topic of sent) await client.publish(topic, topic);
    await client.publish(`${base}/kitchen`, 'end-k');
    await client.publish(`${base}/end/temp`, 'end-t');

    const drain = async (stream: typeof temps, last: string): Promise<string[]> => {
      const topics: string[] = [];
      for (let i = 0; i < 10; i++) {
        const reading = await stream.next();
        if (reading === undefined) break;
        topics.push(reading.topic);
        if (reading.value === last) break;
      }
      return topics;
    };
    expect(await drain(temps, 'end-t')).toEqual([
      `${base}/kitchen/temp`,
      `${base}/hall/temp`,
      `${base}/end/temp`,
    ]);
    expect(await drain(kitchen, 'end-k')).toEqual([
      `${base}/kitchen/temp`,
      `${base}/kitchen/oven/temp`,
      `${base}/kitchen`,
    ]);
  });

  it('refuses payloads that are not JSON, too large or refused by parse, and keeps going', async () => {
    const base = prefix();
    const client = await connect<{ celsius: number }>({
      maxPayloadBytes: 64,
      parse: (value) => {
        if (typeof (value as { celsius?: unknown })?.celsius !== 'number')
          throw new Error('celsius must be a number');
        return value as { celsius: number };
      },
    });
    const invalid: string[] = [];
    client.on('invalid', (error: DistributedError) => invalid.push(error.code));
    const stream = await client.stream(`${base}/#`);
    // A raw device that does not follow the contract.
    const raw = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    onTestFinished(() => raw.endAsync());
    await raw.publishAsync(`${base}/a`, 'not json', { qos: 1 });
    await raw.publishAsync(`${base}/b`, JSON.stringify({ celsius: 'warm' }), { qos: 1 });
    await raw.publishAsync(`${base}/c`, JSON.stringify({ celsius: 1, pad: 'x'.repeat(100) }), {
      qos: 1,
    });
    await raw.publishAsync(`${base}/d`, JSON.stringify({ celsius: 22 }), { qos: 1 });
    expect(await stream.next()).toMatchObject({ topic: `${base}/d`, value: { celsius: 22 } });
    expect(invalid).toEqual([
      'DISTRIBUTED_ERR_PAYLOAD',
      'DISTRIBUTED_ERR_PAYLOAD',
      'DISTRIBUTED_ERR_PAYLOAD',
    ]);
  });

  it('refuses wildcards in a publish topic and bad filters', async () => {
    const client = await connect();
    await expect(client.publish('a/+/c', 1)).rejects.toThrow(TypeError);
    await expect(client.stream('a/#/c')).rejects.toThrow(TypeError);
    await expect(client.publish(`${prefix()}/big`, 'x'.repeat(70_000))).rejects.toMatchObject({
      code: 'DISTRIBUTED_ERR_LIMIT',
    });
  });

  it('rejects a publish after close with DISTRIBUTED_ERR_UNAVAILABLE', async () => {
    const client = await connect();
    await client.close();
    await expect(client.publish(`${prefix()}/late`, 1)).rejects.toMatchObject({
      code: 'DISTRIBUTED_ERR_UNAVAILABLE',
    });
  });

  it('rejects with DISTRIBUTED_ERR_UNAVAILABLE when the broker cannot be reached', async () => {
    await expect(
      createTelemetryClient({ url: 'mqtt://127.0.0.1:1', reconnectPeriodMs: 0 }),
    ).rejects.toMatchObject({
      code: 'DISTRIBUTED_ERR_UNAVAILABLE',
    });
  });
});
