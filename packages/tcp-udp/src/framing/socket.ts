/**
 * FramedSocket: a connected stream socket (TCP or a Unix socket path, the same class) turned into
 * a channel of whole messages with a {@link FrameCodec}. The I/O edge of framing: it feeds
 * received chunks to a decoder, queues frames for an async iterator, pauses the socket when the
 * consumer falls behind, and waits for `'drain'` when the kernel buffer is full.
 */
import net from 'node:net';
import { checkInteger, TIMER_MAX_MS } from '@socketlab/internal';
import { ConnectionError } from '../errors.ts';
import { formatTcpPeer, whenConnected } from '../tcp/index.ts';
import type { FrameCodec, FrameDecoder } from './codec.ts';
import { lengthPrefixCodec } from './length-prefix.ts';

/** Options of {@link FramedSocket} and {@link connectFramed}. */
export interface FramedSocketOptions {
  /** How frames are cut. @default lengthPrefixCodec() (u32 big-endian length, 16 MiB max) */
  codec?: FrameCodec;
  /**
   * Received frames kept while nobody reads them; past this the socket is paused (the kernel
   * buffer then fills and TCP flow control slows the sender) until the consumer catches up.
   * One chunk's frames are always queued, so the queue may pass this by one chunk.
   * @default 1024
   */
  maxBufferedFrames?: number;
  /** As `maxBufferedFrames`, counted in payload bytes. @default 1 MiB */
  maxBufferedBytes?: number;
}

/** Where {@link connectFramed} connects: a TCP host and port, or a Unix socket path. */
export type FramedTarget = { host: string; port: number } | { path: string };

/** Options of {@link connectFramed}. */
export interface ConnectFramedOptions extends FramedSocketOptions {
  /** How long the connection may take. @default 10000 */
  connectTimeoutMs?: number;
}

const DEFAULT_MAX_BUFFERED_FRAMES = 1024;
const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;

type Waiter = { resolve: (r: IteratorResult<Buffer>) => void; reject: (e: unknown) => void };

/**
 * A message channel over a connected stream socket.
 *
 * - `for await (const frame of framed)` yields each received payload; the loop ends at the peer's
 *   graceful end (FIN) and throws the typed error on a bad frame, a truncated stream or a socket
 *   error. Frames received before the failure are yielded first.
 * - {@link FramedSocket.send} encodes one payload and honours backpressure.
 * - A bad frame (malformed, too large, truncated) destroys this connection, and only this one.
 *
 * Give it a socket created with `allowHalfOpen: true` (as {@link connectFramed} does) if you want
 * to keep sending after the peer has ended its side; otherwise Node ends your side for you.
 *
 * @throws {RangeError} synchronously for an option out of range; {TypeError} for one that is
 *   not an integer.
 * @example
 * ```ts
 * const framed = await connectFramed({ host: '127.0.0.1', port }, { codec: lineCodec() });
 * await framed.send(encodeLineText('hello'));
 * for await (const frame of framed) console.log(decodeLineText(frame));
 * ```
 */
export class FramedSocket implements AsyncIterable<Buffer> {
  /** The codec frames are cut with. */
  readonly codec: FrameCodec;
  /**
   * Settles once the socket has closed: with the error that ended it, or `undefined` after a clean
   * close. Never rejects, so awaiting it is always safe.
   */
  readonly closed: Promise<Error | undefined>;

  private readonly decoder: FrameDecoder;
  private readonly maxFrames: number;
  private readonly maxBytes: number;
  private readonly queue: Buffer[] = [];
  private queueHead = 0;
  private queuedBytes = 0;
  private readonly waiters: Waiter[] = [];
  private readonly drainWaiters = new Set<{ resolve: () => void; reject: (e: unknown) => void }>();
  private ended = false;
  private error: Error | undefined;
  private isClosed = false;

