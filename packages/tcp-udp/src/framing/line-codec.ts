/**
 * Newline-delimited framing: each payload is followed by `\n`. Payloads are bytes (any bytes but
 * `\n`); {@link decodeLineText} and {@link encodeLineText} convert to and from UTF-8 text. A
 * delimiter needs no header, is readable by a person, and is what `nc` speaks; it cannot carry
 * the delimiter itself, and the reader cannot know a line's length until it ends.
 *
 * The decoding is stage 1's line decoder (`createLineDecoder` of `@socketlab/basics`, where the
 * rule is written: `\n` ends a line, one `\r` right before it is dropped, a lone `\r` is data);
 * this file only fits it to the {@link FrameCodec} shape and turns its `overflow` and an
 * unterminated last line into this package's errors.
 */
import { createLineDecoder, type LineDecoder } from '@socketlab/basics';
import { ProtocolError } from '../errors.ts';
import { checkMaxFrameBytes, frameTooLarge } from './buffer.ts';
import type { FrameCodec, FrameCodecOptions, FrameDecoder } from './codec.ts';

/** Default `maxFrameBytes` of {@link lineCodec}: 64 KiB per line. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const NEWLINE = Buffer.from([LF]);
const CRLF = Buffer.from([CR, LF]);

/**
 * A stage 1 line decoder that holds nothing, kept by a {@link lineCodec} for whichever of its
 * decoders gets a chunk next: decoding is synchronous, so one is enough for all of them.
 */
interface SpareDecoder {
  idle: LineDecoder | undefined;
}

/**
 * Stage 1's line decoder as a {@link FrameDecoder}: an overflow or a truncation throws, for good.
 * It holds a line decoder of its own only while a line is under way (a chunk ended inside it):
 * between complete lines it borrows its codec's spare, so an idle connection holds no decoder.
 */
class LineFrameDecoder implements FrameDecoder {
  private lines: LineDecoder | undefined = undefined;
  private failed: unknown;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly spare: SpareDecoder,
  ) {}

  get bufferedBytes(): number {
    return this.lines?.bufferedBytes ?? 0;
  }

  push(chunk: Uint8Array, out: Buffer[] = []): Buffer[] {
    if (this.failed !== undefined) throw this.failed;
    const { spare } = this;
    const lines =
      this.lines ?? spare.idle ?? createLineDecoder({ maxLineBytes: this.maxFrameBytes });
    if (lines === spare.idle) spare.idle = undefined;
    this.lines = lines;
    lines.push(chunk, out);
    if (lines.overflow) {
      this.failed = frameTooLarge('line', lines.overflowBytes, this.maxFrameBytes, 'buffered');
      throw this.failed;
    }
    if (lines.bufferedBytes === 0) {
      // Nothing under way: the decoder goes back to the codec.
      this.lines = undefined;
      spare.idle = lines;
    }
    return out;
  }

  end(): void {
    if (this.failed !== undefined) throw this.failed;
    const rest = this.lines?.end();
    this.lines = undefined;
    if (rest === undefined || rest.length === 0) return;
    this.failed = new ProtocolError(
      'TCPUDP_ERR_TRUNCATED',
      `line framing: the stream ended with ${rest.length} bytes after the last newline (a line with no \\n)`,
    );
    throw this.failed;
  }
}

/**
 * Newline-delimited framing. Decoding splits on `\n` and strips one `\r` right before it (a lone
 * `\r` is data), refusing a line over `maxFrameBytes` as soon as it is certain; encoding
 * appends `\n` (or `\r\n` when the payload itself ends with `\r`, so that it decodes back to
 * itself) and refuses a payload that contains `\n`. A stream that ends after an unterminated
 * line is truncated.
 *
 * @param options - `maxFrameBytes`: the longest line, without its `\r\n` (@default 64 KiB).
 * @throws {RangeError} when `maxFrameBytes` is negative or unsafe; {TypeError} when it is not
 *   an integer.
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
  const spare: SpareDecoder = { idle: undefined };
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
    createDecoder: () => new LineFrameDecoder(max, spare),
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
