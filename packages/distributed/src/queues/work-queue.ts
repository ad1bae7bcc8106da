/**
 * A RabbitMQ work queue over amqplib: persistent messages published with publisher confirms,
 * consumers with manual acks and a prefetch window, retries after a delay through a TTL queue
 * that dead-letters back to the work queue, and a dead-letter queue for messages that used up
 * their retries or could not be parsed. Delivery is at least once: handlers must be idempotent.
 *
 * @see https://www.rabbitmq.com/tutorials/tutorial-two-javascript (work queues)
 * @see https://www.rabbitmq.com/docs/confirms (acks, prefetch, publisher confirms)
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { checkInteger, quoteInput, TIMER_MAX_MS } from '@socketlab/internal';
import amqp, {
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
} from 'amqplib';
import { DistributedError } from '../errors.ts';
import { decodeJsonBody, errorText } from './payload.ts';
import { ConfirmedPublisher } from './publisher.ts';
import {
  DEAD_LETTER_ERROR_HEADER,
  DEAD_LETTER_REASON_HEADER,
  type DeadLetterReason,
  RETRY_COUNT_HEADER,
  readRetryCount,
  retryQueueOptions,
  type WorkQueueNames,
  workQueueNames,
} from './topology.ts';

/** Options of {@link createWorkQueue}. */
export interface WorkQueueOptions<T> {
  /** The broker, e.g. `amqp://guest:guest@127.0.0.1:5672`. */
  url: string;
  /** The work queue's name; `<queue>.retry` and `<queue>.dead` are declared next to it. */
  queue: string;
  /** Unacknowledged messages each consumer may hold (1…65535). @default 1 */
  prefetch?: number;
  /** Retries after the first attempt before a message is dead-lettered (0…1000). @default 3 */
  maxRetries?: number;
  /** How long a failed message waits in the retry queue, in ms (1…2^31−1). @default 1000 */
  retryDelayMs?: number;
  /** Checks a parsed JSON body and returns it typed; throwing makes the message unparsable. */
  parse?: (value: unknown) => T;
  /** The largest body accepted, in bytes, published or consumed. @default 1048576 */
  maxMessageBytes?: number;
  /** How long a publish waits for the broker's confirm, in ms. @default 10000 */
  confirmTimeoutMs?: number;
  /** How long {@link WorkQueue.close} waits for running handlers, in ms. @default 5000 */
  closeTimeoutMs?: number;
}

/** What a handler learns about the message it is given. */
export interface Job {
  /** The producer's message id (a UUID unless given): the key for idempotent handling. */
  readonly messageId: string;
  /** Retries before this attempt: 0 on the first. */
  readonly retries: number;
  /** True when RabbitMQ delivered it before to a consumer that did not ack (it may have run). */
  readonly redelivered: boolean;
}

/** Processes one message; resolving acks it, throwing retries it (or dead-letters it). */
export type JobHandler<T> = (body: T, job: Job) => unknown;

/** A message read back from the dead-letter queue. */
export interface DeadLetter {
  readonly messageId: string;
  readonly reason: DeadLetterReason;
  /** The last error's message. */
  readonly error: string;
  readonly retries: number;
  /** The body as it was published (it may not be JSON). */
  readonly content: Buffer;
}

/** Events of a {@link WorkQueue}. */
export interface WorkQueueEvents {
  /** A handler failed and the message went to the retry queue; `retries` counts this one. */
  retry: [info: { messageId: string; retries: number; error: unknown }];
  /** A message went to the dead-letter queue; `error` is a `DISTRIBUTED_ERR_PAYLOAD` when unparsable. */
  'dead-letter': [info: { messageId: string; reason: DeadLetterReason; error: unknown }];
  /** The connection failed or closed unasked (`DISTRIBUTED_ERR_UNAVAILABLE`). */
  error: [error: DistributedError];
}

