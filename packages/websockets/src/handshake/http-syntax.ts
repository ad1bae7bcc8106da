/**
 * The pieces of HTTP syntax the handshake needs: tokens, comma-separated lists, field values, and
 * the check that keeps caller-supplied headers from injecting lines into a head.
 *
 * @see RFC 9110 §5.1 (field names), §5.5 (field values), §5.6.1 (lists), §5.6.2 (tokens)
 */
import { quoteInput } from '../errors.ts';

/** tchar: visible ASCII except the delimiters `"(),/:;<=>?@[\]{}`. @see RFC 9110 §5.6.2 */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * A field value: visible ASCII, obs-text (0x80–0xFF), space and tab, and nothing else: no CR, LF,
 * NUL or other control byte. @see RFC 9110 §5.5
 */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Extra header fields a caller adds to a request or response: an object or name/value pairs. */
export type HeaderFields =
  | Readonly<Record<string, string>>
  | readonly (readonly [string, string])[];

/** Tells whether `text` is an HTTP token (a field name, a method, a subprotocol name). */
export function isToken(text: string): boolean {
  return TOKEN.test(text);
}

/** Tells whether `text` may be sent as a field value: no control byte but tab. */
export function isFieldValue(text: string): boolean {
  return FIELD_VALUE.test(text);
}

/**
 * Splits a comma-separated field value into its elements, trimmed of spaces and tabs; empty
 * elements (`a, , b`) are skipped, as recipients must accept them. @see RFC 9110 §5.6.1
 */
export function splitList(value: string): string[] {
  const out: string[] = [];
  for (const part of value.split(',')) {
    const element = part.replace(/^[ \t]+|[ \t]+$/g, '');
    if (element !== '') out.push(element);
  }
  return out;
}

/** Tells whether a comma-separated field value holds `token`, compared case-insensitively. */
export function listHasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  const wanted = token.toLowerCase();
  return splitList(value).some((element) => element.toLowerCase() === wanted);
}

/**
 * Checks caller-supplied header fields before they are written into a head, and returns them as
 * `Name: value\r\n` lines. A name must be a token and a value must hold no CR, LF or other control
 * byte (so nothing can end a line early and inject a header or a body), and no name may be one the
 * handshake writes itself.
 *
 * @throws {TypeError} for a bad name, a bad value, or a reserved name.
 */
export function headerLines(
  fields: HeaderFields | undefined,
  reserved: readonly string[],
  where: string,
): string {
  if (fields === undefined) return '';
  const pairs = Array.isArray(fields)
    ? (fields as readonly (readonly [string, string])[])
    : Object.entries(fields as Record<string, string>);
  let lines = '';
  for (const [name, value] of pairs) {
    if (typeof name !== 'string' || !isToken(name)) {
      throw new TypeError(`${where}: header name ${quoteInput(name)} is not an HTTP token`);
    }
    if (reserved.includes(name.toLowerCase())) {
      throw new TypeError(`${where}: header ${name} is written by the handshake itself`);
    }
    if (typeof value !== 'string' || !isFieldValue(value)) {
      throw new TypeError(
        `${where}: the value of header ${name} must be a string without CR, LF or other control characters, got ${quoteInput(value)}`,
      );
    }
    lines += `${name}: ${value.replace(/^[ \t]+|[ \t]+$/g, '')}\r\n`;
  }
  return lines;
}

/** One extension offered or accepted in `Sec-WebSocket-Extensions`: a name and its parameters. */
export interface ExtensionOffer {
  /** The extension's token, as sent (`permessage-deflate`). */
  readonly name: string;
  /** Its parameters in order; a parameter without `=value` has the value `true`. */
  readonly params: readonly (readonly [string, string | true])[];
}

/**
 * Parses a `Sec-WebSocket-Extensions` value: `name *( ";" param[=value] )` elements separated by
 * commas, a value being a token or a quoted string (which may hold commas and semicolons).
 *
 * @returns The elements in order, or a string saying what is malformed.
 * @see RFC 6455 §9.1
 */
export function parseExtensions(value: string): ExtensionOffer[] | string {
  const offers: ExtensionOffer[] = [];
  let at = 0;
  const skipSpace = (): void => {
    while (value[at] === ' ' || value[at] === '\t') at++;
  };
  const readToken = (): string => {
    const start = at;
    while (at < value.length && isToken(value[at] as string)) at++;
    return value.slice(start, at);
  };
  while (at < value.length) {
    skipSpace();
    if (value[at] === ',') {
      at++;
      continue;
    }
    if (at >= value.length) break;
    const name = readToken();
    if (name === '') return `expected an extension name at character ${at}`;
    const params: [string, string | true][] = [];
    skipSpace();
    while (value[at] === ';') {
      at++;
      skipSpace();
      const param = readToken();
      if (param === '') return `expected a parameter name after ';' at character ${at}`;
      skipSpace();
      let paramValue: string | true = true;
      if (value[at] === '=') {
        at++;
        skipSpace();
        if (value[at] === '"') {
          at++;
          let text = '';
          while (at < value.length && value[at] !== '"') {
            if (value[at] === '\\') at++;
            text += value[at] ?? '';
            at++;
          }
          if (value[at] !== '"') return 'a quoted parameter value is not closed';
          at++;
          paramValue = text;
        } else {
          paramValue = readToken();
          if (paramValue === '') return `expected a parameter value after '=' at character ${at}`;
        }
      }
      params.push([param, paramValue]);
      skipSpace();
    }
    if (at < value.length && value[at] !== ',') {
      return `expected ',' or ';' at character ${at}, found ${quoteInput(value[at])}`;
    }
    offers.push({ name, params });
  }
  return offers;
}
