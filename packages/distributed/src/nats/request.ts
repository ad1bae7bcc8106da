/**
 * Request/reply over core NATS with a clear failure: the client publishes with a reply subject
 * and waits for the first answer; with no subscriber on the subject the server says so at once
 * ("no responders"), and a subscriber that never answers runs into the timeout.
 * @see https://docs.nats.io/nats-concepts/core-nats/reqreply
 */
import { errors, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { DistributedError } from '../errors.ts';

/** Options of {@link requestNats}. */
export interface NatsRequestOptions {
  nc: NatsConnection;
  subject: string;
  data?: Uint8Array | string;
  /** How long to wait for the reply, in milliseconds. @default 2000 */
  timeoutMs?: number;
}

/**
 * Sends a request and resolves with the first reply.
 * @throws {DistributedError} `DISTRIBUTED_ERR_UNAVAILABLE` when nothing subscribes to the subject
 * (the server's "no responders"), `DISTRIBUTED_ERR_TIMEOUT` when no reply came within `timeoutMs`.
 * @example const reply = await requestNats({ nc, subject: 'time.now', timeoutMs: 500 });
 */
export async function requestNats({
  nc,
  subject,
  data,
  timeoutMs = 2_000,
}: NatsRequestOptions): Promise<Msg> {
  try {
    return await nc.request(subject, data, { timeout: timeoutMs });
  } catch (cause) {
    const noResponders =
      (cause instanceof errors.RequestError && cause.isNoResponders()) ||
      cause instanceof errors.NoRespondersError;
    if (noResponders) {
      throw new DistributedError(
        'DISTRIBUTED_ERR_UNAVAILABLE',
        `no responder on "${subject}": nothing subscribes to it (start the service, or check the subject)`,
        { cause },
      );
    }
    if (
      cause instanceof errors.TimeoutError ||
      (cause as Error)?.cause instanceof errors.TimeoutError
    ) {
      throw new DistributedError(
        'DISTRIBUTED_ERR_TIMEOUT',
        `no reply on "${subject}" within ${timeoutMs} ms: a responder is subscribed but did not answer`,
        { cause },
      );
    }
    throw cause;
  }
}
