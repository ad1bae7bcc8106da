/**
 * UTF-8 for the struct codec (RFC 3629): exact byte counts, writes into a caller's buffer, and a
 * strict decoder. Internal: not exported from the package.
 */

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Strings this short and all ASCII are decoded by hand: faster than a TextDecoder call. */
const ASCII_FAST_PATH = 64;

/**
 * The UTF-8 byte count of `text`, or -1 when it holds a lone surrogate (which UTF-8 cannot
 * carry: a TextEncoder would silently turn it into U+FFFD and the value would not round-trip).
 */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return -1;
      bytes += 4;
      i++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) return -1;
    else bytes += 3;
  }
  return bytes;
}

/**
 * Writes `text` as UTF-8 into `out` at `offset` and returns the offset after it. The caller has
 * checked it with {@link utf8ByteLength} (no lone surrogate) and made room.
 */
export function writeUtf8(text: string, out: Uint8Array, offset: number): number {
  let at = offset;
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      out[at++] = code;
      continue;
    }
    if (code >= 0xd800 && code <= 0xdbff) {
      code = 0x10000 + ((code - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00);
      out[at++] = 0xf0 | (code >> 18);
      out[at++] = 0x80 | ((code >> 12) & 0x3f);
    } else if (code >= 0x800) {
      out[at++] = 0xe0 | (code >> 12);
    } else {
      out[at++] = 0xc0 | (code >> 6);
      out[at++] = 0x80 | (code & 0x3f);
      continue;
    }
    out[at++] = 0x80 | ((code >> 6) & 0x3f);
    out[at++] = 0x80 | (code & 0x3f);
  }
  return at;
}

/**
 * Decodes `bytes[start, end)` as UTF-8, strictly: an invalid sequence, an overlong form or an
 * encoded surrogate throws the TextDecoder's `TypeError`. A leading U+FEFF is kept, not eaten.
 */
export function readUtf8(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= ASCII_FAST_PATH) {
    let text = '';
    for (let i = start; i < end; i++) {
      const byte = bytes[i] as number;
      if (byte >= 0x80) return strict.decode(bytes.subarray(start, end));
      text += String.fromCharCode(byte);
    }
    return text;
  }
  return strict.decode(bytes.subarray(start, end));
}
