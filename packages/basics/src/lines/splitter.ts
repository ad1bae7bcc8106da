import { checkInteger } from '@socketlab/internal';
import { countedLineBytes, LINE_FEED } from './decoder.ts';

/** Result of {@link splitLines}. */
export interface SplitLinesResult {
  /** Complete lines in arrival order, each ending in `\n`. */
  readonly lines: Buffer[];
  /** Bytes after the last `\n`: the start of a line still arriving. Never contains `\n`. */
  readonly rest: Buffer;
  /**
   * True when a line (finished or still arriving) is longer than `maxLineBytes`. `lines` then
   * holds the lines before it, `rest` is empty, and the caller should drop the peer.
   */
  readonly overflow: boolean;
}

const EMPTY = Buffer.alloc(0);

/**
 * Cuts a byte stream into lines, incrementally and purely: give it what was left over last time
 * (`pending`) and the bytes that just arrived (`chunk`); it returns the complete lines and the new
 * leftover. TCP delivers a stream, not messages, so a line may arrive in many chunks and one
 * chunk may hold many lines: the result is the same for every way the bytes are split.
 *
 * @param pending - The `rest` from the previous call (empty at first). Must not contain `\n`.
 * @param chunk - The bytes just received.
 * @param maxLineBytes - The longest line allowed, not counting its `\n` or `\r\n` (the limit
 *   rule of {@link createLineDecoder}: a line is refused as soon as it is certain not to fit).
 * @returns The complete lines, the leftover, and whether the limit was exceeded.
 * @throws {RangeError} when `maxLineBytes` is below 1 or unsafe; {TypeError} when it is not an
 *   integer.
 * @example
 * ```ts
 * const first = splitLines(Buffer.alloc(0), Buffer.from('hel'), 1024);
 * // { lines: [], rest: <'hel'>, overflow: false }
 * const second = splitLines(first.rest, Buffer.from('lo\nworld\nxy'), 1024);
 * // { lines: [<'hello\n'>, <'world\n'>], rest: <'xy'>, overflow: false }
 * ```
 */
export function splitLines(
  pending: Uint8Array,
  chunk: Uint8Array,
  maxLineBytes: number,
): SplitLinesResult {
  checkMaxLineBytes(maxLineBytes);
  const data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  let carry = Buffer.from(pending.buffer, pending.byteOffset, pending.byteLength);
  const lines: Buffer[] = [];
  let from = 0;
  for (let newline = data.indexOf(LINE_FEED, from); newline >= 0; ) {
    const last = newline > from ? data[newline - 1] : carry[carry.length - 1];
    if (countedLineBytes(carry.length + (newline - from), last) > maxLineBytes) {
      return { lines, rest: EMPTY, overflow: true };
    }
    const piece = data.subarray(from, newline + 1);
    lines.push(carry.length > 0 ? Buffer.concat([carry, piece]) : piece);
    carry = EMPTY;
    from = newline + 1;
    newline = data.indexOf(LINE_FEED, from);
  }
  const restLength = carry.length + (data.length - from);
  const restLast = data.length > from ? data[data.length - 1] : carry[carry.length - 1];
  if (countedLineBytes(restLength, restLast) > maxLineBytes) {
    return { lines, rest: EMPTY, overflow: true };
  }
  // Copy the leftover, so a few bytes do not keep a whole large chunk alive.
  const rest = restLength === 0 ? EMPTY : Buffer.concat([carry, data.subarray(from)], restLength);
  return { lines, rest, overflow: false };
}

/** Result of {@link cutCompleteLines}. */
export interface CompleteLinesResult {
  /** Every complete line in arrival order, as one buffer (empty when there is none). */
  readonly complete: Buffer;
  /** As {@link SplitLinesResult.rest}: the start of a line still arriving, copied. */
  readonly rest: Buffer;
  /** As {@link SplitLinesResult.overflow}; `complete` then holds the lines before the long one. */
  readonly overflow: boolean;
}

/**
 * {@link splitLines} for a caller that wants the complete lines as one run of bytes, as an echo
 * server does: the same limit and leftover, but no object per line, so a chunk of thousands of
 * short lines costs one buffer, not thousands.
 *
 * @param pending - The `rest` from the previous call (empty at first). Must not contain `\n`.
 * @param chunk - The bytes just received.
 * @param maxLineBytes - The longest line allowed, not counting its `\n` or `\r\n`.
 * @throws {RangeError} when `maxLineBytes` is below 1 or unsafe; {TypeError} when it is not an
 *   integer.
 * @example
 * ```ts
 * cutCompleteLines(Buffer.from('he'), Buffer.from('llo\nworld\nxy'), 1024);
 * // { complete: <'hello\nworld\n'>, rest: <'xy'>, overflow: false }
 * ```
 */
export function cutCompleteLines(
  pending: Uint8Array,
  chunk: Uint8Array,
  maxLineBytes: number,
): CompleteLinesResult {
  checkMaxLineBytes(maxLineBytes);
  const data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const carry = Buffer.from(pending.buffer, pending.byteOffset, pending.byteLength);
  // Offsets into `data`; the line under way starts at -carry.length while it began in `pending`.
  let lineStart = -carry.length;
  let overflow = false;
  for (let newline = data.indexOf(LINE_FEED); newline >= 0; ) {
    if (countedLineBytes(newline - lineStart, byteBefore(data, carry, newline)) > maxLineBytes) {
      overflow = true;
      break;
    }
    lineStart = newline + 1;
    newline = data.indexOf(LINE_FEED, lineStart);
  }
  overflow ||=
    countedLineBytes(data.length - lineStart, byteBefore(data, carry, data.length)) > maxLineBytes;
  const end = Math.max(lineStart, 0); // `data` up to here holds whole lines (with `carry` first).
  const head = data.subarray(0, end);
  const complete = end === 0 ? EMPTY : carry.length > 0 ? Buffer.concat([carry, head]) : head;
  if (overflow) return { complete, rest: EMPTY, overflow };
  const tail = data.subarray(end);
  const restLength = (end === 0 ? carry.length : 0) + tail.length;
  const rest =
    restLength === 0 ? EMPTY : Buffer.concat(end === 0 ? [carry, tail] : [tail], restLength);
  return { complete, rest, overflow };
}

function checkMaxLineBytes(maxLineBytes: number): void {
  checkInteger('maxLineBytes', maxLineBytes, 1);
}

/** The byte just before offset `at` of `data`, reaching back into `carry` (the line's start). */
function byteBefore(data: Buffer, carry: Buffer, at: number): number | undefined {
  return at > 0 ? data[at - 1] : carry[carry.length + at - 1];
}
