import { randomBytes } from 'node:crypto';
import { listenImpairedTcpProxy } from '@socketlab/tcp-udp';
import { nextEvent, probeService, withTimeout } from '@socketlab/testkit';
import amqp, { type ConsumeMessage } from 'amqplib';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { DistributedError } from '../../src/errors.ts';
import { createWorkQueue } from '../../src/queues/index.ts';

const rabbit = await probeService('rabbitmq');

describe.skipIf(rabbit.skip)('a work queue whose connection to RabbitMQ breaks', () => {
  beforeAll(() => rabbit.require());

  it('emits DISTRIBUTED_ERR_UNAVAILABLE, rejects publishes, and the broker keeps the unacked message', async () => {
    const broker = new URL(rabbit.url);
    const proxy = await listenImpairedTcpProxy({
      target: { host: broker.hostname, port: Number(broker.port) || 5672 },
    });
    onTestFinished(() => proxy.close());
    const viaProxy = new URL(rabbit.url);
    viaProxy.hostname = proxy.address.host;
    viaProxy.port = String(proxy.address.port);
    const name = `socketlab.test.${randomBytes(6).toString('hex')}`;
    const queue = await createWorkQueue<{ n: number }>({ url: viaProxy.href, queue: name });
    onTestFinished(() => queue.close());

    let taken!: () => void;
    const started = new Promise<void>((resolve) => {
      taken = resolve;
    });
    await queue.consume(() => {
      taken();
      return new Promise(() => {}); // still working when the link goes
    });
    await queue.publish({ n: 1 });
    await started;

    const failed = nextEvent<[DistributedError]>(queue, 'error');
    proxy.cutAll('reset');
    const [error] = await failed;
    expect(error.code).toBe('DISTRIBUTED_ERR_UNAVAILABLE');
    await expect(queue.publish({ n: 2 })).rejects.toMatchObject({
      code: 'DISTRIBUTED_ERR_UNAVAILABLE',
    });

    // The message was never acked: RabbitMQ put it back for the next consumer.
    const direct = await amqp.connect(rabbit.url);
    onTestFinished(() => direct.close());
    const channel = await direct.createChannel();
    onTestFinished(async () => {
      for (const q of [name, `${name}.retry`, `${name}.dead`]) await channel.deleteQueue(q);
    });
    // Consume, not get: the broker requeues once it notices the reset, which may be a little later.
    const again = await withTimeout(
      new Promise<ConsumeMessage>((resolve) => {
        void channel.consume(name, (msg) => msg && resolve(msg), { noAck: true });
      }),
      'the requeued message',
    );
    expect({ body: String(again.content), redelivered: again.fields.redelivered }).toEqual({
      body: '{"n":1}',
      redelivered: true,
    });
  });
});
