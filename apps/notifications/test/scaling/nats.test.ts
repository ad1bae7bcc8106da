import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NOTIFICATION_EVENTS } from '@socketlab/distributed';
import { probeService } from '@socketlab/testkit';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { NotifyApp } from '../../src/server/app.ts';
import { notify, openInbox, startTestApp, waitFor } from '../helpers/app.ts';
import { twoInstanceSpecs } from './two-instances.ts';

const nats = await probeService('nats');

/** A NATS prefix of this test's own; its stream and bucket are deleted when the test ends. */
function uniquePrefix(): string {
  const prefix = `sln-test-${randomBytes(4).toString('hex')}`;
  onTestFinished(async () => {
    const nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    for (const stream of [`${prefix}_history`, `KV_${prefix}_idem`, `KV_${prefix}_sent`]) {
      await jsm.streams.delete(stream).catch(() => false);
    }
    await nc.close();
  });
  return prefix;
}

/** Two instances on one NATS and a prefix of their own, sharing the JWT secret. */
async function twoInstances(prefix = uniquePrefix()): Promise<[NotifyApp, NotifyApp]> {
  const jwtSecret = randomBytes(32).toString('base64url');
  const a = await startTestApp({ nats: { url: nats.url, prefix }, jwtSecret });
  const b = await startTestApp({ nats: { url: nats.url, prefix }, jwtSecret });
  return [a, b];
}

describe.skipIf(nats.skip)('two instances over NATS', () => {
  beforeAll(() => nats.require());

  twoInstanceSpecs(() => twoInstances());

  it('drops a malformed message on the cluster subject and keeps delivering', async () => {
    const prefix = uniquePrefix();
    const [a, b] = await twoInstances(prefix);
    const ada = await openInbox(b, 'ada');
    const nc = await connect({ servers: nats.url });
    onTestFinished(() => nc.close());
    const event = NOTIFICATION_EVENTS.published;
    for (const junk of ['not json', '[]', JSON.stringify({ event, args: 'x' })]) {
      nc.publish(`${prefix}.cluster`, junk);
    }
    nc.publish(`${prefix}.cluster`, JSON.stringify({ event, args: [{ id: 'forged' }] }));
    await nc.flush();
    await notify(a, { user: 'ada', title: 'after the junk' });
    await waitFor(ada.got, 1, 'the notification after the junk');
    expect(ada.got.map((n) => n.title)).toEqual(['after the junk']);
  });
});
