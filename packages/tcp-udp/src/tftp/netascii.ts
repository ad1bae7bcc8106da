/**
 * netascii, the TFTP text mode: lines end in CR LF and a lone CR is sent as CR NUL.
 * @see RFC 1350 §5 ("netascii"), RFC 764 (TELNET, "NVT ASCII": CR LF, CR NUL)
 */

const CR = 0x0d;
const LF = 0x0a;
const NUL = 0x00;

/**
 * Converts a local file (Unix line ends) to netascii: LF → CR LF, CR → CR NUL.
 * @example toNetascii(Buffer.from('a\nb')); // 'a\r\nb'
 */
export function toNetascii(bytes: Uint8Array): Buffer {
  let extra = 0;
  for (const b of bytes) if (b === LF || b === CR) extra++;
  const out = Buffer.allocUnsafe(bytes.length + extra);
  let at = 0;
  for (const b of bytes) {
    if (b === LF) {
      out[at++] = CR;
      out[at++] = LF;
    } else if (b === CR) {
      out[at++] = CR;
      out[at++] = NUL;
    } else {
      out[at++] = b;
    }
  }
  return out;
}

/**
 * Converts received netascii back to Unix line ends: CR LF → LF, CR NUL → CR. A CR followed by
 * anything else (not valid netascii) is kept as it is, with what follows it.
 * @example fromNetascii(Buffer.from('a\r\nb\r\0')); // 'a\nb\r'
 */
export function fromNetascii(bytes: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(bytes.length);
  let at = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] ?? 0;
    const next = bytes[i + 1];
    if (b === CR && next === LF) {
      out[at++] = LF;
      i++;
    } else if (b === CR && next === NUL) {
      out[at++] = CR;
      i++;
    } else {
      out[at++] = b;
    }
  }
  return out.subarray(0, at);
}
