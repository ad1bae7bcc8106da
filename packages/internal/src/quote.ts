/**
 * Shows untrusted input in a message: quoted and escaped (JSON string syntax, so control
 * characters and quotes cannot forge the rest of the message), and cut to `max` characters with
 * `…`. Bytes (`Uint8Array`, `Buffer`) are shown as latin1 text, one character per byte.
 *
 * @param input - anything a caller or a peer sent.
 * @param max - the most characters shown. @default 100
 * @example quoteInput('a\nb'); // '"a\\nb"'
 */
export function quoteInput(input: unknown, max = 100): string {
  const text =
    input instanceof Uint8Array
      ? Buffer.from(input.subarray(0, max + 1)).toString('latin1')
      : typeof input === 'string'
        ? input
        : String(input);
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}
