/**
 * Asking every other instance and waiting for all their answers: `serverSideEmitWithAck` with a
 * typed error for the case it exists to show, an instance that does not answer in time.
 * @see https://socket.io/docs/v4/server-api/#serverserversideemitwithackeventname-args
 */
import type { Server } from 'socket.io';
import { DistributedError } from '../errors.ts';

/**
 * Emits `event` to every other instance (not this one) and resolves with one answer per
 * instance, in no fixed order. Each instance answers by calling the ack its
 * `io.on(event, (...args, ack) => …)` listener receives.
 *
 * The adapter waits for as many answers as Redis counts subscribed instances: one that has no
 * listener for `event`, is stuck, or died without unsubscribing makes the whole request fail
 * after the adapter's timeout (pub/sub: `requestsTimeoutMs`; streams: 5 s). The answers that
 * did arrive are lost with it, and the instances that answered did handle the event: retry only
 * what is idempotent.
 * @throws {DistributedError} `DISTRIBUTED_ERR_TIMEOUT` (the adapter's error as `cause`).
 * @example
 * io.on('load', (ack) => ack({ clients: io.engine.clientsCount }));   // on every instance
 * const loads = await askInstances(io, 'load');                        // [{ clients: 12 }, …]
 */
export async function askInstances<Reply = unknown>(
  // biome-ignore lint/suspicious/noExplicitAny: any server, whatever its event maps
  io: Pick<Server<any, any, any, any>, 'serverSideEmitWithAck'>,
  event: string,
  ...args: unknown[]
): Promise<Reply[]> {
  try {
    // biome-ignore lint/suspicious/noExplicitAny: server-side events are untyped across instances
    return (await (io.serverSideEmitWithAck as any)(event, ...args)) as Reply[];
  } catch (error) {
    throw new DistributedError(
      'DISTRIBUTED_ERR_TIMEOUT',
      `not every instance answered '${event}' in time (${error instanceof Error ? error.message : String(error)}): check that each one listens for it`,
      { cause: error },
    );
  }
}
