import type { Socket as ServerSocket } from 'socket.io';
import type { Socket as ClientSocket } from 'socket.io-client';
import {
  ACK_TIMEOUT_CODE,
  type AckRefusal,
  MAX_NUMBERS,
  PAYLOAD_CODE,
} from '../../exercises/06-acks-timeout/exercise.ts';
import { RealtimeError } from '../../src/realtime/errors.ts';

export { ACK_TIMEOUT_CODE, type AckRefusal, MAX_NUMBERS, PAYLOAD_CODE };

/**
 * socket.io-client's own bounded ack (`timeout(ms).emitWithAck`): it clears its timer when the
 * ack comes and forgets the ack id when the timer fires, so a late ack finds nothing to call.
 * The library's `emitWithAckTimeout` (src/realtime/socket-io/ack.ts) is the same, typed by the
 * event map.
 */
export async function emitWithTimeout<T = unknown>(
  socket: ClientSocket,
  event: string,
  payload: unknown,
  ms: number,
): Promise<T> {
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw new RangeError(`ms must be a positive integer, got ${ms}`);
  }
  try {
    return (await socket.timeout(ms).emitWithAck(event, payload)) as T;
  } catch (err) {
    throw new RealtimeError(
      ACK_TIMEOUT_CODE,
      `no acknowledgement of '${event}' within ${ms} ms: the server may or may not have handled it`,
      { cause: err },
    );
  }
}

function problemWith(payload: unknown): string | undefined {
  if (typeof payload !== 'object' || payload === null) return 'expected { numbers }';
  const { numbers } = payload as { numbers?: unknown };
  if (!Array.isArray(numbers)) return 'numbers must be an array';
  if (numbers.length > MAX_NUMBERS) return `at most ${MAX_NUMBERS} numbers`;
  if (!numbers.every((n) => typeof n === 'number' && Number.isFinite(n))) {
    return 'every element of numbers must be a finite number';
  }
  return undefined;
}

export function answerSums(socket: ServerSocket): void {
  socket.on('sum', (payload: unknown, ack: unknown) => {
    if (typeof ack !== 'function') return;
    const reply = ack as (value: { sum: number } | AckRefusal) => void;
    const problem = problemWith(payload);
    if (problem) return reply({ error: { code: PAYLOAD_CODE, reason: problem } });
    const { numbers } = payload as { numbers: number[] };
    reply({ sum: numbers.reduce((a, b) => a + b, 0) });
  });
}
