/**
 * Publishing on an amqplib confirm channel as a promise: resolved on the broker's `basic.ack`,
 * rejected on its `basic.nack`, a closed channel or a timeout, and holding further sends while
 * the channel's write buffer is full (`sendToQueue` returned `false`) until `'drain'`.
 *
 * @see https://www.rabbitmq.com/docs/confirms#publisher-confirms
 */
import { once } from 'node:events';
import type { ConfirmChannel } from 'amqplib';
import { DistributedError } from '../errors.ts';

/** What {@link ConfirmedPublisher.send} puts on each message besides its body. */
export interface SendOptions {
  readonly messageId: string;
  readonly headers: Record<string, unknown>;
}

/** Sends persistent JSON messages to queues through one confirm channel. */
export class ConfirmedPublisher {
  readonly #channel: ConfirmChannel;
  readonly #confirmTimeoutMs: number;
  #drained: Promise<void> | undefined;
  #closed = false;

  constructor(channel: ConfirmChannel, confirmTimeoutMs: number) {
    this.#channel = channel;
    this.#confirmTimeoutMs = confirmTimeoutMs;
    channel.on('error', () => {}); // 'close' follows; pending confirms are rejected by amqplib
    channel.once('close', () => {
      this.#closed = true;
    });
  }

  /**
   * Sends `content` to `queue` (through the default exchange) as a persistent message and
   * resolves once RabbitMQ confirms it.
   * @throws {DistributedError} `DISTRIBUTED_ERR_UNAVAILABLE` on a nack or a closed channel;
   * `DISTRIBUTED_ERR_TIMEOUT` when no confirm arrives within the timeout.
   */
  async send(queue: string, content: Buffer, options: SendOptions): Promise<void> {
    if (this.#drained !== undefined) await this.#drained;
    if (this.#closed) throw unavailable(queue, undefined);
    const confirmed = new Promise<void>((resolve, reject) => {
      let ok: boolean;
      try {
        ok = this.#channel.sendToQueue(
          queue,
          content,
          {
            persistent: true,
            contentType: 'application/json',
            messageId: options.messageId,
            headers: options.headers,
          },
          (err) => (err ? reject(unavailable(queue, err)) : resolve()),
        );
      } catch (cause) {
        reject(unavailable(queue, cause)); // IllegalOperationError: the channel closed meanwhile
        return;
      }
      // The confirm still comes; `false` says the buffer is full: hold later sends until 'drain'.
      if (!ok && this.#drained === undefined) this.#drained = this.#drain();
    });
    await withTimeout(confirmed, this.#confirmTimeoutMs, `a publisher confirm from ${queue}`);
  }

  /** Waits until every message sent so far is confirmed (or the channel is gone). */
  async settled(): Promise<void> {
    if (!this.#closed) await this.#channel.waitForConfirms().catch(() => {});
  }

  async #drain(): Promise<void> {
    const closed = once(this.#channel, 'close');
    await Promise.race([once(this.#channel, 'drain'), closed]).catch(() => {});
    this.#drained = undefined;
  }
}

function unavailable(queue: string, cause: unknown): DistributedError {
  return new DistributedError(
    'DISTRIBUTED_ERR_UNAVAILABLE',
    `RabbitMQ did not confirm the message to ${queue}`,
    { cause },
  );
}

function withTimeout<V>(promise: Promise<V>, ms: number, what: string): Promise<V> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new DistributedError(
          'DISTRIBUTED_ERR_TIMEOUT',
          `no answer within ${ms} ms waiting for ${what}`,
        ),
      );
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
