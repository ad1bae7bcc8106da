/**
 * Reads the file-transfer protocol from a socket: whole control messages, or exactly N raw body
 * bytes handed to a sink in batches. Memory is bounded: past `highWaterMark` buffered bytes (or
 * when a budget shared with other streams is spent) the socket is paused (TCP's window then
 * slows the peer down) until the sink has caught up. A body can be held to a minimum rate.
 */

import type { Socket } from 'node:net';
import { ConnectionError, TimeoutError } from '../errors.ts';
import type { BufferBudget } from './buffer-budget.ts';
import { decodeFileTransferMessage } from './codec.ts';
import type { FileTransferMessage } from './protocol.ts';

/** Where body bytes go: called with one batch at a time, never again before it resolves. */
export type FileTransferSink = (chunks: Buffer[]) => Promise<void>;

/** How slowly a body may arrive; see {@link FileTransferStream.body}. */
export interface BodyPace {
  /** After a body byte, how long until the next one at most. */
  idleTimeoutMs: number;
  /** The least average rate over each window, in bytes per second; 0: none. */
  minBytesPerSecond?: number;
  /** The window the rate is averaged over. */
  rateWindowMs?: number;
}

/** A socket read as file-transfer messages and bodies. One per connection. */
export class FileTransferStream {
  readonly #socket: Socket;
  readonly #highWaterMark: number;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;
  readonly #budget: BufferBudget | undefined;
  #cancelWait: (() => void) | undefined;
  /** Counts the times this stream paused its socket, so a rate window spans no pause of ours. */
  #pauses = 0;
  /** Bytes read from the socket so far. */
  bytesReceived = 0;

  /**
   * @param budget - Shared with the other sessions of a receiver: bytes buffered in all.
   */
  constructor(socket: Socket, highWaterMark = 4 * 1024 * 1024, budget?: BufferBudget) {
    this.#socket = socket;
    this.#highWaterMark = highWaterMark;
    this.#budget = budget;
    socket.on('data', (chunk: Buffer) => {
      this.bytesReceived += chunk.length;
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      this.#budget?.add(chunk.length);
      if (this.#buffered >= this.#highWaterMark || this.#budget?.full) {
        this.#pause();
        this.#maybeResume(); // registers for room in the budget when that is what it waits for
      }
      this.#wake?.();
    });
    const stop = (): void => {
      if (!this.#ended) {
        // What is left buffered is never read: give it back to the shared budget now.
        this.#budget?.release(this.#buffered);
        this.#cancelWait?.();
      }
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
   * batch was being written. The idle timer restarts with every chunk; the rate is judged at the
   * end of each `rateWindowMs` (one byte now and then restarts an idle timer, not a rate window),
   * and a window in which this stream paused its socket itself is not judged.
   * @throws {TimeoutError} after `idleTimeoutMs` without a byte, or a window under
   *   `minBytesPerSecond`; {ConnectionError} when the peer goes away first; whatever `sink` throws.
   */
  async body(count: number, sink: FileTransferSink, pace: BodyPace): Promise<void> {
    const { idleTimeoutMs, minBytesPerSecond = 0, rateWindowMs = 0 } = pace;
    const judged = minBytesPerSecond > 0 && rateWindowMs > 0;
    let windowStart = Date.now();
    let windowReceived = this.bytesReceived;
    let windowPauses = this.#pauses;
    const judge = (): void => {
      const now = Date.now();
      const elapsed = now - windowStart;
      if (!judged || elapsed < rateWindowMs) return;
      const rate = ((this.bytesReceived - windowReceived) * 1000) / elapsed;
      if (rate < minBytesPerSecond && windowPauses === this.#pauses && !this.#socket.isPaused()) {
        throw new TimeoutError(
          'TCPUDP_ERR_TIMEOUT',
          `the file body arrived at ${Math.floor(rate)} B/s over ${elapsed} ms, under this receiver's minimum of ${minBytesPerSecond} B/s`,
          rateWindowMs,
        );
      }
      windowStart = now;
      windowReceived = this.bytesReceived;
      windowPauses = this.#pauses;
    };
    let left = count;
    let seen = this.bytesReceived;
    let idleEnd = Date.now() + idleTimeoutMs;
    while (left > 0) {
      judge();
      if (this.#buffered === 0) {
        if (this.bytesReceived !== seen) {
          seen = this.bytesReceived;
          idleEnd = Date.now() + idleTimeoutMs;
        }
        const end = judged ? Math.min(idleEnd, windowStart + rateWindowMs) : idleEnd;
        await this.#waitForData(end, idleTimeoutMs, 'the next bytes of the file body', idleEnd);
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

  #pause(): void {
    if (this.#socket.isPaused()) return;
    this.#pauses += 1;
    this.#socket.pause();
  }

  /** Resumes reading if this stream's own buffer and the shared budget allow it. */
  #maybeResume(): void {
    if (this.#ended || !this.#socket.isPaused()) return;
    if (this.#buffered >= this.#highWaterMark) return;
    // A stream holding nothing may always read: the budget never starves a session.
    if (this.#buffered > 0 && this.#budget?.full) {
      this.#cancelWait ??= this.#budget.whenRoom(() => {
        this.#cancelWait = undefined;
        this.#maybeResume();
      });
      return;
    }
    this.#socket.resume();
  }

  #take(bytes: number): void {
    this.#buffered -= bytes;
    if (!this.#ended) this.#budget?.release(bytes);
    this.#maybeResume();
  }

  async #waitForData(
    deadline: number,
    timeoutMs: number,
    what: string,
    timeoutAt = deadline,
  ): Promise<void> {
    if (this.#ended) {
      throw new ConnectionError(
        'TCPUDP_ERR_CLOSED',
        `the peer closed the connection while we waited for ${what}`,
        this.#error ? { cause: this.#error } : undefined,
      );
    }
    const left = deadline - Date.now();
    if (left <= 0 && Date.now() >= timeoutAt) {
      throw new TimeoutError(
        'TCPUDP_ERR_TIMEOUT',
        `${what} did not arrive within ${timeoutMs} ms`,
        timeoutMs,
      );
    }
    if (left <= 0) return; // an earlier deadline than the timeout's: the caller looks again
    if (this.#socket.isPaused()) this.#socket.resume();
    const woken = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), left);
      this.#wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
    this.#wake = undefined;
    if (!woken && Date.now() >= timeoutAt) {
      throw new TimeoutError(
        'TCPUDP_ERR_TIMEOUT',
        `${what} did not arrive within ${timeoutMs} ms`,
        timeoutMs,
      );
    }
  }
}
