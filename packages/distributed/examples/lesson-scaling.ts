/**
 * What lessons/scaling.md shows from redis-cli's side: the channels two instances of the pub/sub
 * adapter subscribe to, the messages one broadcast and one fetchSockets() publish, and a
 * broadcast as the Redis Streams adapter stores it. Needs Redis (REDIS_URL or 127.0.0.1:6379);
 * deletes what it wrote. The uids and stream ids differ on every run.
 *   pnpm exec tsx --conditions=@socketlab/source examples/lesson-scaling.ts
 */
import { Redis } from 'ioredis';
import { createScaledServer } from '../src/index.ts';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redis = new Redis(url);

const a = await createScaledServer({ redisUrl: url, adapter: 'pubsub', keyPrefix: 'lesson' });
const b = await createScaledServer({ redisUrl: url, adapter: 'pubsub', keyPrefix: 'lesson' });
console.log(
  'PUBSUB CHANNELS lesson*  →',
  (await redis.pubsub('CHANNELS', 'lesson*')).sort().join(', '),
);
const watcher = redis.duplicate();
await watcher.psubscribe('lesson*');
const seen: string[] = [];
watcher.on('pmessageBuffer', (_pattern: Buffer, channel: Buffer, message: Buffer) => {
  seen.push(`message on ${channel.toString()}  ${message.length} bytes`);
});
a.io.to('lobby').emit('news', 'hi');
await a.io.fetchSockets(); // B answers through Redis; the watcher saw all three by the PING below
await watcher.ping();
console.log(seen.join('\n'));
await a.close();
await b.close();
watcher.disconnect();

const s = await createScaledServer({ redisUrl: url, adapter: 'streams', keyPrefix: 'lesson-s' });
s.io.to('lobby').emit('news', 'hi');
await s.redis.ping(); // answered after the XADD the broadcast sent on the same connection
for (const [id, fields] of await redis.xrange('lesson-s', '-', '+'))
  console.log(id, fields.join(' '));
await s.close();
await redis.del('lesson-s');
redis.disconnect();
