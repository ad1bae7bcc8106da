/**
 * Length-prefixed framing: each payload is preceded by its length, either a fixed 4-byte unsigned
 * big-endian integer ("network byte order", as in many binary protocols) or an unsigned LEB128
 * varint (as in Protocol Buffers' length-delimited fields). The reader knows exactly how many
 * bytes to wait for, and can refuse a frame that is too long before any of its body arrives.
 */
import { checkInteger } from '@socketlab/internal';
import { ProtocolError } from '../errors.ts';
import { asBuffer, checkMaxFrameBytes, frameTooLarge, PendingBytes } from './buffer.ts';
import {
  DEFAULT_MAX_FRAME_BYTES,
  type FrameCodec,
  type FrameCodecOptions,
  type FrameDecoder,
} from './codec.ts';

/** The largest length a u32 prefix can carry: 2^32 − 1. */
export const U32_MAX_FRAME_BYTES = 0xffff_ffff;
/** The longest unsigned LEB128 varint accepted: 10 bytes (enough for any 64-bit value). */
export const VARINT_MAX_HEADER_BYTES = 10;
/** The largest length a varint prefix may declare: 2^53 − 1 (a safe JavaScript integer). */
export const VARINT_MAX_FRAME_BYTES = Number.MAX_SAFE_INTEGER;

/** Reads a length header one byte at a time; returns the length once complete, else -1. */
interface HeaderReader {
  /** Feeds one header byte. @throws {ProtocolError} `TCPUDP_ERR_MALFORMED`. */
  byte(value: number): number;
  /**
   * The fast path: when no header byte is pending and a whole header lies in `data` at `at`,
   * reads it at once (setting `count`) and returns the length; otherwise returns -1.
   */
  whole(data: Buffer, at: number): number;
  /** Header bytes read so far. */
  readonly count: number;
  reset(): void;
}

class U32Header implements HeaderReader {
  count = 0;
  private value = 0;
  byte(value: number): number {
    this.value = this.value * 256 + value;
    this.count++;
    return this.count === 4 ? this.value : -1;
  }
  whole(data: Buffer, at: number): number {
    if (this.count !== 0 || at + 4 > data.length) return -1;
    this.count = 4;
    return data.readUInt32BE(at);
  }
  reset(): void {
    this.count = 0;
    this.value = 0;
  }
}

class VarintHeader implements HeaderReader {
  count = 0;
  private value = 0;
  whole(data: Buffer, at: number): number {
    const first = data[at];
    if (this.count !== 0 || first === undefined || first >= 0x80) return -1;
    this.count = 1;
    return first;
  }
  byte(value: number): number {
    this.value += (value & 0x7f) * 2 ** (7 * this.count);
    this.count++;
    if (this.value > VARINT_MAX_FRAME_BYTES) {
      throw new ProtocolError(
        'TCPUDP_ERR_MALFORMED',
        `varint framing: the length prefix is over 2^53-1 after ${this.count} bytes`,
      );
    }
    if ((value & 0x80) === 0) return this.value;
    if (this.count >= VARINT_MAX_HEADER_BYTES) {
      throw new ProtocolError(
        'TCPUDP_ERR_MALFORMED',
        `varint framing: the length prefix is longer than ${VARINT_MAX_HEADER_BYTES} bytes (the 10th byte still has its continuation bit set)`,
      );
    }
    return -1;
  }
  reset(): void {
    this.count = 0;
    this.value = 0;
  }
}

class LengthPrefixDecoder implements FrameDecoder {
  private readonly pending = new PendingBytes();
  /** Length of the frame whose body is being read, or -1 while reading a header. */
  private bodyLength = -1;
  /** Size of the header of the frame whose body is being read. */
  private headerLength = 0;
  private failed: unknown;

  constructor(
    private readonly name: string,
    private readonly header: HeaderReader,
    private readonly maxFrameBytes: number,
  ) {}

  get bufferedBytes(): number {
    return this.bodyLength < 0 ? this.header.count : this.headerLength + this.pending.length;
  }

  push(chunk: Uint8Array, frames: Buffer[] = []): Buffer[] {
    if (this.failed !== undefined) throw this.failed;
    const data = asBuffer(chunk);
    try {
      let at = 0;
      while (at < data.length) {
        if (this.bodyLength < 0) {
          let length = this.header.whole(data, at);
          if (length >= 0) at += this.header.count;
          while (length < 0 && at < data.length) length = this.header.byte(data[at++] as number);
          if (length < 0) break;
          if (length > this.maxFrameBytes) {
            throw frameTooLarge(this.name, length, this.maxFrameBytes, 'declared');
          }
          this.headerLength = this.header.count;
          this.header.reset();
          if (length === 0) {
            frames.push(Buffer.alloc(0));
            continue;
          }
          this.bodyLength = length;
        }
        const need = this.bodyLength - this.pending.length;
        if (data.length - at >= need) {
          // The common case, a frame inside this chunk, is a view: no copy.
          const tail = data.subarray(at, at + need);
          frames.push(this.pending.length === 0 ? tail : this.pending.take(tail));
          at += need;
          this.bodyLength = -1;
        } else {
          this.pending.add(data.subarray(at));
          at = data.length;
        }
      }
    } catch (err) {
      this.failed = err;
      throw err;
    }
    return frames;
  }

