/**
 * A Redis client or a NATS connection on a prefix of the test's own, whose keys (or streams) are
 * deleted and whose connection is closed when the test ends: what the store specs share.
 */
import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { onTestFinished } from 'vitest';

/** A client on `url` and a fresh key prefix; every `<prefix>:*` key goes when the test ends. */
export function redisForTest(url: string): { client: Redis; prefix: string } {
  const prefix = `socketlab-notify-test-${randomBytes(4).toString('hex')}`;
  const client = new Redis(url);
  onTestFinished(async () => {
    const keys = await client.keys(`${prefix}:*`); // a handful, in a prefix of this test's own
    if (keys.length > 0) await client.del(...keys);
    await client.quit();
  });
  return { client, prefix };
}

/** A connection to `url` and a fresh prefix; the named streams (`<prefix>` filled in) go when the test ends. */
export async function natsForTest(
  url: string,
  streams: (prefix: string) => string[],
): Promise<{ nc: NatsConnection; prefix: string }> {
  const prefix = `sln-test-${randomBytes(4).toString('hex')}`;
  const nc = await connect({ servers: url });
  onTestFinished(async () => {
    const jsm = await jetstreamManager(nc);
    for (const stream of streams(prefix)) await jsm.streams.delete(stream).catch(() => false);
    await nc.close();
  });
  return { nc, prefix };
}
