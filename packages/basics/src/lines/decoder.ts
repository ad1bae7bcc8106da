/**
 * The line decoder: the one place the course decides what a line is. Stage 2's `lineCodec` and
 * its line chat are thin layers over it.
 *
 * The rule (the contract, for every way the stream is cut into chunks):
 * - `\n` (LF) ends a line. The line is the bytes before it, without the `\n`.
 * - One `\r` (CR) right before the `\n` is part of the line ending and dropped, so `nc`, telnet
 *   and CRLF protocols (SMTP, HTTP/1.1 headers) decode the same. A `\r` anywhere else — a lone
 *   one, or the first of `\r\r\n` — is data.
 * - `maxLineBytes` limits a line without its ending. A line is over the limit as soon as that is
 *   certain: when its `\n` arrives, or when more than `maxLineBytes` bytes are buffered (one more
 *   is allowed if it is a `\r`, which the coming `\n` may strip). From then on the decoder is in
 *   `overflow`: it returned the lines before the long one, and it ignores everything after.
 * - Bytes after the last `\n` when the stream ends are an unterminated line: `end()` returns
 *   them as they arrived (a final `\r` included), and the caller decides (a chat takes it as a
 *   last line, a strict framing calls it truncated).
 */
import { checkInteger } from '@socketlab/internal';

/** The byte that ends a line: `\n`. */
export const LINE_FEED = 0x0a;
/** The byte dropped when it comes right before the `\n`: `\r`. */
export const CARRIAGE_RETURN = 0x0d;

/**
 * The limit rule, shared by every splitter of this area: the length that counts against
 * `maxLineBytes` for a line (or the start of one) of `bytes` bytes, not counting a `\n`, whose
 * last byte is `lastByte`. A final `\r` does not count: it is, or may become, half of a `\r\n`.
 * So a line is over the limit exactly when `countedLineBytes(…) > maxLineBytes`, finished or not.
 * @internal
 */
export function countedLineBytes(bytes: number, lastByte: number | undefined): number {
  return lastByte === CARRIAGE_RETURN ? bytes - 1 : bytes;
}

/** Options of {@link createLineDecoder}. */
export interface LineDecoderOptions {
  /** The longest line, in bytes, without its `\n` or `\r\n`: a safe integer ≥ 0 (0 allows only empty lines). */
  readonly maxLineBytes: number;
}

/** An incremental, pure line decoder for one stream (see {@link createLineDecoder}). */
export interface LineDecoder {
  /**
   * Feeds the bytes that just arrived.
   * @param chunk - The bytes, in stream order. A line inside one chunk is returned as a view of
   *   it (no copy), so do not modify a chunk after pushing it.
   * @param into - Where to append the lines found (a new array when omitted).
   * @returns `into`, with the lines these bytes completed, in order, without their endings. In
   *   `overflow`, nothing more is appended.
   */
  push(chunk: Uint8Array, into?: Buffer[]): Buffer[];
  /**
   * Declares the end of the stream and returns the bytes after the last `\n` (an unterminated
   * last line, as it arrived), empty when the stream ended on a line ending or in `overflow`.
   */
  end(): Buffer;
  /** True once a line is known to be longer than `maxLineBytes` (the peer should be dropped). */
  readonly overflow: boolean;
  /** In `overflow`, how many bytes of the long line were seen (without a `\r\n`); else 0. */
  readonly overflowBytes: number;
  /** Bytes received that are not yet part of a complete line. */
  readonly bufferedBytes: number;
}

const EMPTY = Buffer.alloc(0);

class StreamLineDecoder implements LineDecoder {
  /** Views of the chunks holding the line under way; joined (one copy) when it ends. */
  readonly #parts: Buffer[] = [];
  #buffered = 0;
  #overflowBytes = 0;

  constructor(private readonly maxLineBytes: number) {}

  get overflow(): boolean {
    return this.#overflowBytes > 0;
  }

  get overflowBytes(): number {
    return this.#overflowBytes;
  }

  get bufferedBytes(): number {
    return this.#buffered;
  }

  push(chunk: Uint8Array, lines: Buffer[] = []): Buffer[] {
    if (this.overflow) return lines;
    const data = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let from = 0;
    for (
      let newline = data.indexOf(LINE_FEED);
      newline >= 0;
      newline = data.indexOf(LINE_FEED, from)
    ) {
      const raw = this.#buffered + (newline - from);
      const last = newline > from ? data[newline - 1] : this.#lastByte();
      const length = countedLineBytes(raw, last);
      if (length > this.maxLineBytes) return this.#overflowWith(length, lines);
      if (this.#buffered === 0) {
        lines.push(data.subarray(from, from + length)); // the whole line is in this chunk: a view
      } else {
        const line = this.#take(data.subarray(from, newline));
        lines.push(length === raw ? line : line.subarray(0, length));
      }
      from = newline + 1;
    }
    const rest = this.#buffered + (data.length - from);
    const last = data.length > from ? data[data.length - 1] : this.#lastByte();
    const counted = countedLineBytes(rest, last);
    if (counted > this.maxLineBytes) return this.#overflowWith(counted, lines);
    if (from < data.length) {
      this.#parts.push(data.subarray(from));
      this.#buffered = rest;
    }
    return lines;
  }

  end(): Buffer {
    return this.#take(EMPTY);
  }

  #overflowWith(bytes: number, lines: Buffer[]): Buffer[] {
    this.#overflowBytes = bytes;
    this.#take(EMPTY);
    return lines;
  }

  #lastByte(): number {
    const part = this.#parts[this.#parts.length - 1];
    return part === undefined ? -1 : (part[part.length - 1] ?? -1);
  }

  /** The buffered bytes followed by `tail`, as one buffer; empties the buffer. */
  #take(tail: Buffer): Buffer {
    const out =
      this.#parts.length === 0
        ? tail
        : Buffer.concat([...this.#parts, tail], this.#buffered + tail.length);
    this.#parts.length = 0;
    this.#buffered = 0;
    return out;
  }
}

/**
 * A decoder that cuts one byte stream into lines: `\n` ends a line and a `\r` right before it is
 * dropped; a line longer than `maxLineBytes` (without its ending) puts the decoder in `overflow`
 * as soon as that is certain. TCP delivers a stream, not messages, so a line may arrive in many
 * chunks and one chunk may hold many lines: the lines are the same for every way the bytes are
 * split. Pure: no I/O, no timers; one decoder per stream.
 *
 * @param options - `maxLineBytes`, the longest line without its `\n` or `\r\n`.
 * @returns A fresh decoder.
 * @throws {RangeError} when `maxLineBytes` is negative or unsafe; {TypeError} when it is not an
 *   integer.
 * @see RFC 5234 appendix B.1 (CRLF); RFC 3977 §3.1 (a line protocol that strips the CR the same way)
 * @example
 * ```ts
 * const decoder = createLineDecoder({ maxLineBytes: 1024 });
 * decoder.push(Buffer.from('hel')); // []
 * decoder.push(Buffer.from('lo\r\nbye\nxy')); // [<'hello'>, <'bye'>]
 * decoder.end(); // <'xy'>: a last line with no `\n`
 * ```
 */
export function createLineDecoder(options: LineDecoderOptions): LineDecoder {
  const { maxLineBytes } = options;
  checkInteger('maxLineBytes', maxLineBytes, 0);
  return new StreamLineDecoder(maxLineBytes);
}
