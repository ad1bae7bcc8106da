// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter
import type { Socket as ServerSocket } from 'socket.io';
import type { Socket as ClientSocket } from 'socket.io-client';

/** The code a timed-out acknowledgement rejects with (the library's `RealtimeError` codes). */
export const ACK_TIMEOUT_CODE = 'REALTIME_ERR_ACK_TIMEOUT';
/** The code a refused payload is acknowledged with. */
export const PAYLOAD_CODE = 'REALTIME_ERR_PAYLOAD';
/** The most numbers one `sum` may carry. */
export const MAX_NUMBERS = 1_000;

/** What a refusal looks like in an ack: `{ error: { code, reason } }`. */
export interface AckRefusal {
  error: { code: typeof PAYLOAD_CODE; reason: string };
}

/**
 * Emits `event` with `payload` and resolves with the receiver's acknowledgement
 * (exercises/06-acks-timeout/README.md, "Your task"), or rejects, after `ms`, with an Error whose
 * `code` is `'REALTIME_ERR_ACK_TIMEOUT'` and whose message names the event and the wait. An ack
 * that arrives after the timeout is ignored; once the promise settles no timer is left running.
 * @example const { sum } = await emitWithTimeout<{ sum: number }>(socket, 'sum', { numbers: [1, 2] }, 1_000);
 */
export function emitWithTimeout<T = unknown>(
  socket: ClientSocket,
  event: string,
  payload: unknown,
  ms: number,
): Promise<T> {
  // TODO: ms must be a positive integer: otherwise throw a RangeError (at once, not a rejection).
  // TODO: emit with an acknowledgement, bounded by ms: socket.timeout(ms).emitWithAck(event, payload)
  //       (or your own setTimeout, cleared when the ack comes).
  // TODO: on timeout, reject with an Error whose code is ACK_TIMEOUT_CODE, naming event and ms.
  throw new Error('not implemented yet: read exercises/06-acks-timeout/README.md');
}

/**
 * The server's side (README, "The handler"): on `sum` with `{ numbers }` (an array of at most
 * {@link MAX_NUMBERS} finite numbers), acknowledges `{ sum }`; anything else is acknowledged with
 * an {@link AckRefusal} (code `'REALTIME_ERR_PAYLOAD'`). A `sum` sent without an ack callback is
 * ignored. Nothing a client sends may throw.
 * @example io.on('connection', (socket) => answerSums(socket));
 */
export function answerSums(socket: ServerSocket): void {
  // TODO: socket.on('sum', (payload, ack) => { … }).
  // TODO: no ack function (typeof ack !== 'function') → return: there is nobody to answer.
  // TODO: check the shape before using it: an object, numbers an array of ≤ MAX_NUMBERS finite numbers.
  // TODO: ack({ sum }) or ack({ error: { code: PAYLOAD_CODE, reason: '…' } }).
  throw new Error('not implemented yet: read exercises/06-acks-timeout/README.md');
}
