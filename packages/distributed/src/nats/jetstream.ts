/**
 * JetStream for history and replay: a stream stores what is published on its subjects, a durable
 * consumer remembers on the server how far it got (so a restarted process resumes there), and an
 * ephemeral consumer replays from a sequence or a time.
 * @see https://docs.nats.io/nats-concepts/jetstream/streams
 * @see https://docs.nats.io/nats-concepts/jetstream/consumers
 */
import {
  AckPolicy,
  type ConsumerInfo,
  DeliverPolicy,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { DistributedError } from '../errors.ts';

const NOT_FOUND = new Set([10059, 10014]); // stream not found, consumer not found

function isNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && NOT_FOUND.has(error.code);
}

/**
 * Creates the stream `config.name`, or updates it to `config` when it exists.
 * @example await ensureStream(jsm, { name: 'PRICES', subjects: ['prices.>'], max_msgs: 10_000 });
 */
export async function ensureStream(
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string; subjects: string[] },
): Promise<StreamInfo> {
  try {
    await jsm.streams.info(config.name);
  } catch (error) {
    if (isNotFound(error)) return jsm.streams.add(config);
    throw error;
  }
  return jsm.streams.update(config.name, config);
}

/** Options of {@link ensureDurableConsumer}. */
export interface DurableConsumerOptions {
  stream: string;
  /** The durable name: the server keeps this consumer's position under it. */
  durable: string;
  filterSubject?: string;
  /** @default AckPolicy.Explicit (every message acknowledged, or redelivered after `ackWaitMs`) */
  ackPolicy?: AckPolicy;
  /** @default 30000 */
  ackWaitMs?: number;
  /** @default DeliverPolicy.All */
  deliverPolicy?: DeliverPolicy;
}

/**
 * Creates a durable pull consumer, or returns the one that exists under that name (with the
 * position it kept).
 * @example await ensureDurableConsumer(jsm, { stream: 'PRICES', durable: 'audit' });
 */
export async function ensureDurableConsumer(
  jsm: JetStreamManager,
  {
    stream,
    durable,
    filterSubject,
    ackPolicy = AckPolicy.Explicit,
    ackWaitMs = 30_000,
    deliverPolicy = DeliverPolicy.All,
  }: DurableConsumerOptions,
): Promise<ConsumerInfo> {
  try {
    return await jsm.consumers.info(stream, durable);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  return jsm.consumers.add(stream, {
    durable_name: durable,
    ack_policy: ackPolicy,
    ack_wait: ackWaitMs * 1_000_000,
    deliver_policy: deliverPolicy,
    ...(filterSubject === undefined ? {} : { filter_subject: filterSubject }),
  });
}

/** One message replayed from a stream. */
export interface ReplayedMessage {
  /** Its sequence number in the stream. */
  seq: number;
  subject: string;
  /** When the stream stored it. */
  time: Date;
  /** The raw payload: decode it with `decodeBrokerJson` before relaying it anywhere. */
  data: Uint8Array;
}

/** Options of {@link replayFrom}: give `fromSeq` or `fromTime`. */
export interface ReplayOptions {
  js: JetStreamClient;
  /** @default `await js.jetstreamManager()` */
  jsm?: JetStreamManager;
  stream: string;
  /** The first sequence to replay (1 is the first message ever stored). */
  fromSeq?: number;
  /** Replay what was stored at or after this time. */
  fromTime?: Date;
  filterSubject?: string;
  /** The most messages yielded. @default 10000 */
  max?: number;
  /** How long one fetch may wait for messages, in milliseconds. @default 2000 */
  fetchTimeoutMs?: number;
}

/**
 * Replays a stream from a sequence or a time, up to what it held when the replay started (and at
 * most `max` messages), through an ephemeral consumer deleted at the end (or left to expire if
 * the process dies).
 * @throws {RangeError} without exactly one of `fromSeq` (a positive integer) and `fromTime`.
 * @throws {DistributedError} `DISTRIBUTED_ERR_TIMEOUT` when a fetch brings nothing although
 * messages were pending.
 * @example for await (const m of replayFrom({ js, stream: 'PRICES', fromSeq: 42 })) …
 */
export async function* replayFrom(options: ReplayOptions): AsyncGenerator<ReplayedMessage> {
  const { js, stream, fromSeq, fromTime, filterSubject, max = 10_000 } = options;
  const { fetchTimeoutMs = 2_000 } = options;
  if ((fromSeq === undefined) === (fromTime === undefined)) {
    throw new RangeError('replayFrom needs exactly one of fromSeq and fromTime');
  }
  if (fromSeq !== undefined && (!Number.isSafeInteger(fromSeq) || fromSeq < 1)) {
    throw new RangeError(`fromSeq must be a positive integer, got ${fromSeq}`);
  }
  if (!Number.isSafeInteger(max) || max < 1)
    throw new RangeError(`max must be positive, got ${max}`);
  const jsm = options.jsm ?? (await js.jetstreamManager());
  const info = await jsm.consumers.add(stream, {
    ack_policy: AckPolicy.None,
    inactive_threshold: 30_000 * 1_000_000,
    ...(fromSeq === undefined
      ? {
          deliver_policy: DeliverPolicy.StartTime,
          opt_start_time: (fromTime as Date).toISOString(),
        }
      : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: fromSeq }),
    ...(filterSubject === undefined ? {} : { filter_subject: filterSubject }),
  });
  try {
    let remaining = Math.min(info.num_pending, max);
    const consumer = await js.consumers.get(stream, info.name);
    while (remaining > 0) {
      const batch = await consumer.fetch({
        max_messages: Math.min(remaining, 256),
        expires: fetchTimeoutMs,
      });
      let got = 0;
      for await (const m of batch) {
        got++;
        remaining--;
        yield {
          seq: m.seq,
          subject: m.subject,
          time: new Date(m.info.timestampNanos / 1e6),
          data: m.data,
        };
        if (remaining === 0 || m.info.pending === 0) {
          remaining = 0;
          break;
        }
      }
      if (got === 0 && remaining > 0) {
        throw new DistributedError(
          'DISTRIBUTED_ERR_TIMEOUT',
          `replay of ${stream}: ${remaining} messages pending but none arrived within ${fetchTimeoutMs} ms`,
        );
      }
    }
  } finally {
    await jsm.consumers.delete(stream, info.name).catch(() => undefined);
  }
}
