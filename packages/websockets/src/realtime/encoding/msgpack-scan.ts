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
  const stack: number[] = [];
  let pending = 1;
  let claimed = 0;
  let pos = 0;
  while (pending > 0 || stack.length > 0) {
    if (pending === 0) {
      pending = stack.pop() as number;
      continue;
    }
    pending--;
    if (pos >= end) truncated(pos, 1, end, 'a value');
    const head = bytes[pos++] as number;
    // Scalars with no payload: fixints, nil, false, true.
    if (head <= 0x7f || head >= 0xe0 || head === 0xc0 || head === 0xc2 || head === 0xc3) continue;
    let kind: Kind;
    let length: number;
    if (head <= 0x8f) {
      kind = MAP;
      length = head & 0x0f;
    } else if (head <= 0x9f) {
      kind = ARRAY;
      length = head & 0x0f;
    } else if (head <= 0xbf) {
      kind = STR;
      length = head & 0x1f;
    } else {
      const form = FORMS[head - 0xc0];
      if (form === undefined) {
        throw encodingError(
          `msgpack: byte 0x${head.toString(16)} at ${pos - 1} is not a type MessagePack uses`,
        );
      }
      kind = form[0];
      const size = form[1];
      if (kind === FIXED) {
        if (pos + size > end) truncated(pos, size, end, 'a number');
        pos += size;
        continue;
      }
      if (kind === FIXEXT) {
        length = size;
      } else {
        if (pos + size > end) truncated(pos, size, end, 'a length');
        length =
          size === 1
            ? (bytes[pos] as number)
            : size === 2
              ? readU16(bytes, pos)
              : readU32(bytes, pos);
        pos += size;
      }
      if (kind === EXT || kind === FIXEXT) {
        if (pos >= end) truncated(pos, 1, end, 'an ext type');
        pos += 1;
      }
    }
    if (kind === ARRAY || kind === MAP) {
      const limit = kind === MAP ? limits.maxMapLength : limits.maxArrayLength;
      const what = kind === MAP ? 'map' : 'array';
      if (length > limit) {
        throw encodingError(
          `msgpack: ${article(what)} before byte ${pos} declares ${length} items, more than ${kind === MAP ? 'maxMapLength' : 'maxArrayLength'} ${limit}`,
        );
      }
      if (stack.length + 1 > limits.maxDepth) {
        throw encodingError(
          `msgpack: ${article(what)} before byte ${pos} is nested deeper than maxDepth ${limits.maxDepth}`,
        );
      }
      const items = kind === MAP ? length * 2 : length;
      claimed += items;
      if (claimed > end) {
        throw encodingError(
          `msgpack: ${article(what)} before byte ${pos} declares ${length} items: with those before it, more items than the message's ${end} bytes can hold`,
        );
      }
      stack.push(pending);
      pending = items;
      continue;
    }
    const limit =
      kind === STR ? limits.maxStrLength : kind === BIN ? limits.maxBinLength : limits.maxExtLength;
    if (length > limit) {
      const name = kind === STR ? 'maxStrLength' : kind === BIN ? 'maxBinLength' : 'maxExtLength';
      throw encodingError(
        `msgpack: ${article(KIND_NAMES[kind])} before byte ${pos} declares ${length} bytes, more than ${name} ${limit}`,
      );
    }
    if (pos + length > end) truncated(pos, length, end, `${article(KIND_NAMES[kind])}`);
    pos += length;
  }
  if (pos !== end) {
    throw encodingError(
      `msgpack: ${end - pos} trailing byte(s) after the value, which ends at byte ${pos}`,
    );
  }
}

/** `word` with its indefinite article: "an array", "a map". */
const article = (word: string): string => `${/^[aeiou]/.test(word) ? 'an' : 'a'} ${word}`;

function truncated(pos: number, count: number, end: number, what: string): never {
  throw encodingError(
    `msgpack: truncated: ${what} at byte ${pos} needs ${count} byte(s), the message ends at byte ${end}`,
  );
}

const readU16 = (b: Uint8Array, at: number): number =>
  ((b[at] as number) << 8) | (b[at + 1] as number);
const readU32 = (b: Uint8Array, at: number): number =>
  readU16(b, at) * 0x10000 + readU16(b, at + 2);

/** What follows a head byte from 0xc0 on. */
const FIXED = 0;
const STR = 1;
const BIN = 2;
const EXT = 3;
const FIXEXT = 4;
const ARRAY = 5;
const MAP = 6;
type Kind = 0 | 1 | 2 | 3 | 4 | 5 | 6;
const KIND_NAMES = ['number', 'string', 'bin', 'ext', 'ext', 'array', 'map'] as const;

/**
 * Head bytes 0xc0 to 0xdf: the kind, and the size of the number, of the length prefix, or of a
 * fixext's payload. `undefined` where the byte needs no entry (0xc0, 0xc2, 0xc3 are handled
 * before) or is never used (0xc1).
 */
const FORMS: readonly (readonly [Kind, number] | undefined)[] = [
  undefined,
  undefined,
  undefined,
  undefined, // nil, (never used), false, true
  [BIN, 1],
  [BIN, 2],
  [BIN, 4],
  [EXT, 1],
  [EXT, 2],
  [EXT, 4],
  [FIXED, 4],
  [FIXED, 8], // float 32, 64
  [FIXED, 1],
  [FIXED, 2],
  [FIXED, 4],
  [FIXED, 8], // uint 8 … 64
  [FIXED, 1],
  [FIXED, 2],
  [FIXED, 4],
  [FIXED, 8], // int 8 … 64
  [FIXEXT, 1],
  [FIXEXT, 2],
  [FIXEXT, 4],
  [FIXEXT, 8],
  [FIXEXT, 16],
  [STR, 1],
  [STR, 2],
  [STR, 4],
  [ARRAY, 2],
  [ARRAY, 4],
  [MAP, 2],
  [MAP, 4],
];
