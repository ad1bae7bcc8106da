/**
 * Acknowledgements with a bound: Socket.IO's `socket.timeout(ms).emitWithAck(…)`, its failure
 * turned into a typed error that names the event and the wait, and a receiver's refusal
 * ({@link AckRefusal}) into the refusal's own code.
 * @see https://socket.io/docs/v4/emitting-events/#acknowledgements
 */
import type { Socket as ServerSocket } from 'socket.io';
import type { Socket as ClientSocket } from 'socket.io-client';
import { REALTIME_ERROR_CODES, RealtimeError } from '../errors.ts';
import type { AckRefusal, RealtimeEventsMap } from './event-map.ts';

// biome-ignore lint/suspicious/noExplicitAny: the reply of any acknowledgement callback
type AnyAck = (reply: any) => void;

/** The names of the events of `Events` whose last parameter is an acknowledgement callback. */
export type AckEventNames<Events extends RealtimeEventsMap> = {
  [Name in keyof Events & string]: Events[Name] extends (...args: [...infer _Args, AnyAck]) => void
    ? Name
    : never;
}[keyof Events & string];

/** The arguments an acknowledged event takes, without its callback. */
export type AckArgs<Listener> = Listener extends (...args: [...infer Args, AnyAck]) => void
  ? Args
  : never;

/** What an acknowledged event's receiver replies with, refusals left out. */
export type AckReply<Listener> = Listener extends (
  ...args: [...infer _Args, (reply: infer Reply) => void]
) => void
  ? Exclude<Reply, AckRefusal>
  : never;

/** True when `value` is an {@link AckRefusal}: `{ error: { code, reason } }` with a known code. */
export function isAckRefusal(value: unknown): value is AckRefusal {
  if (typeof value !== 'object' || value === null) return false;
  const error = (value as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return false;
  const { code, reason } = error as { code?: unknown; reason?: unknown };
  return (
    typeof code === 'string' &&
    (REALTIME_ERROR_CODES as readonly string[]).includes(code) &&
    typeof reason === 'string'
  );
}

/**
 * Emits `event` with `args` and resolves with the receiver's acknowledgement, waiting at most
 * `timeoutMs`. Works from either side: a client socket or a server's socket. A lost ack does not
 * mean the event was not handled: the receiver may have run its handler and its reply got lost,
 * or it may never have seen the event. Retry only what is idempotent.
 * @param socket a socket.io-client `Socket` or a socket.io server `Socket`, typed with the event map.
 * @param timeoutMs how long to wait for the ack, in milliseconds (a positive integer).
 * @throws {RangeError} synchronously when `timeoutMs` is not a positive integer.
 * @throws {RealtimeError} `REALTIME_ERR_ACK_TIMEOUT` (rejects) when no ack came within
 *   `timeoutMs` (the message names the event and the wait); the code of an {@link AckRefusal}
 *   when the receiver refused the event (e.g. `REALTIME_ERR_PAYLOAD`).
 * @example
 * const { members } = await emitWithAckTimeout(socket, 2_000, 'room:join', 'lobby');
 */
export function emitWithAckTimeout<
  Events extends RealtimeEventsMap,
  Name extends AckEventNames<Events>,
>(
  // biome-ignore lint/suspicious/noExplicitAny: only the emitted events' map matters here
  socket: ClientSocket<any, Events> | ServerSocket<any, Events, any, any>,
  timeoutMs: number,
  event: Name,
  ...args: AckArgs<Events[Name]>
): Promise<AckReply<Events[Name]>> {
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError(`timeoutMs must be a positive integer of milliseconds, got ${timeoutMs}`);
  }
  const bounded = socket.timeout(timeoutMs) as unknown as {
    emitWithAck(event: string, ...args: unknown[]): Promise<unknown>;
  };
  return bounded.emitWithAck(event, ...args).then(
    (reply) => {
      if (isAckRefusal(reply)) {
        const { code, reason } = reply.error;
        throw new RealtimeError(code, `'${event}' was refused by the receiver: ${reason}`, {
          reason,
        });
      }
      return reply as AckReply<Events[Name]>;
    },
    (err: unknown) => {
      throw new RealtimeError(
        'REALTIME_ERR_ACK_TIMEOUT',
        `no acknowledgement of '${event}' within ${timeoutMs} ms: the receiver may or may not have handled it`,
        { cause: err, reason: `no acknowledgement of '${event}' within ${timeoutMs} ms` },
      );
    },
  );
}
