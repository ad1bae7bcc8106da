import type { Msg } from '@nats-io/transport-node';
import { probeService, withTimeout } from '@socketlab/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { DistributedError } from '../../src/errors.ts';
import { requestNats } from '../../src/nats/index.ts';
import { json, natsConnection, unique } from './helpers.ts';

const nats = await probeService('nats');

/** Collects what a subscription receives until `count` messages have come (bounded). */
function collect(nc: Awaited<ReturnType<typeof natsConnection>>, subject: string, queue?: string) {
  const got: string[] = [];
  const data: string[] = [];
  const sub = nc.subscribe(subject, {
    ...(queue === undefined ? {} : { queue }),
    callback: (_err, msg: Msg) => {
      got.push(msg.subject);
      data.push(msg.string());
    },
  });
  return { got, data, sub };
}

describe.skipIf(nats.skip)('core NATS: subjects, wildcards, request/reply, queue groups', () => {
  beforeAll(() => nats.require());

  it('delivers by subject, with * for one token and > for the rest', async () => {
    const nc = await natsConnection(nats.url);
    const p = `t${unique()}`;
    const exact = collect(nc, `${p}.prices.eu`);
    const star = collect(nc, `${p}.prices.*`);
    const tail = collect(nc, `${p}.prices.>`);
    await nc.flush();
    for (const s of ['prices.eu', 'prices.us', 'prices.eu.acme', 'news.eu'])
      nc.publish(`${p}.${s}`);
    await nc.flush(); // a round trip: the server has routed everything published before it
    // a subscriber's messages come on the same connection, before the flush's PONG
    expect(exact.got).toEqual([`${p}.prices.eu`]);
    expect(star.got).toEqual([`${p}.prices.eu`, `${p}.prices.us`]);
    expect(tail.got).toEqual([`${p}.prices.eu`, `${p}.prices.us`, `${p}.prices.eu.acme`]);
  });

  it('answers a request, and says clearly when no one is there or no one answers', async () => {
    const nc = await natsConnection(nats.url);
    const subject = `t${unique()}.time`;
    nc.subscribe(subject, {
      callback: (_err, msg) => {
        msg.respond(json({ now: 42 }));
      },
    });
    const silent = `t${unique()}.silent`;
    nc.subscribe(silent, { callback: () => {} });
    await nc.flush();
    expect((await requestNats({ nc, subject, timeoutMs: 2_000 })).json()).toEqual({ now: 42 });

    const nobody = await requestNats({ nc, subject: `t${unique()}.nobody` }).catch((e) => e);
    expect(nobody).toBeInstanceOf(DistributedError);
    expect(nobody.code).toBe('DISTRIBUTED_ERR_UNAVAILABLE');
    expect(nobody.message).toMatch(/no responder/);

    const late = await requestNats({ nc, subject: silent, timeoutMs: 200 }).catch((e) => e);
    expect(late).toBeInstanceOf(DistributedError);
    expect(late.code).toBe('DISTRIBUTED_ERR_TIMEOUT');
  });

  it('gives each message of a queue group to exactly one member', async () => {
    const a = await natsConnection(nats.url);
    const b = await natsConnection(nats.url);
    const watcher = await natsConnection(nats.url);
    const subject = `t${unique()}.work`;
    const first = collect(a, subject, 'workers');
    const second = collect(b, subject, 'workers');
    const all = collect(watcher, subject); // not in the group: sees every message
    await Promise.all([a.flush(), b.flush(), watcher.flush()]);
    const publisher = await natsConnection(nats.url);
    for (let i = 0; i < 100; i++) publisher.publish(subject, json(i));
    await publisher.flush();
    const count = () => first.got.length + second.got.length;
    await withTimeout(
      (async () => {
        for (let i = 0; i < 500 && count() < 100; i++) await Promise.all([a.flush(), b.flush()]);
      })(),
      '100 messages to reach the queue group',
    );
    await watcher.flush();
    const delivered = [...first.data, ...second.data].map(Number).sort((x, y) => x - y);
    expect(delivered, 'each message to exactly one member').toEqual(
      Array.from({ length: 100 }, (_, i) => i),
    );
    expect(first.got.length, 'both members get work').toBeGreaterThan(0);
    expect(second.got.length, 'both members get work').toBeGreaterThan(0);
    expect(all.got.length).toBe(100);
  });
});
