/**
 * permessage-deflate's payload transformation (RFC 7692 §7.2) for one connection: one raw
 * DEFLATE stream each way, kept between messages (context takeover) or reset after each one, as
 * negotiated. Inflating stops as soon as a message passes its size limit.
 */
import zlib from 'node:zlib';
import { WebSocketError } from '../errors.ts';
import type { DeflateAgreement, ResolvedDeflateOptions } from './permessage-deflate.ts';

/** The 4 octets a sync flush ends with, which the sender strips and the receiver appends. @see RFC 7692 §7.2.1 */
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** zlib output chunks: small enough that a bomb is caught after little output. */
const CHUNK_BYTES = 16 * 1024;

/** Calls that a zlib stream runs one after another. */
type Job<T> = () => Promise<T>;

/**
 * The compression state of one connection, either role.
 *
 * - `deflate(message)` compresses one whole message: writes it, sync-flushes, strips the final
 *   `00 00 ff ff` and, without context takeover on our side, resets the compressor.
 * - `inflate(fragment, fin)` decompresses the next fragment of a compressed message, appending
 *   `00 00 ff ff` after the last one; it rejects with `WEBSOCKET_ERR_MESSAGE_TOO_BIG` (1009) as
 *   soon as the message's inflated bytes pass `maxMessageBytes`, without producing the rest, and
 *   with `WEBSOCKET_ERR_COMPRESSION` (1007) for data that is not valid DEFLATE.
 *
 * Calls of each kind are queued and run in order. After an error the context is unusable.
 * Memory kept per connection: the deflater's window and hash table (2^(windowBits+2) +
 * 2^(memLevel+9) bytes, 256 KiB with the defaults) and the inflater's window (2^windowBits,
 * 32 KiB), each allocated at its first use; `close()` frees them.
 *
 * @see RFC 7692 §7.2
 * @example
 * ```ts
 * const agreement = { serverNoContextTakeover: false, clientNoContextTakeover: false,
 *   serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
 * const settings = { threshold: 1024, level: 6, memLevel: 8 };
 * const server = new DeflateContext(agreement, 'server', settings, 16 * 1024 * 1024);
 * const client = new DeflateContext(agreement, 'client', settings, 16 * 1024 * 1024);
 * const payload = await server.deflate(Buffer.from('hello hello hello')); // send with RSV1
 * (await client.inflate(payload, true)).toString(); // 'hello hello hello'
 * server.close();
 * client.close();
 * ```
 */
export class DeflateContext {
  /** Messages shorter than this are sent uncompressed. */
  readonly threshold: number;
  private readonly deflateNoContext: boolean;
  private readonly inflateNoContext: boolean;
  private readonly deflateBits: number;
  private readonly inflateBits: number;
  private readonly level: number;
  private readonly memLevel: number;
  private deflater: zlib.DeflateRaw | undefined;
  private inflater: zlib.InflateRaw | undefined;
  private deflateQueue: Promise<unknown> = Promise.resolve();
  private inflateQueue: Promise<unknown> = Promise.resolve();
  /** The inflater's DEFLATE stream has ended (a block with BFINAL set): the next message needs a new one. */
  private inflaterEnded = false;
  /** Bytes written to the inflater since it was made (its `bytesWritten` counts those it read). */
  private inflaterInputBytes = 0;
  /** Inflated bytes of the message in progress. */
  private inflatedBytes = 0;
  /** Compressed bytes of the message in progress. */
  private compressedBytes = 0;
  private closed = false;

  /**
   * @param agreement - what was negotiated.
   * @param role - which end this is: it decides which half of the agreement applies to sending.
   * @param options - threshold, level and memLevel.
   * @param maxMessageBytes - the largest inflated message accepted.
   */
  constructor(
    agreement: DeflateAgreement,
    role: 'server' | 'client',
    options: Pick<ResolvedDeflateOptions, 'threshold' | 'level' | 'memLevel'>,
    private readonly maxMessageBytes: number,
  ) {
    const server = role === 'server';
    this.threshold = options.threshold;
    this.level = options.level;
    this.memLevel = options.memLevel;
    this.deflateNoContext = server
      ? agreement.serverNoContextTakeover
      : agreement.clientNoContextTakeover;
    this.inflateNoContext = server
      ? agreement.clientNoContextTakeover
      : agreement.serverNoContextTakeover;
    // zlib refuses a raw window of 8; 9 is what it used for 8 before (and what Node passes).
    this.deflateBits = Math.max(
      9,
      server ? agreement.serverMaxWindowBits : agreement.clientMaxWindowBits,
    );
    // An inflater's window must be at least the sender's: 9 reads a stream written with 8.
    this.inflateBits = Math.max(
      9,
      server ? agreement.clientMaxWindowBits : agreement.serverMaxWindowBits,
    );
  }

