/**
 * Two small scanners over JSON text (RFC 8259), used by {@link decodeJson}: how deep the
 * nesting goes, found before parsing; and where the first syntax error is, found after
 * `JSON.parse` failed (V8's messages do not always give a position). Internal.
 */

/**
 * Returns the offset of the first `[` or `{` that opens level `maxDepth + 1`, or -1 when the
 * nesting never goes deeper than `maxDepth`. Brackets inside strings are ignored.
 */
export function findJsonDepthExcess(text: string, maxDepth: number): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Skip a string: to the next quote that is not escaped.
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === 0x5c) i++;
        else if (s === 0x22) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return -1;
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// biome-ignore lint/suspicious/noControlCharactersInRegex: raw control characters end a JSON string
const STRING_CHARS = /(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*/y;

/**
 * The offset of the first character where `text` stops being valid JSON, or -1 when it is
 * valid. Recursion is bounded by the depth check that runs first.
 */
export function findJsonSyntaxError(text: string): number {
  let at = 0;
  const skip = (): void => {
    while (at < text.length && WHITESPACE.has(text.charCodeAt(at))) at++;
  };
  const sticky = (pattern: RegExp): boolean => {
    pattern.lastIndex = at;
    if (!pattern.test(text)) return false;
    at = pattern.lastIndex;
    return true;
  };
  const take = (count: number): true => {
    at += count;
    return true;
  };
  /** After an opening quote: the characters, then the closing quote. */
  const string = (): boolean => {
    sticky(STRING_CHARS);
    if (text[at] !== '"') return false;
    at++;
    return true;
  };
  const value = (): boolean => {
    skip();
    const c = text[at];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      at++;
      skip();
      if (text[at] === close) return take(1);
      for (;;) {
        if (c === '{') {
          skip();
          if (text[at] !== '"') return false;
          at++;
          if (!string()) return false;
          skip();
          if (text[at] !== ':') return false;
          at++;
        }
        if (!value()) return false;
        skip();
        if (text[at] === close) return take(1);
        if (text[at] !== ',') return false;
        at++;
      }
    }
    if (c === '"') {
      at++;
      return string();
    }
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, at)) return take(word.length);
    }
    return sticky(NUMBER);
  };
  if (!value()) return Math.min(at, text.length);
  skip();
  return at === text.length ? -1 : at;
}
