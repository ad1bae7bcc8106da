import { randomBytes } from 'node:crypto';
import { createTelemetryClient } from '@socketlab/distributed';
import { pollUntil, probeService } from '@socketlab/testkit';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { TELEMETRY } from '../../src/contract.ts';
import type { NotifyApp } from '../../src/server/app.ts';
import { feedSubscriber, refusalOf, startTestApp } from '../helpers/app.ts';

const mqtt = await probeService('mqtt');

/** An app reading a topic tree of its own, and a publisher on the same broker. */
async function startWithMqtt() {
  const root = `socketlab-test-${randomBytes(4).toString('hex')}`;
  const app = await startTestApp({ mqtt: { url: mqtt.url, filter: `${root}/#` } });
  const publisher = await createTelemetryClient({ url: mqtt.url });
  onTestFinished(() => publisher.close());
  return { app, root, publisher };
}

const subscriber = (app: NotifyApp, stalled = false) => feedSubscriber(app, TELEMETRY, { stalled });

describe.skipIf(mqtt.skip)('MQTT telemetry on /telemetry', () => {
  beforeAll(() => mqtt.require());

  it('pushes an MQTT publish to a subscriber as the latest value of its topic', async () => {
    const { app, root, publisher } = await startWithMqtt();
    const sub = await subscriber(app);
    await publisher.publish(`${root}/d1/temp`, { celsius: 21.5 }, { qos: 1 });
    const value = await pollUntil(() => sub.latest.get(`${root}/d1/temp`), 'the reading');
    expect(value).toEqual({ celsius: 21.5 });
  });

  it('holds one value per topic for a stalled subscriber, while a live one gets the last', async () => {
    const { app, root, publisher } = await startWithMqtt();
    const stalled = await subscriber(app, true);
    const live = await subscriber(app);
    for (let i = 1; i <= 200; i++) {
      await publisher.publish(`${root}/d${i % 2}/temp`, { i }, { qos: 1 });
    }
    await pollUntil(
      () =>
        (live.latest.get(`${root}/d0/temp`) as { i: number } | undefined)?.i === 200 || undefined,
      'the live subscriber to see the last reading',
    );
    const row = app.telemetry?.feed.connections().find((c) => c.id === stalled.socket.id);
    expect(row).toBeDefined();
    expect(row?.pendingKeys).toBeLessThanOrEqual(2);
    expect(row?.conflated).toBeGreaterThan(150);
    expect(stalled.batches()).toBe(1);
  });

  it('refuses a subscriber without a valid token', async () => {
    const { app } = await startWithMqtt();
    const error = await refusalOf(`${app.url}${TELEMETRY.namespace}`, { token: 'forged' });
    expect(error.message).toMatch(/unauthorized/);
  });
});
