import { createHash } from 'node:crypto';

/** Renders bytes as a classic hex dump: offset, 16 hex bytes, printable ASCII. */
export function hexdump(bytes: Uint8Array, maxBytes = 256): string {
  const shown = bytes.subarray(0, maxBytes);
  const lines: string[] = [];
  for (let offset = 0; offset < shown.length; offset += 16) {
    const row = shown.subarray(offset, offset + 16);
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(row, (b) =>
      b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.',
    ).join('');
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  |${ascii}|`);
  }
  if (bytes.length > maxBytes) lines.push(`… ${bytes.length - maxBytes} more bytes`);
  return lines.join('\n');
}

/** Shows a string or bytes the way a grader reports them: JSON-escaped text, control bytes visible. */
export function printable(data: string | Uint8Array, maxChars = 200): string {
  const text = typeof data === 'string' ? data : Buffer.from(data).toString('latin1');
  const shown = JSON.stringify(text.slice(0, maxChars));
  return text.length > maxChars ? `${shown}… (${text.length} chars)` : shown;
}

/**
 * Compares two byte sequences and, when they differ, describes where: the offset of the first
 * difference, both sides around it in hex, and a caret under the offending byte.
 * Returns `undefined` when they are equal.
 */
export function describeByteDifference(
  expected: Uint8Array,
  actual: Uint8Array,
): string | undefined {
  const common = Math.min(expected.length, actual.length);
  let at = 0;
  while (at < common && expected[at] === actual[at]) at++;
  if (at === common && expected.length === actual.length) return undefined;
  const from = Math.max(0, at - 8);
  const window = (bytes: Uint8Array): string =>
    Array.from(bytes.subarray(from, from + 16), (b) => b.toString(16).padStart(2, '0')).join(' ');
  const caret = `${' '.repeat((at - from) * 3)}^`;
  const what =
    at === common
      ? `lengths differ: expected ${expected.length} bytes, got ${actual.length}`
      : `first difference at byte ${at}: expected 0x${hexByte(expected[at])}, got 0x${hexByte(actual[at])}`;
  const label = (side: string): string => `  ${side.padEnd(8)} (from byte ${from}): `;
  return [
    what,
    `${label('expected')}${window(expected)}`,
    `${label('actual')}${window(actual)}`,
    `${' '.repeat(label('').length)}${caret}`,
  ].join('\n');
}

function hexByte(byte: number | undefined): string {
  return byte === undefined ? '--' : byte.toString(16).padStart(2, '0');
}

/**
 * Every way to deliver `bytes` in two pieces (split at each offset), then byte by byte: a decoder
 * that is correct for one delivery must be correct for all of them.
 */
export function* everySplit(bytes: Uint8Array): Generator<Uint8Array[]> {
  for (let at = 0; at <= bytes.length; at++) yield [bytes.subarray(0, at), bytes.subarray(at)];
  yield Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
}

/**
 * Cuts `bytes` at the given offsets (each taken modulo `length + 1`, then sorted and deduplicated):
 * one arbitrary chunking, for property tests that feed a decoder as a socket might.
 */
export function cutAt(bytes: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const cuts = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const at of cuts) {
    pieces.push(bytes.subarray(from, at));
    from = at;
  }
  pieces.push(bytes.subarray(from));
  return pieces;
}

/** Bytes as lowercase hex with no separators (`68 69` → `"6869"`), for fixtures and messages. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * Hex text as bytes; whitespace is ignored, so fixtures can be grouped (`"00000002 6869"`).
 * @throws {TypeError} when the text is not whole bytes of hex digits.
 */
export function fromHex(text: string): Buffer {
  const digits = text.replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(digits)) {
    throw new TypeError(`fromHex: ${printable(text, 40)} is not whole bytes of hex digits`);
  }
  return Buffer.from(digits, 'hex');
}

/**
 * How a byte sequence was cut into pieces, for a failure message: each piece in hex (an empty
 * piece says so), or, past eight pieces, only their sizes.
 */
export function describePieces(pieces: readonly Uint8Array[]): string {
  if (pieces.length > 8) {
    return `${pieces.length} pieces (${pieces.map((p) => p.length).join('+')} bytes)`;
  }
  return pieces
    .map((p, i) => `piece ${i + 1} (${p.length} bytes): ${toHex(p) || '(empty)'}`)
    .join('\n');
}

/**
 * `length` deterministic bytes from `seed` (SHA-256 in counter mode): the same seed always gives
 * the same bytes, so a test prints the seed and a failure can be replayed.
 */
export function seededBytes(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let block = 0, at = 0; at < length; block++, at += 32) {
    createHash('sha256').update(`${seed}:${block}`).digest().copy(out, at);
  }
  return out;
}
