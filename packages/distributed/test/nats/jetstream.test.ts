import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { pollUntil, probeService } from '@socketlab/testkit';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  decodeBrokerJson,
  ensureDurableConsumer,
  ensureStream,
  type ReplayedMessage,
  replayFrom,
} from '../../src/nats/index.ts';
import { json, natsConnection, unique } from './helpers.ts';

const nats = await probeService('nats');

/** A stream of its own for one test, deleted when the test ends, with `count` messages in it. */
async function streamWith(count: number) {
  const nc = await natsConnection(nats.url);
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const id = unique();
  const name = `T_${id}`;
  const subject = `t${id}.prices`;
  await ensureStream(jsm, { name, subjects: [`${subject}.>`] });
  onTestFinished(async () => {
    await jsm.streams.delete(name).catch(() => undefined);
  });
  const acks = [];
  for (let i = 1; i <= count; i++) acks.push(await js.publish(`${subject}.acme`, json({ i })));
  return { nc, jsm, js, name, subject, acks };
}

async function all(iterator: AsyncIterable<ReplayedMessage>) {
  const out: number[] = [];
  for await (const m of iterator) out.push((decodeBrokerJson(m.data) as { i: number }).i);
  return out;
}

describe.skipIf(nats.skip)('JetStream: streams, durable consumers, replay', () => {
  beforeAll(() => nats.require());

  it('stores what is published on its subjects, and ensureStream is idempotent', async () => {
    const { jsm, name, subject, acks } = await streamWith(3);
    expect(acks.map((a) => a.seq)).toEqual([1, 2, 3]);
    const info = await ensureStream(jsm, { name, subjects: [`${subject}.>`], max_msgs: 100 });
    expect(info.state.messages).toBe(3);
    expect(info.config.max_msgs).toBe(100);
  });

  it('resumes a durable consumer where it left off after the consumer restarts', async () => {
    const { jsm, name } = await streamWith(6);
    await ensureDurableConsumer(jsm, { stream: name, durable: 'audit' });
    // first process: takes three, acknowledges each (ackAck waits for the server's confirmation)
    const first = await natsConnection(nats.url);
    const c1 = await jetstream(first).consumers.get(name, 'audit');
    const seen: number[] = [];
    const batch = await c1.fetch({ max_messages: 3, expires: 2_000 });
    for await (const m of batch) {
      seen.push((m.json() as { i: number }).i);
      await m.ackAck();
    }
    expect(seen).toEqual([1, 2, 3]);
    await first.drain(); // the process goes away
    // second process: same durable name, a fresh connection
    const second = await natsConnection(nats.url);
    const again = await ensureDurableConsumer(await jetstreamManager(second), {
      stream: name,
      durable: 'audit',
    });
    expect(again.num_pending).toBe(3);
    const c2 = await jetstream(second).consumers.get(name, 'audit');
    const rest: number[] = [];
    const batch2 = await c2.fetch({ max_messages: 3, expires: 2_000 });
    for await (const m of batch2) {
      rest.push((m.json() as { i: number }).i);
      await m.ackAck();
    }
    expect(rest).toEqual([4, 5, 6]);
  });

  it('replays from a sequence, up to what the stream held, bounded by max', async () => {
    const { js, jsm, name } = await streamWith(10);
    expect(await all(replayFrom({ js, stream: name, fromSeq: 7 }))).toEqual([7, 8, 9, 10]);
    expect(await all(replayFrom({ js, jsm, stream: name, fromSeq: 2, max: 3 }))).toEqual([2, 3, 4]);
    expect(await all(replayFrom({ js, jsm, stream: name, fromSeq: 11 }))).toEqual([]);
    for await (const m of replayFrom({ js, stream: name, fromSeq: 1 })) {
      expect(m.seq).toBe(1);
      break; // a reader that stops early still deletes the consumer
    }
    const consumers = await jsm.consumers.list(name).next();
    expect(consumers, 'replay deletes its ephemeral consumer').toEqual([]);
  });

  it('replays from a time', async () => {
    const { js, jsm, name, subject } = await streamWith(3);
    const stored = await jsm.streams.getMessage(name, { seq: 3 });
    if (stored === null) throw new Error('message 3 is not in the stream');
    const after = new Date(stored.time.getTime() + 1); // the stream keeps nanoseconds; a Date, ms
    // the next messages must be stored at or after `after`: let the clock pass it (bounded)
    await pollUntil(() => Date.now() > after.getTime(), 'the clock to pass message 3', {
      intervalMs: 1,
    });
    for (let i = 4; i <= 5; i++) await js.publish(`${subject}.acme`, json({ i }));
    const replayed = await all(replayFrom({ js, jsm, stream: name, fromTime: after }));
    expect(replayed).toEqual([4, 5]);
    expect(await all(replayFrom({ js, jsm, stream: name, fromTime: new Date(0) }))).toEqual([
      1, 2, 3, 4, 5,
    ]);
  });

  it('refuses a replay without exactly one starting point', async () => {
    const { js, jsm, name } = await streamWith(0);
    await expect(all(replayFrom({ js, jsm, stream: name }))).rejects.toThrow(RangeError);
    await expect(
      all(replayFrom({ js, jsm, stream: name, fromSeq: 1, fromTime: new Date() })),
    ).rejects.toThrow(RangeError);
    await expect(all(replayFrom({ js, jsm, stream: name, fromSeq: 0 }))).rejects.toThrow(
      RangeError,
    );
  });
});
