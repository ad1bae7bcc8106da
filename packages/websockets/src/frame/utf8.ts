/**
 * Strict, streaming UTF-8 validation (RFC 3629 §4, the Unicode Standard's Table 3-7 of
 * well-formed byte sequences), as RFC 6455 §8.1 asks of text messages and close reasons.
 * It rejects overlong forms, surrogates (U+D800–U+DFFF), code points past U+10FFFF, stray or
 * missing continuation bytes, and fails as soon as a byte makes the sequence impossible.
 */

/**
 * A UTF-8 validator fed in pieces. `push()` returns `false` as soon as a byte makes the text
 * invalid, even in the middle of a sequence whose remaining bytes have not arrived (fail fast,
 * RFC 6455 §8.1); once invalid it stays invalid. `end()` also checks that no sequence is left
 * incomplete.
 *
 * @see RFC 3629 §4; RFC 6455 §8.1
 * @example
 * ```ts
 * const v = new Utf8Validator();
 * v.push(Uint8Array.of(0xe2, 0x82)); // true (the start of "€")
 * v.push(Uint8Array.of(0xac)); // true
 * v.end(); // true
 * new Utf8Validator().push(Uint8Array.of(0xed, 0xa0)); // false (U+D800 can only follow)
 * ```
 */
export class Utf8Validator {
  /** Continuation bytes still expected in the current sequence. */
  private remaining = 0;
  /** The range allowed for the next byte: narrower than 80–BF only for a sequence's 2nd byte. */
  private low = 0x80;
  private high = 0xbf;
  private invalid = false;

  /** Whether everything pushed so far can still be (the start of) valid UTF-8. */
  get valid(): boolean {
    return !this.invalid;
  }

  /** Whether the bytes so far are valid but end in the middle of a sequence. */
  get incomplete(): boolean {
    return this.remaining !== 0;
  }

  /**
   * Feeds the next bytes.
   * @returns `false` once the text cannot be valid UTF-8, whatever follows.
   */
  push(bytes: Uint8Array): boolean {
    if (this.invalid) return false;
    const length = bytes.length;
    let remaining = this.remaining;
    let low = this.low;
    let high = this.high;
    let i = 0;
    while (i < length) {
      if (remaining === 0) {
        // The ASCII fast path: skip bytes under 0x80.
        while (i < length && (bytes[i] as number) < 0x80) i++;
        if (i === length) break;
        const lead = bytes[i++] as number;
        // Table 3-7: the lead byte fixes the length and the range of the 2nd byte.
        if (lead >= 0xc2 && lead <= 0xdf) {
          remaining = 1;
        } else if (lead >= 0xe0 && lead <= 0xef) {
          remaining = 2;
          // E0: 0800 and up, no overlong form; ED: below D800, no surrogates.
          if (lead === 0xe0) low = 0xa0;
          else if (lead === 0xed) high = 0x9f;
        } else if (lead >= 0xf0 && lead <= 0xf4) {
          remaining = 3;
          // F0: 10000 and up, no overlong form; F4: 10FFFF at most.
          if (lead === 0xf0) low = 0x90;
          else if (lead === 0xf4) high = 0x8f;
        } else {
          // 80–BF (a stray continuation), C0–C1 (overlong ASCII), F5–FF (past U+10FFFF, or 5- and
          // 6-byte forms).
          return this.fail();
        }
      } else {
        const byte = bytes[i++] as number;
        if (byte < low || byte > high) return this.fail();
        remaining--;
        low = 0x80;
        high = 0xbf;
      }
    }
    this.remaining = remaining;
    this.low = low;
    this.high = high;
    return true;
  }

  /**
   * Ends the text.
   * @returns `true` when everything pushed is valid UTF-8 and no sequence is left incomplete.
   */
  end(): boolean {
    return !this.invalid && this.remaining === 0;
  }

  /** Starts over, ready for a new text. */
  reset(): void {
    this.remaining = 0;
    this.low = 0x80;
    this.high = 0xbf;
    this.invalid = false;
  }

  private fail(): false {
    this.invalid = true;
    this.remaining = 0;
    return false;
  }
}

/**
 * Whether `bytes` are, all together, valid UTF-8 (strict: see {@link Utf8Validator}).
 * @see RFC 3629 §4
 * @example
 * ```ts
 * isValidUtf8(Buffer.from('héllo')); // true
 * isValidUtf8(Uint8Array.of(0xc0, 0xaf)); // false (an overlong "/")
 * ```
 */
export function isValidUtf8(bytes: Uint8Array): boolean {
  const validator = new Utf8Validator();
  return validator.push(bytes) && validator.end();
}
