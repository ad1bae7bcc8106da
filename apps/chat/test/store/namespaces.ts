/**
 * A namespace per test on a shared broker, so runs never see each other's data: a unique prefix,
 * and everything under it deleted when the test ends.
 */
import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { onTestFinished } from 'vitest';

/** A Redis key prefix of this test's own; its keys are deleted when the test ends. */
export function redisPrefix(url: string): string {
  const prefix = `test-chat-${randomUUID().slice(0, 8)}`;
  onTestFinished(async () => {
    const client = new Redis(url);
    const keys = await client.keys(`${prefix}:*`);
    if (keys.length > 0) await client.del(...keys);
    await client.quit();
  });
  return prefix;
}

/** A NATS prefix of this test's own; its stream and buckets are deleted when the test ends. */
export function natsPrefix(url: string): string {
  const prefix = `t_chat_${randomUUID().slice(0, 8)}`;
  onTestFinished(async () => {
    const nc = await connect({ servers: url });
    const jsm = await jetstreamManager(nc);
    for (const stream of [`${prefix}_history`, `KV_${prefix}_presence`, `KV_${prefix}_instances`]) {
      await jsm.streams.delete(stream).catch(() => undefined);
    }
    await nc.close();
  });
  return prefix;
}