  end(): void {
    if (this.failed !== undefined) throw this.failed;
    if (this.bufferedBytes === 0) return;
    const where =
      this.bodyLength < 0
        ? `${this.header.count} byte(s) of a length prefix`
        : `${this.pending.length} of the ${this.bodyLength} bytes of a frame`;
    this.failed = new ProtocolError(
      'TCPUDP_ERR_TRUNCATED',
      `${this.name} framing: the stream ended after ${where}`,
    );
    throw this.failed;
  }
}

/**
 * Framing with a 4-byte unsigned big-endian length before each payload.
 *
 * @param options - `maxFrameBytes` (@default 16 MiB; at most 2^32 − 1).
 * @returns A codec; call `createDecoder()` once per stream.
 * @throws {RangeError} when `maxFrameBytes` is outside 0 to 2^32 − 1; {TypeError} when it is
 *   not an integer.
 * @see RFC 1700 (network byte order is big-endian); RFC 5531 §11 (record marking, the same idea)
 * @example
 * ```ts
 * const codec = lengthPrefixCodec({ maxFrameBytes: 1024 });
 * codec.encode(Buffer.from('hi')); // <00 00 00 02 68 69>
 * const decoder = codec.createDecoder();
 * decoder.push(Buffer.from([0, 0, 0])); // [] (need more)
 * decoder.push(Buffer.from([2, 0x68, 0x69])); // [<68 69>]
 * ```
 */
export function lengthPrefixCodec(options: FrameCodecOptions = {}): FrameCodec {
  const max = checkMaxFrameBytes(
    options.maxFrameBytes,
    DEFAULT_MAX_FRAME_BYTES,
    U32_MAX_FRAME_BYTES,
  );
  const encodeParts = (payload: Uint8Array): Uint8Array[] => {
    if (payload.length > max) throw frameTooLarge('u32', payload.length, max, 'encoding');
    const header = Buffer.allocUnsafe(4);
    header.writeUInt32BE(payload.length, 0);
    return [header, payload];
  };
  return {
    name: 'u32',
    maxFrameBytes: max,
    encodeParts,
    encode: (payload) => Buffer.concat(encodeParts(payload), 4 + payload.length),
    createDecoder: () => new LengthPrefixDecoder('u32', new U32Header(), max),
  };
}

/**
 * Encodes a non-negative safe integer as an unsigned LEB128 varint: 7 bits per byte, least
 * significant group first, the high bit set on every byte but the last.
 *
 * @throws {RangeError} when `value` is outside 0 to 2^53 − 1; {TypeError} when it is not an
 *   integer.
 * @see https://protobuf.dev/programming-guides/encoding/#varints
 * @example
 * ```ts
 * encodeVarint(300); // <ac 02>
 * ```
 */
export function encodeVarint(value: number): Buffer {
  checkInteger('value', value, 0);
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/**
 * Framing with an unsigned LEB128 varint length before each payload: 1 byte for payloads under
 * 128 bytes, 2 under 16 KiB, 3 under 2 MiB. Non-minimal encodings (`80 00` for 0) are accepted
 * up to 10 bytes; an 11th byte, or a value over 2^53 − 1, is malformed.
 *
 * @param options - `maxFrameBytes` (@default 16 MiB; at most 2^53 − 1).
 * @throws {RangeError} when `maxFrameBytes` is out of range; {TypeError} when it is not an
 *   integer.
 * @see https://protobuf.dev/programming-guides/encoding/#length-types
 * @example
 * ```ts
 * const codec = varintCodec();
 * codec.encode(Buffer.alloc(300)).subarray(0, 2); // <ac 02>
 * codec.createDecoder().push(Buffer.from([0x02, 0x68, 0x69])); // [<68 69>]
 * ```
 */
export function varintCodec(options: FrameCodecOptions = {}): FrameCodec {
  const max = checkMaxFrameBytes(
    options.maxFrameBytes,
    DEFAULT_MAX_FRAME_BYTES,
    VARINT_MAX_FRAME_BYTES,
  );
  const encodeParts = (payload: Uint8Array): Uint8Array[] => {
    if (payload.length > max) throw frameTooLarge('varint', payload.length, max, 'encoding');
    return [encodeVarint(payload.length), payload];
  };
  return {
    name: 'varint',
    maxFrameBytes: max,
    encodeParts,
    encode: (payload) => Buffer.concat(encodeParts(payload)),
    createDecoder: () => new LengthPrefixDecoder('varint', new VarintHeader(), max),
  };
}