/** One consumer: its own channel, with its own prefetch window. */
export interface Consumer {
  readonly tag: string;
  /** Stops new deliveries, waits for running handlers (bounded), then closes the channel. */
  cancel(): Promise<void>;
  /** Closes the channel at once, as a crash would: unacked messages go back to the queue. */
  abort(): Promise<void>;
}

/**
 * Connects to RabbitMQ and declares the work queue, its retry queue and its dead-letter queue
 * (all durable). Publish with {@link WorkQueue.publish}, consume with {@link WorkQueue.consume}.
 * @throws {TypeError | RangeError} on bad options (synchronously checked, rejected).
 * @throws {DistributedError} `DISTRIBUTED_ERR_UNAVAILABLE` when the broker cannot be reached.
 * @example
 * const orders = await createWorkQueue<{ id: number }>({ url, queue: 'orders', retryDelayMs: 500 });
 * await orders.consume(async (order, job) => { await ship(order.id, job.messageId); });
 * await orders.publish({ id: 1 });
 */
export async function createWorkQueue<T = unknown>(
  options: WorkQueueOptions<T>,
): Promise<WorkQueue<T>> {
  const queue = new WorkQueue(options);
  await queue.open();
  return queue;
}

/** A work queue on one AMQP connection; made by {@link createWorkQueue}. */
export class WorkQueue<T = unknown> extends EventEmitter<WorkQueueEvents> {
  readonly names: WorkQueueNames;
  readonly #url: string;
  readonly #prefetch: number;
  readonly #maxRetries: number;
  readonly #retryDelayMs: number;
  readonly #parse: (value: unknown) => T;
  readonly #maxBytes: number;
  readonly #confirmTimeoutMs: number;
  readonly #closeTimeoutMs: number;
  #connection: ChannelModel | undefined;
  #publisher: ConfirmChannel | undefined;
  #confirmed: ConfirmedPublisher | undefined;
  readonly #consumers = new Set<Consumer>();
  #closing = false;

