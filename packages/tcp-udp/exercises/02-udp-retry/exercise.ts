// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter

/** How long to wait for each answer, and how many times to send again. */
export interface RetryOptions {
  /** How long one attempt waits for its answer, in milliseconds. */
  timeoutMs: number;
  /** How many times to send again after the first attempt got no answer (0 = send once). */
  retries: number;
}

/**
 * Sends `payload` to the UDP server at `host:port` in a request envelope (type 1, a request id,
 * the payload) and resolves with the payload of the response (type 2) that carries the same id.
 * Waits `timeoutMs` for each attempt, sends the same datagram again (same id) up to `retries`
 * times, ignores anything that is not the answer (garbage, other ids, duplicates), and:
 * - rejects with an Error whose `code` is `'TCPUDP_ERR_RETRIES_EXHAUSTED'` when no attempt was answered;
 * - rejects with an Error whose `code` is `'TCPUDP_ERR_REMOTE'` when the answer is an error
 *   response (type 3), its message including the server's text.
 * @example const answer = await requestWithRetry('127.0.0.1', port, Buffer.from('ping'), { timeoutMs: 200, retries: 3 });
 */
export async function requestWithRetry(
  host: string,
  port: number,
  payload: Uint8Array,
  options: RetryOptions,
): Promise<Buffer> {
  // TODO: create a udp4 socket (dgram.createSocket) and pick a request id (a random u32).
  // TODO: build the envelope: byte 0 = 1, bytes 1–4 = the id (big-endian), then the payload.
  // TODO: on 'message': skip datagrams shorter than 5 bytes, of another type, or with another id;
  //       type 2 → resolve with the bytes after the header; type 3 → reject (code TCPUDP_ERR_REMOTE).
  // TODO: send, start a timer of timeoutMs; when it fires, send the same datagram again, at most
  //       `retries` times; after the last one, reject (code TCPUDP_ERR_RETRIES_EXHAUSTED).
  // TODO: whatever happens, clear the timer and close the socket.
  throw new Error('not implemented yet: read exercises/02-udp-retry/README.md');
}
