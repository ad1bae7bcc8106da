import { randomBytes } from 'node:crypto';
import { probeService } from '@socketlab/testkit';
import { Redis } from 'ioredis';
import { beforeAll, describe, onTestFinished } from 'vitest';
import type { NotifyApp } from '../../src/server/app.ts';
import { startTestApp } from '../helpers/app.ts';
import { twoInstanceSpecs } from './two-instances.ts';

const redis = await probeService('redis');

/** Two instances on one Redis and a key prefix of their own (deleted after), sharing the JWT secret. */
async function twoInstances(): Promise<[NotifyApp, NotifyApp]> {
  const keyPrefix = `socketlab-notify-test-${randomBytes(4).toString('hex')}`;
  const jwtSecret = randomBytes(32).toString('base64url');
  onTestFinished(async () => {
    const client = new Redis(redis.url);
    const keys: string[] = [];
    let cursor = '0';
    for (let i = 0; i < 1000; i++) {
      const [next, found] = await client.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
      keys.push(...found);
      cursor = next;
      if (cursor === '0') break;
    }
    if (keys.length > 0) await client.del(...keys);
    await client.quit();
  });
  const a = await startTestApp({ redis: { url: redis.url, keyPrefix }, jwtSecret });
  const b = await startTestApp({ redis: { url: redis.url, keyPrefix }, jwtSecret });
  return [a, b];
}

describe.skipIf(redis.skip)('two instances over Redis', () => {
  beforeAll(() => redis.require());

  twoInstanceSpecs(twoInstances);
});