  /**
   * @param socket - A connected (or connecting) `net.Socket`, TCP or Unix. The FramedSocket takes
   *   its `'data'` events: do not read from it yourself.
   * @param options - The codec and the incoming buffer bounds.
   */
  constructor(
    readonly socket: net.Socket,
    options: FramedSocketOptions = {},
  ) {
    this.codec = options.codec ?? lengthPrefixCodec();
    this.maxFrames = checkInteger(
      'maxBufferedFrames',
      options.maxBufferedFrames ?? DEFAULT_MAX_BUFFERED_FRAMES,
      1,
    );
    this.maxBytes = checkInteger(
      'maxBufferedBytes',
      options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
      1,
    );
    this.decoder = this.codec.createDecoder();
    let settleClosed: (err: Error | undefined) => void = () => {};
    this.closed = new Promise((resolve) => {
      settleClosed = resolve;
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('error', (err) => this.fail(this.wrapSocketError(err)));
    socket.on('drain', () => this.settleDrain());
    socket.on('close', () => {
      this.isClosed = true;
      if (!this.ended && this.error === undefined) {
        // Closed without FIN or error: destroyed by its owner. Nothing more will arrive.
        this.ended = true;
      }
      this.settleDrain(this.closedError());
      this.wake();
      settleClosed(this.error);
    });
  }

  /** Bytes received and not yet part of a complete frame. */
  get bufferedBytes(): number {
    return this.decoder.bufferedBytes;
  }

  /** Frames received and not yet read. */
  get bufferedFrames(): number {
    return this.queue.length - this.queueHead;
  }

  /**
   * Encodes and writes one payload. Resolves at once when the socket accepted it under its
   * high-water mark, or after `'drain'` when `write()` returned false, so awaiting each `send`
   * keeps memory bounded against a slow reader.
   * @throws {LimitExceededError} `TCPUDP_ERR_FRAME_TOO_LARGE` (rejects) when the payload is over
   *   the codec's `maxFrameBytes`; nothing is written.
   * @throws {ProtocolError} `TCPUDP_ERR_MALFORMED` (rejects) when the codec cannot carry the
   *   payload (a `\n` in a line).
   * @throws {ConnectionError} `TCPUDP_ERR_CLOSED` (rejects) when the socket is closed, ended, or
   *   closes before the data drains.
   */
  send(payload: Uint8Array): Promise<void> {
    if (this.isClosed || this.socket.destroyed || this.socket.writableEnded) {
      return Promise.reject(this.closedError());
    }
    let parts: Uint8Array[];
    try {
      parts = this.codec.encodeParts(payload);
    } catch (err) {
      return Promise.reject(err);
    }
    let ok = true;
    if (parts.length === 1) {
      ok = this.socket.write(parts[0] as Uint8Array);
    } else {
      this.socket.cork();
      for (const part of parts) ok = this.socket.write(part);
      this.socket.uncork();
    }
    if (ok) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: () => {
          this.drainWaiters.delete(waiter);
          resolve();
        },
        reject: (err: unknown) => {
          this.drainWaiters.delete(waiter);
          reject(err);
        },
      };
      this.drainWaiters.add(waiter);
    });
  }

  /**
   * The next frame, or `undefined` once the peer has ended cleanly: for request/response code
   * that reads one frame at a time. Same errors as iteration.
   */
  async read(): Promise<Buffer | undefined> {
    const result = await this.next();
    return result.done ? undefined : result.value;
  }

  /**
   * Ends our side gracefully (sends FIN after everything queued is written). Reading goes on until
   * the peer ends too. Resolves when our side is flushed, or when the socket closes.
   */
  end(): Promise<void> {
    return new Promise((resolve) => {
      if (this.isClosed || this.socket.writableFinished) return resolve();
      this.socket.once('finish', () => resolve());
      this.closed.then(() => resolve());
      if (!this.socket.writableEnded) this.socket.end();
    });
  }

  /**
   * Closes at once, discarding anything unsent. With `err`, iteration and pending reads throw
   * it; without, iteration ends. Pending sends reject with `TCPUDP_ERR_CLOSED`.
   */
  destroy(err?: Error): void {
    if (err !== undefined && this.error === undefined) this.error = err;
    this.ended = true;
    this.socket.destroy();
    this.wake();
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    return {
      next: () => this.next(),
      return: async () => {
        // The consumer stopped early: nothing will read further frames.
        if (!this.isClosed) this.destroy();
        return { done: true, value: undefined };
      },
    };
  }

  private next(): Promise<IteratorResult<Buffer>> {
    const frame = this.shift();
    if (frame !== undefined) return Promise.resolve({ done: false, value: frame });
    if (this.error !== undefined) return Promise.reject(this.error);
    if (this.ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private shift(): Buffer | undefined {
    if (this.queueHead >= this.queue.length) return undefined;
    const frame = this.queue[this.queueHead] as Buffer;
    this.queue[this.queueHead++] = undefined as unknown as Buffer;
    this.queuedBytes -= frame.length;
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    }
    if (
      this.socket.isPaused() &&
      !this.ended &&
      this.bufferedFrames < this.maxFrames &&
      this.queuedBytes < this.maxBytes
    ) {
      this.socket.resume();
    }
    return frame;
  }

  private onData(chunk: Buffer): void {
    if (this.error !== undefined) return;
    const frames: Buffer[] = [];
    let failure: Error | undefined;
    try {
      this.decoder.push(chunk, frames);
    } catch (err) {
      failure = err as Error;
    }
    // Frames before a bad one are delivered first, whatever the chunking.
    for (const frame of frames) {
      const waiter = this.waiters.shift();
      if (waiter !== undefined) {
        waiter.resolve({ done: false, value: frame });
      } else {
        this.queue.push(frame);
        this.queuedBytes += frame.length;
      }
    }
    if (failure !== undefined) {
      this.fail(failure);
      return;
    }
    if (this.bufferedFrames >= this.maxFrames || this.queuedBytes >= this.maxBytes) {
      this.socket.pause();
    }
  }

  private onEnd(): void {
    try {
      this.decoder.end();
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    this.ended = true;
    this.wake();
  }

  /** Records the first error, drops the connection, and wakes every waiting reader. */
  private fail(err: Error): void {
    if (this.error === undefined) this.error = err;
    this.ended = true;
    this.socket.destroy();
    this.wake();
  }

  /** Settles waiting readers once the queue is empty and the stream is over. */
  private wake(): void {
    if (!this.ended || this.bufferedFrames > 0) return;
    for (const waiter of this.waiters.splice(0)) {
      if (this.error !== undefined) waiter.reject(this.error);
      else waiter.resolve({ done: true, value: undefined });
    }
  }

  private settleDrain(err?: Error): void {
    for (const waiter of [...this.drainWaiters]) {
      if (err === undefined) waiter.resolve();
      else waiter.reject(err);
    }
  }

  private closedError(): ConnectionError {
    return new ConnectionError(
      'TCPUDP_ERR_CLOSED',
      `${describePeer(this.socket)}: the connection is closed`,
      this.error === undefined ? undefined : { cause: this.error },
    );
  }

  private wrapSocketError(err: Error): ConnectionError {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
    return new ConnectionError(
      'TCPUDP_ERR_CONNECTION',
      `${describePeer(this.socket)}: the connection broke (${code})`,
      { cause: err },
    );
  }
}

function describePeer(socket: net.Socket): string {
  if (socket.remoteAddress !== undefined) {
    return formatTcpPeer(socket.remoteAddress, socket.remotePort);
  }
  return 'peer';
}

/**
 * Connects to a TCP address or a Unix socket path and wraps the socket in a {@link FramedSocket}
 * (created with `allowHalfOpen: true`, so you may keep sending after the peer ends).
 *
 * @param target - `{ host, port }` for TCP or `{ path }` for a Unix socket.
 * @param options - The FramedSocket options and `connectTimeoutMs` (@default 10000).
 * @throws {ConnectionError} `TCPUDP_ERR_CONNECTION` (rejects) when the connection is refused or fails.
 * @throws {TimeoutError} `TCPUDP_ERR_TIMEOUT` (rejects) when it takes longer than `connectTimeoutMs`.
 * @throws {RangeError}/{TypeError} (synchronously) for bad options, as `checkInteger`.
 * @example
 * ```ts
 * const framed = await connectFramed({ path: '/tmp/app.sock' }, { codec: varintCodec() });
 * await framed.send(Buffer.from('ping'));
 * const reply = await framed.read();
 * ```
 */
export function connectFramed(
  target: FramedTarget,
  options: ConnectFramedOptions = {},
): Promise<FramedSocket> {
  const timeoutMs = checkInteger(
    'connectTimeoutMs',
    options.connectTimeoutMs ?? 10_000,
    1,
    TIMER_MAX_MS,
  );
  const where = 'path' in target ? target.path : `${target.host}:${target.port}`;
  return new Promise((resolve, reject) => {
    const socket =
      'path' in target
        ? net.connect({ path: target.path, allowHalfOpen: true })
        : net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
    let framed: FramedSocket;
    try {
      framed = new FramedSocket(socket, options);
    } catch (err) {
      socket.destroy();
      reject(err);
      return;
    }
    resolve(whenConnected(socket, where, timeoutMs, (err) => err.message).then(() => framed));
  });
}
