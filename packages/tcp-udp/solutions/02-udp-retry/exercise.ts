import { udpRequest } from '../../src/udp/client.ts';

/** How long to wait for each answer, and how many times to send again. */
export interface RetryOptions {
  /** How long one attempt waits for its answer, in milliseconds. */
  timeoutMs: number;
  /** How many times to send again after the first attempt got no answer (0 = send once). */
  retries: number;
}

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