  /**
   * Compresses one whole message.
   * @returns the payload to send with RSV1 set.
   * @throws {WebSocketError} `WEBSOCKET_ERR_COMPRESSION` (1011) if zlib fails, or once closed.
   */
  deflate(message: Uint8Array): Promise<Buffer> {
    return this.enqueueDeflate(async () => {
      const deflater = this.deflaterNow();
      const chunks: Buffer[] = [];
      let total = 0;
      const onData = (chunk: Buffer): void => {
        chunks.push(chunk);
        total += chunk.length;
      };
      deflater.on('data', onData);
      try {
        deflater.write(message);
        await flush(deflater, 'deflate');
      } finally {
        deflater.off('data', onData);
      }
      const out = Buffer.concat(chunks, total);
      if (this.deflateNoContext) deflater.reset();
      // A sync flush ends with an empty stored block, 00 00 ff ff: the receiver puts it back.
      return out.length >= 4 && out.subarray(out.length - 4).equals(TAIL)
        ? out.subarray(0, out.length - 4)
        : out;
    });
  }

  /**
   * Decompresses the next fragment of a compressed message (the first one had RSV1 set).
   * @param fragment - the frame's payload as received.
   * @param fin - this is the message's last frame.
   * @returns the inflated bytes of this fragment.
   * @throws {WebSocketError} `WEBSOCKET_ERR_MESSAGE_TOO_BIG` (1009) once the message passes
   *   `maxMessageBytes`; `WEBSOCKET_ERR_COMPRESSION` (1007) for data that is not DEFLATE.
   */
  inflate(fragment: Buffer, fin: boolean): Promise<Buffer> {
    return this.enqueueInflate(async () => {
      this.compressedBytes += fragment.length;
      // An empty message may arrive as an empty payload: there is nothing to inflate.
      const ends = fin && this.compressedBytes > 0;
      const input =
        fragment.length === 0 && !ends
          ? undefined
          : ends
            ? fragment.length === 0
              ? TAIL
              : Buffer.concat([fragment, TAIL])
            : fragment;
      let out: Buffer = Buffer.alloc(0);
      if (input !== undefined) out = await this.runInflate(input);
      if (this.inflaterEnded) {
        // A final block ended the DEFLATE stream: all that may follow it is our own tail. More
        // (the rest of the message) could not be inflated, and dropping it would lose data.
        const unread = this.inflaterInputBytes - (this.inflater?.bytesWritten ?? 0);
        if (unread > (fin ? TAIL.length : 0)) {
          throw new WebSocketError(
            'WEBSOCKET_ERR_COMPRESSION',
            `a compressed message goes on for ${unread - (fin ? TAIL.length : 0)} bytes after the end of its DEFLATE stream (a block with BFINAL set)`,
            { closeCode: 1007 },
          );
        }
      }
      if (fin) {
        this.inflatedBytes = 0;
        this.compressedBytes = 0;
        if (this.inflaterEnded) {
          // RFC 7692 §7.2.3.4: a sender may end a message with a final block (BFINAL set)
          // instead of an empty stored one; the next message is then a new DEFLATE stream.
          this.inflater?.close();
          this.inflater = undefined;
          this.inflaterEnded = false;
          this.inflaterInputBytes = 0;
        } else if (this.inflateNoContext) this.inflater?.reset();
      }
      return out;
    });
  }

  /** Frees both zlib streams; later calls reject. */
  close(): void {
    this.closed = true;
    this.deflater?.close();
    this.inflater?.close();
    this.deflater = undefined;
    this.inflater = undefined;
  }

