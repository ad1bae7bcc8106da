/**
 * Newline-delimited framing: each payload is followed by `\n`, and a `\r` just before the `\n` is
 * dropped, so lines typed into `nc` or sent by a CRLF protocol decode the same. Payloads are bytes
 * (any bytes but `\n`); {@link decodeLineText} and {@link encodeLineText} convert to and from UTF-8
 * text. A delimiter needs no header, is readable by a person, and is what `nc` speaks; it cannot
 * carry the delimiter itself, and the reader cannot know a line's length until it ends.
 */
import { ProtocolError } from '../errors.ts';
import { asBuffer, checkMaxFrameBytes, frameTooLarge, PendingBytes } from './buffer.ts';
import type { FrameCodec, FrameCodecOptions, FrameDecoder } from './codec.ts';

/** Default `maxFrameBytes` of {@link lineCodec}: 64 KiB per line. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const NEWLINE = Buffer.from([LF]);
const CRLF = Buffer.from([CR, LF]);

class LineDecoder implements FrameDecoder {
  private readonly pending = new PendingBytes();
  private failed: unknown;

  constructor(private readonly maxFrameBytes: number) {}

  get bufferedBytes(): number {
    return this.pending.length;
  }

  push(chunk: Uint8Array, lines: Buffer[] = []): Buffer[] {
    if (this.failed !== undefined) throw this.failed;
    const data = asBuffer(chunk);
    try {
      let from = 0;
      for (let newline = data.indexOf(LF, from); newline >= 0; newline = data.indexOf(LF, from)) {
        const raw = this.pending.length + (newline - from);
        const last = newline > from ? data[newline - 1] : this.pending.lastByte();
        const length = last === CR ? raw - 1 : raw;
        if (length > this.maxFrameBytes) {
          throw frameTooLarge('line', length, this.maxFrameBytes, 'buffered');
        }
        const line = this.pending.take(data.subarray(from, newline));
        lines.push(last === CR ? line.subarray(0, length) : line);
        from = newline + 1;
      }
      // A line still arriving: refuse it as soon as it cannot fit any more (one byte of slack
      // for a `\r` that the coming `\n` would strip).
      const rest = this.pending.length + (data.length - from);
      const last = data.length > from ? data[data.length - 1] : this.pending.lastByte();
      if (rest > this.maxFrameBytes + 1 || (rest === this.maxFrameBytes + 1 && last !== CR)) {
        throw frameTooLarge('line', rest, this.maxFrameBytes, 'buffered');
      }
      this.pending.add(data.subarray(from));
    } catch (err) {
      this.failed = err;
      throw err;
    }
    return lines;
  }

  end(): void {
    if (this.failed !== undefined) throw this.failed;
    if (this.pending.length === 0) return;
    this.failed = new ProtocolError(
      'TCPUDP_ERR_TRUNCATED',
      `line framing: the stream ended with ${this.pending.length} bytes after the last newline (a line with no \\n)`,
    );
    throw this.failed;
  }
}

/**
 * Newline-delimited framing. Decoding splits on `\n` and strips one `\r` before it; encoding
 * appends `\n` (or `\r\n` when the payload itself ends with `\r`, so that it decodes back to
 * itself) and refuses a payload that contains `\n`. A stream that ends after an unterminated
 * line is truncated.
 *
 * @param options - `maxFrameBytes`: the longest line, without its `\r\n` (@default 64 KiB).
 * @throws {RangeError} when `maxFrameBytes` is not a safe non-negative integer.
 * @see RFC 5234 appendix B.1 (CRLF); RFC 3977 §3.1 (a line protocol that strips the CR the same way)
 * @example
 * ```ts
 * const decoder = lineCodec().createDecoder();
 * decoder.push(Buffer.from('hel')); // []
 * decoder.push(Buffer.from('lo\r\nbye\n')).map(decodeLineText); // ['hello', 'bye']
 * ```
 */
export function lineCodec(options: FrameCodecOptions = {}): FrameCodec {
  const max = checkMaxFrameBytes(
    options.maxFrameBytes,
    DEFAULT_MAX_LINE_BYTES,
    Number.MAX_SAFE_INTEGER - 1,
  );
  const encodeParts = (payload: Uint8Array): Uint8Array[] => {
    if (payload.length > max) throw frameTooLarge('line', payload.length, max, 'encoding');
    const newline = payload.indexOf(LF);
    if (newline >= 0) {
      throw new ProtocolError(
        'TCPUDP_ERR_MALFORMED',
        `line framing: cannot encode a payload containing \\n (at byte ${newline}); use a length prefix for binary data`,
      );
    }
    // The reader strips one `\r`: a payload ending with its own `\r` gets another.
    return [payload, payload[payload.length - 1] === CR ? CRLF : NEWLINE];
  };
  return {
    name: 'line',
    maxFrameBytes: max,
    encodeParts,
    encode: (payload) => Buffer.concat(encodeParts(payload)),
    createDecoder: () => new LineDecoder(max),
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A line's payload as text, checked to be valid UTF-8.
 * @throws {ProtocolError} `TCPUDP_ERR_MALFORMED` when the bytes are not valid UTF-8.
 * @example
 * ```ts
 * decodeLineText(Buffer.from('héllo')); // 'héllo'
 * ```
 */
export function decodeLineText(line: Uint8Array): string {
  try {
    return utf8.decode(line);
  } catch (err) {
    throw new ProtocolError('TCPUDP_ERR_MALFORMED', 'line framing: a line is not valid UTF-8', {
      cause: err,
    });
  }
}

/**
 * Text as a line payload (UTF-8 bytes, without the `\n`, which the codec adds).
 * @throws {ProtocolError} `TCPUDP_ERR_MALFORMED` when the text contains `\n`.
 * @example
 * ```ts
 * await framed.send(encodeLineText('hello'));
 * ```
 */
export function encodeLineText(text: string): Buffer {
  if (text.includes('\n')) {
    throw new ProtocolError(
      'TCPUDP_ERR_MALFORMED',
      'line framing: text for one line must not contain \\n',
    );
  }
  return Buffer.from(text, 'utf8');
}