  constructor(options: WorkQueueOptions<T>) {
    super();
    if (
      typeof options.queue !== 'string' ||
      options.queue.length === 0 ||
      options.queue.length > 200
    )
      throw new TypeError(
        `queue must be a name of 1 to 200 characters, got ${quoteInput(options.queue)}`,
      );
    this.names = workQueueNames(options.queue);
    this.#url = options.url;
    this.#prefetch = checkInteger('prefetch', options.prefetch ?? 1, 1, 65_535);
    this.#maxRetries = checkInteger('maxRetries', options.maxRetries ?? 3, 0, 1_000);
    this.#retryDelayMs = checkInteger(
      'retryDelayMs',
      options.retryDelayMs ?? 1_000,
      1,
      TIMER_MAX_MS,
    );
    this.#parse = options.parse ?? ((value) => value as T);
    this.#maxBytes = checkInteger(
      'maxMessageBytes',
      options.maxMessageBytes ?? 1_048_576,
      1,
      134_217_728,
    );
    this.#confirmTimeoutMs = checkInteger(
      'confirmTimeoutMs',
      options.confirmTimeoutMs ?? 10_000,
      1,
      TIMER_MAX_MS,
    );
    this.#closeTimeoutMs = checkInteger(
      'closeTimeoutMs',
      options.closeTimeoutMs ?? 5_000,
      0,
      TIMER_MAX_MS,
    );
  }

  /** Connects and declares the queues; {@link createWorkQueue} calls it. */
  async open(): Promise<void> {
    try {
      this.#connection = await amqp.connect(this.#url);
    } catch (cause) {
      throw new DistributedError(
        'DISTRIBUTED_ERR_UNAVAILABLE',
        `RabbitMQ at ${redact(this.#url)} cannot be reached`,
        { cause },
      );
    }
    this.#connection.on('error', () => {}); // 'close' follows with the same error
    this.#connection.on('close', (cause?: Error) => {
      if (this.#closing) return;
      this.emit(
        'error',
        new DistributedError('DISTRIBUTED_ERR_UNAVAILABLE', 'the RabbitMQ connection closed', {
          cause,
        }),
      );
    });
    this.#publisher = await this.#connection.createConfirmChannel();
    this.#confirmed = new ConfirmedPublisher(this.#publisher, this.#confirmTimeoutMs);
    const { work, retry, dead } = this.names;
    await this.#publisher.assertQueue(work, { durable: true });
    await this.#publisher.assertQueue(retry, retryQueueOptions(work, this.#retryDelayMs));
    await this.#publisher.assertQueue(dead, { durable: true });
  }

  /**
   * Publishes `body` as persistent JSON and resolves once the broker has confirmed it (written
   * to disk for a durable queue); waits for `'drain'` when the channel's buffer is full.
   * @returns the message id.
   * @throws {DistributedError} `DISTRIBUTED_ERR_LIMIT` when the JSON is larger than `maxMessageBytes`;
   * `DISTRIBUTED_ERR_UNAVAILABLE` when the broker nacks or the channel closes;
   * `DISTRIBUTED_ERR_TIMEOUT` when no confirm comes within `confirmTimeoutMs`.
   */
  async publish(body: T, options: { messageId?: string } = {}): Promise<string> {
    const content = Buffer.from(JSON.stringify(body) ?? 'null');
    if (content.length > this.#maxBytes)
      throw new DistributedError(
        'DISTRIBUTED_ERR_LIMIT',
        `message of ${content.length} bytes is over maxMessageBytes (${this.#maxBytes})`,
      );
    const messageId = options.messageId ?? randomUUID();
    await this.#sender().send(this.names.work, content, { messageId, headers: {} });
    return messageId;
  }

  /**
   * Starts a consumer on its own channel with `prefetch` unacked messages at most; the handler
   * runs once per delivery (up to `prefetch` at a time). A message is acked after the handler
   * resolves; after it throws, the message goes to the retry queue with its count raised, or to
   * the dead-letter queue once `maxRetries` is spent. A body that is not JSON (or that `parse`
   * refuses) is dead-lettered at once with `DISTRIBUTED_ERR_PAYLOAD`.
   */
  async consume(handler: JobHandler<T>): Promise<Consumer> {
    const connection = this.#open();
    const channel = await connection.createChannel();
    channel.on('error', () => {});
    await channel.prefetch(this.#prefetch);
    const running = new Set<Promise<void>>();
    let closed = false;
    channel.once('close', () => {
      closed = true;
    });
    const { consumerTag } = await channel.consume(this.names.work, (msg) => {
      if (msg === null) return; // cancelled by the broker (queue deleted)
      const run = this.#deliver(channel, msg, handler).finally(() => running.delete(run));
      running.add(run);
    });
    const closeChannel = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      await channel.close().catch(() => {});
    };
    const consumer: Consumer = {
      tag: consumerTag,
      cancel: async () => {
        this.#consumers.delete(consumer);
        if (closed) return;
        await channel.cancel(consumerTag).catch(() => {});
        await settleWithin([...running], this.#closeTimeoutMs);
        await closeChannel();
      },
      abort: async () => {
        this.#consumers.delete(consumer);
        await closeChannel();
      },
    };
    this.#consumers.add(consumer);
    return consumer;
  }

  /** Takes one message from the dead-letter queue (acked: it leaves the queue), if any. */
  async getDeadLetter(): Promise<DeadLetter | undefined> {
    const msg = await this.#channel().get(this.names.dead, { noAck: true });
    if (msg === false) return undefined;
    const headers = msg.properties.headers ?? {};
    return {
      messageId: String(msg.properties.messageId ?? ''),
      reason: headers[DEAD_LETTER_REASON_HEADER] === 'unparsable' ? 'unparsable' : 'exhausted',
      error: String(headers[DEAD_LETTER_ERROR_HEADER] ?? ''),
      retries: readRetryCount(headers),
      content: msg.content,
    };
  }

  /** Deletes the work, retry and dead-letter queues with whatever they hold (tests, teardown). */
  async deleteQueues(): Promise<void> {
    const channel = this.#channel();
    for (const name of [this.names.work, this.names.retry, this.names.dead])
      await channel.deleteQueue(name);
  }

  /** Cancels every consumer (waiting for running handlers, bounded), waits for confirms, disconnects. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    await Promise.all([...this.#consumers].map((consumer) => consumer.cancel()));
    await this.#confirmed?.settled();
    await this.#connection?.close().catch(() => {});
  }

  async #deliver(channel: Channel, msg: ConsumeMessage, handler: JobHandler<T>): Promise<void> {
    const headers = msg.properties.headers ?? {};
    const retries = readRetryCount(headers);
    const messageId = String(msg.properties.messageId ?? `unnamed-${msg.fields.deliveryTag}`);
    let body: T;
    try {
      body = decodeJsonBody(msg.content, this.#maxBytes, this.#parse);
    } catch (error) {
      await this.#moveThenAck(channel, msg, { messageId, retries, reason: 'unparsable', error });
      return;
    }
    try {
      await handler(body, { messageId, retries, redelivered: msg.fields.redelivered });
      settle(() => channel.ack(msg));
    } catch (error) {
      const spent = retries >= this.#maxRetries;
      await this.#moveThenAck(channel, msg, {
        messageId,
        retries: spent ? retries : retries + 1,
        reason: spent ? 'exhausted' : undefined,
        error,
      });
    }
  }

  /**
   * Publishes a copy to the retry queue (no `reason`) or the dead letters, and acks the original only once the copy is confirmed: a crash in
   * between leaves two copies (at least once), never none. If the copy fails, the original is
   * requeued.
   */
  async #moveThenAck(
    channel: Channel,
    msg: ConsumeMessage,
    move: {
      messageId: string;
      retries: number;
      reason: DeadLetterReason | undefined;
      error: unknown;
    },
  ): Promise<void> {
    const { messageId, retries, reason, error } = move;
    const queue = reason === undefined ? this.names.retry : this.names.dead;
    const headers: Record<string, unknown> = {
      ...msg.properties.headers,
      [RETRY_COUNT_HEADER]: retries,
    };
    if (reason !== undefined) {
      headers[DEAD_LETTER_REASON_HEADER] = reason;
      headers[DEAD_LETTER_ERROR_HEADER] = errorText(error);
    }
    try {
      await this.#sender().send(queue, msg.content, { messageId, headers });
    } catch {
      settle(() => channel.nack(msg, false, true));
      return;
    }
    settle(() => channel.ack(msg));
    if (reason === undefined) this.emit('retry', { messageId, retries, error });
    else this.emit('dead-letter', { messageId, reason, error });
  }

  #open(): ChannelModel {
    if (this.#closing || this.#connection === undefined)
      throw new DistributedError(
        'DISTRIBUTED_ERR_UNAVAILABLE',
        'the work queue is closed or not open',
      );
    return this.#connection;
  }

  #sender(): ConfirmedPublisher {
    this.#open();
    if (this.#confirmed === undefined)
      throw new DistributedError('DISTRIBUTED_ERR_UNAVAILABLE', 'the work queue is not open');
    return this.#confirmed;
  }

  #channel(): ConfirmChannel {
    this.#open();
    if (this.#publisher === undefined)
      throw new DistributedError('DISTRIBUTED_ERR_UNAVAILABLE', 'the work queue is not open');
    return this.#publisher;
  }
}

/** Runs an ack or nack, ignoring a channel that has closed meanwhile (RabbitMQ requeues then). */
function settle(action: () => void): void {
  try {
    action();
  } catch {
    // IllegalOperationError: channel closed; the broker redelivers the message elsewhere.
  }
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

async function settleWithin(promises: Promise<unknown>[], ms: number): Promise<void> {
  if (promises.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled(promises),
    new Promise((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}
