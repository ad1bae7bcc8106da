/**
 * A pass over MessagePack bytes before they are decoded: it walks the structure without
 * building anything and refuses, before any memory is taken, what would make the decoder
 * allocate more than the message can hold. Internal.
 * @see https://github.com/msgpack/msgpack/blob/master/spec.md (the MessagePack format)
 */
import { encodingError } from './codec.ts';

/** The limits {@link scanMsgpack} checks. */
export interface MsgpackScanLimits {
  readonly maxDepth: number;
  readonly maxStrLength: number;
  readonly maxBinLength: number;
  readonly maxArrayLength: number;
  readonly maxMapLength: number;
  readonly maxExtLength: number;
}

/**
 * Checks that `bytes` hold exactly one MessagePack value within `limits`: every length fits in
 * what is left of the message and under its limit, nesting is at most `maxDepth`, and the
 * element counts that arrays and maps declare add up to no more than the message's byte count
 * (each element takes at least one byte, so a valid message always passes: a hostile one
 * cannot make the decoder pre-allocate arrays the message does not back).
 * @throws {RealtimeError} `REALTIME_ERR_ENCODING` saying what is wrong and at which byte.
 */
export function scanMsgpack(bytes: Uint8Array, limits: MsgpackScanLimits): void {
  const end = bytes.byteLength;
  const view = new DataView(bytes.buffer, bytes.byteOffset, end);
  const stack: number[] = [];
  let pending = 1;
  let claimed = 0;
  let pos = 0;
  const need = (count: number, what: string): void => {
    if (pos + count > end) {
      throw encodingError(
        `msgpack: truncated: ${what} at byte ${pos} needs ${count} byte(s), the message ends at byte ${end}`,
      );
    }
  };
  const uint = (size: 1 | 2 | 4): number => {
    need(size, 'a length');
    const value =
      size === 1 ? view.getUint8(pos) : size === 2 ? view.getUint16(pos) : view.getUint32(pos);
    pos += size;
    return value;
  };
  const payload = (length: number, limit: number, what: string, limitName: string): void => {
    if (length > limit) {
      throw encodingError(
        `msgpack: a ${what} at byte ${pos} declares ${length} bytes, more than ${limitName} ${limit}`,
      );
    }
    need(length, `a ${what}`);
    pos += length;
  };
  const container = (count: number, perItem: 1 | 2, limit: number, what: string): void => {
    const limitName = what === 'map' ? 'maxMapLength' : 'maxArrayLength';
    if (count > limit) {
      throw encodingError(
        `msgpack: a ${what} at byte ${pos} declares ${count} items, more than ${limitName} ${limit}`,
      );
    }
    if (stack.length + 1 > limits.maxDepth) {
      throw encodingError(
        `msgpack: a ${what} at byte ${pos} is nested deeper than maxDepth ${limits.maxDepth}`,
      );
    }
    claimed += count * perItem;
    if (claimed > end) {
      throw encodingError(
        `msgpack: a ${what} at byte ${pos} declares ${count} items: with those before it, more items than the message's ${end} bytes can hold`,
      );
    }
    stack.push(pending);
    pending = count * perItem;
  };

  for (;;) {
    if (pending === 0) {
      if (stack.length === 0) break;
      pending = stack.pop() as number;
      continue;
    }
    pending--;
    need(1, 'a value');
    const head = view.getUint8(pos++);
    if (head <= 0x7f || head >= 0xe0 || (head >= 0xc0 && head <= 0xc3 && head !== 0xc1)) continue;
    if (head <= 0x8f) container(head & 0x0f, 2, limits.maxMapLength, 'map');
    else if (head <= 0x9f) container(head & 0x0f, 1, limits.maxArrayLength, 'array');
    else if (head <= 0xbf) payload(head & 0x1f, limits.maxStrLength, 'string', 'maxStrLength');
    else if (head >= 0xc4 && head <= 0xc6)
      payload(uint(SIZES[head - 0xc4] as 1 | 2 | 4), limits.maxBinLength, 'bin', 'maxBinLength');
    else if (head >= 0xc7 && head <= 0xc9) {
      const length = uint(SIZES[head - 0xc7] as 1 | 2 | 4);
      need(1, 'an ext type');
      pos += 1;
      payload(length, limits.maxExtLength, 'ext', 'maxExtLength');
    } else if (head >= 0xca && head <= 0xd3) {
      const size = FIXED[head - 0xca] as number;
      need(size, 'a number');
      pos += size;
    } else if (head >= 0xd4 && head <= 0xd8) {
      const length = 1 << (head - 0xd4);
      need(1, 'an ext type');
      pos += 1;
      payload(length, limits.maxExtLength, 'ext', 'maxExtLength');
    } else if (head >= 0xd9 && head <= 0xdb)
      payload(uint(SIZES[head - 0xd9] as 1 | 2 | 4), limits.maxStrLength, 'string', 'maxStrLength');
    else if (head === 0xdc || head === 0xdd)
      container(uint(head === 0xdc ? 2 : 4), 1, limits.maxArrayLength, 'array');
    else if (head === 0xde || head === 0xdf)
      container(uint(head === 0xde ? 2 : 4), 2, limits.maxMapLength, 'map');
    else
      throw encodingError(
        `msgpack: byte 0x${head.toString(16)} at ${pos - 1} is not a type MessagePack uses`,
      );
  }
  if (pos !== end) {
    throw encodingError(
      `msgpack: ${end - pos} trailing byte(s) after the value, which ends at byte ${pos}`,
    );
  }
}

/** Length-prefix sizes of the 8/16/32-bit forms. */
const SIZES = [1, 2, 4] as const;
/** Payload sizes of float32, float64, uint8 … uint64, int8 … int64 (0xca to 0xd3). */
const FIXED = [4, 8, 1, 2, 4, 8, 1, 2, 4, 8] as const;
