/**
 * Reads the file-transfer protocol from a socket: whole control messages, or exactly N raw body
 * bytes handed to a sink in batches. Memory is bounded: past `highWaterMark` buffered bytes the
 * socket is paused (TCP's window then slows the peer down) until the sink has caught up.
 */

import type { Socket } from 'node:net';
import { ConnectionError, TimeoutError } from '../errors.ts';
import { decodeFileTransferMessage } from './codec.ts';
import type { FileTransferMessage } from './protocol.ts';

/** Where body bytes go: called with one batch at a time, never again before it resolves. */
export type FileTransferSink = (chunks: Buffer[]) => Promise<void>;

/** A socket read as file-transfer messages and bodies. One per connection. */
export class FileTransferStream {
  readonly #socket: Socket;
  readonly #highWaterMark: number;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;
  /** Bytes read from the socket so far. */
  bytesReceived = 0;

  constructor(socket: Socket, highWaterMark = 4 * 1024 * 1024) {
    this.#socket = socket;
    this.#highWaterMark = highWaterMark;
    socket.on('data', (chunk: Buffer) => {
      this.bytesReceived += chunk.length;
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      if (this.#buffered >= this.#highWaterMark) socket.pause();
      this.#wake?.();
    });
    const stop = (): void => {
      this.#ended = true;
      this.#wake?.();
    };
    socket.on('end', stop);
    socket.on('close', stop);
    socket.on('error', (error) => {
      this.#error ??= error;
      stop();
    });
  }

  /** True once the peer has ended or the socket has closed. */
  get ended(): boolean {
    return this.#ended;
  }

  /** A message already buffered, if there is one (no waiting). Decoding errors are thrown. */
  pendingMessage(): FileTransferMessage | undefined {
    if (this.#buffered === 0) return undefined;
    const all =
      this.#chunks.length === 1 ? (this.#chunks[0] as Buffer) : Buffer.concat(this.#chunks);
    const decoded = decodeFileTransferMessage(all);
    if (!decoded) {
      this.#chunks = [all];
      return undefined;
    }
    const rest = all.subarray(decoded.bytesRead);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#take(decoded.bytesRead);
    return decoded.message;
  }

  /**
   * Waits for the next whole control message, for at most `timeoutMs` in all (a header that
   * trickles in byte by byte still times out).
   * @throws {ProtocolError}/{LimitExceededError} from the decoder.
   * @throws {TimeoutError} `TCPUDP_ERR_TIMEOUT`; {ConnectionError} `TCPUDP_ERR_CLOSED` when the
   *   peer goes away first.
   */
  async message(timeoutMs: number, what: string): Promise<FileTransferMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const message = this.pendingMessage();
      if (message) return message;
      await this.#waitForData(deadline, timeoutMs, what);
    }
  }

  /**
   * Reads exactly `count` body bytes into `sink`, batching whatever arrived while the previous
   * batch was being written. The idle timer restarts with every chunk.
   * @throws {TimeoutError} after `idleTimeoutMs` without a byte; {ConnectionError} when the peer
   *   goes away first; whatever `sink` throws.
   */
  async body(count: number, sink: FileTransferSink, idleTimeoutMs: number): Promise<void> {
    let left = count;
    while (left > 0) {
      if (this.#buffered === 0) {
        await this.#waitForData(
          Date.now() + idleTimeoutMs,
          idleTimeoutMs,
          'the next bytes of the file body',
        );
        continue;
      }
      const batch: Buffer[] = [];
      while (left > 0 && this.#chunks.length > 0) {
        const chunk = this.#chunks[0] as Buffer;
        if (chunk.length <= left) {
          batch.push(chunk);
          this.#chunks.shift();
          left -= chunk.length;
        } else {
          batch.push(chunk.subarray(0, left));
          this.#chunks[0] = chunk.subarray(left);
          left = 0;
        }
      }
      this.#take(batch.reduce((sum, b) => sum + b.length, 0));
      await sink(batch);
    }
  }

  #take(bytes: number): void {
    this.#buffered -= bytes;
    if (this.#buffered < this.#highWaterMark && this.#socket.isPaused() && !this.#ended) {
      this.#socket.resume();
    }
  }

  async #waitForData(deadline: number, timeoutMs: number, what: string): Promise<void> {
    if (this.#ended) {
      throw new ConnectionError(
        'TCPUDP_ERR_CLOSED',
        `the peer closed the connection while we waited for ${what}`,
        this.#error ? { cause: this.#error } : undefined,
      );
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new TimeoutError(
        'TCPUDP_ERR_TIMEOUT',
        `${what} did not arrive within ${timeoutMs} ms`,
        timeoutMs,
      );
    }
    if (this.#socket.isPaused()) this.#socket.resume();
    const woken = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), left);
      this.#wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
    this.#wake = undefined;
    if (!woken) {
      throw new TimeoutError(
        'TCPUDP_ERR_TIMEOUT',
        `${what} did not arrive within ${timeoutMs} ms`,
        timeoutMs,
      );
    }
  }
}
