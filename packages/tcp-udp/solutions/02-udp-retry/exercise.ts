import type { RetryOptions } from '../../exercises/02-udp-retry/exercise.ts';
import { udpRequest } from '../../src/udp/client.ts';

export type { RetryOptions };

/**
 * Sends one request and resolves with its answer, retrying on timeout. The library's client also
 * backs off (each attempt waits twice as long as the one before), bounds outstanding requests
 * and the datagram size.
 */
export function requestWithRetry(
  host: string,
  port: number,
  payload: Uint8Array,
  options: RetryOptions,
): Promise<Buffer> {
  return udpRequest(host, port, payload, {
    timeoutMs: options.timeoutMs,
    retries: options.retries,
  });
}