  private async runInflate(input: Buffer): Promise<Buffer> {
    const inflater = this.inflaterNow();
    const chunks: Buffer[] = [];
    let total = 0;
    let tooBig: WebSocketError | undefined;
    let failed: (err: Error) => void = () => {};
    const failure = new Promise<never>((_, reject) => {
      failed = reject;
    });
    failure.catch(() => {});
    const onData = (chunk: Buffer): void => {
      if (tooBig !== undefined) return;
      this.inflatedBytes += chunk.length;
      if (this.inflatedBytes > this.maxMessageBytes) {
        tooBig = new WebSocketError(
          'WEBSOCKET_ERR_MESSAGE_TOO_BIG',
          `a compressed message inflates past maxMessageBytes (${this.maxMessageBytes}); inflating stopped at ${this.inflatedBytes} bytes`,
          { closeCode: 1009 },
        );
        // Stop zlib at once: no more output is made for this message, or for this connection.
        this.close();
        failed(tooBig);
        return;
      }
      chunks.push(chunk);
      total += chunk.length;
    };
    // zlib ends its readable side when the input holds more after a final block (our tail of
    // 00 00 ff ff always does); its 'end' comes before the flush's callback.
    const onEnd = (): void => {
      this.inflaterEnded = true;
    };
    inflater.on('data', onData);
    inflater.once('end', onEnd);
    try {
      this.inflaterInputBytes += input.length;
      inflater.write(input);
      await Promise.race([flush(inflater, 'inflate'), failure]);
    } finally {
      inflater.off('data', onData);
      inflater.off('end', onEnd);
    }
    if (tooBig !== undefined) throw tooBig;
    return Buffer.concat(chunks, total);
  }

  private deflaterNow(): zlib.DeflateRaw {
    if (this.closed) throw closedError();
    this.deflater ??= withErrorSink(
      zlib.createDeflateRaw({
        windowBits: this.deflateBits,
        level: this.level,
        memLevel: this.memLevel,
        chunkSize: CHUNK_BYTES,
      }),
    );
    return this.deflater;
  }

  private inflaterNow(): zlib.InflateRaw {
    if (this.closed) throw closedError();
    if (this.inflater?.readableEnded) {
      // Ended by a final block whose 'end' came late: the next message is a new DEFLATE stream.
      this.inflater.close();
      this.inflater = undefined;
      this.inflaterInputBytes = 0;
    }
    this.inflater ??= withErrorSink(
      zlib.createInflateRaw({ windowBits: this.inflateBits, chunkSize: CHUNK_BYTES }),
    );
    return this.inflater;
  }

  private enqueueDeflate<T>(job: Job<T>): Promise<T> {
    const run = this.deflateQueue.then(job);
    this.deflateQueue = run.catch(() => {});
    return run;
  }

  private enqueueInflate<T>(job: Job<T>): Promise<T> {
    const run = this.inflateQueue.then(job);
    this.inflateQueue = run.catch(() => {});
    return run;
  }
}

/** zlib reports bad input as `'error'`; {@link flush} turns it into a rejection. */
function withErrorSink<T extends zlib.DeflateRaw | zlib.InflateRaw>(stream: T): T {
  stream.on('error', () => {});
  return stream;
}

/**
 * Sync-flushes `stream` and resolves once every byte written so far has come out as `'data'`;
 * rejects if zlib fails (bad DEFLATE data) or the context is closed meanwhile.
 */
function flush(
  stream: zlib.DeflateRaw | zlib.InflateRaw,
  what: 'deflate' | 'inflate',
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(
        new WebSocketError(
          'WEBSOCKET_ERR_COMPRESSION',
          what === 'inflate'
            ? `a compressed message is not valid DEFLATE data: ${err.message}`
            : `compressing a message failed: ${err.message}`,
          { cause: err, closeCode: what === 'inflate' ? 1007 : 1011 },
        ),
      );
    };
    const onClose = (): void => reject(closedError());
    stream.once('error', onError);
    stream.once('close', onClose);
    stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      stream.off('error', onError);
      stream.off('close', onClose);
      resolve();
    });
  });
}

function closedError(): WebSocketError {
  return new WebSocketError(
    'WEBSOCKET_ERR_COMPRESSION',
    'the compression context is closed (the connection is closing)',
    { closeCode: 1011 },
  );
}
