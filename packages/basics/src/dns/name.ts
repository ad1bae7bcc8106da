import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';

/**
 * The longest host name DNS can carry, in characters, not counting one trailing dot.
 * @see RFC 1035 §2.3.4 (255 octets on the wire, which is 253 characters of text)
 */
export const HOSTNAME_MAX_LENGTH = 253;

/**
 * The longest label (the part between two dots), in characters.
 * @see RFC 1035 §2.3.4
 */
export const DNS_LABEL_MAX_LENGTH = 63;

/** What {@link checkHostname} found: the name to put on the wire, or the first problem. */
export type HostnameCheck =
  | {
      readonly ok: true;
      /** The name in ASCII (punycode for international names). */
      readonly ascii: string;
    }
  | {
      readonly ok: false;
      /** What is wrong, in words, for an error message. */
      readonly problem: string;
    };

/** Options of {@link checkHostname}. */
export interface HostnameCheckOptions {
  /**
   * Only the host name syntax of RFC 1123 §2.1: labels of ASCII letters, digits and `-`. Rejects
   * `_` (found in DNS names such as `_dmarc.example.com`, but in no host's name) and international
   * names (not converted to punycode).
   * @default false
   */
  strict?: boolean;
}

/**
 * Checks that `name` could be resolved at all, before anything is asked of the operating system
 * or a DNS server. Accepts IP literals (`127.0.0.1`, `::1`) as they are, international names
 * (converted to punycode), and one trailing dot (a fully qualified name). Rejects what no resolver
 * can answer: the empty string, control characters such as NUL, whitespace, more than
 * {@link HOSTNAME_MAX_LENGTH} characters, empty labels (`a..b`, `.a`), labels longer than
 * {@link DNS_LABEL_MAX_LENGTH}, labels that start or end with `-`, and characters other than letters,
 * digits, `-` and `_` (and `_` too with `strict`). Pure: it never touches the network.
 *
 * @param name - the host name as given by a user, a config file or a peer.
 * @param options - `strict` for host name syntax only (see {@link HostnameCheckOptions}).
 * @returns `{ ok: true, ascii }` or `{ ok: false, problem }`.
 * @see RFC 1035 §2.3.1 (preferred name syntax), RFC 1123 §2.1 (labels may start with a digit)
 * @example
 * checkHostname('example.com'); // { ok: true, ascii: 'example.com' }
 * checkHostname('a..b');        // { ok: false, problem: 'label 2 is empty: …' }
 * checkHostname('_dmarc.example.com', { strict: true }).ok; // false
 */
export function checkHostname(name: string, options: HostnameCheckOptions = {}): HostnameCheck {
  const strict = options.strict === true;
  if (name.length === 0) return fail('it is empty');
  const control = controlAt(name, HOSTNAME_MAX_LENGTH + 2);
  if (control !== -1) {
    const code = name.charCodeAt(control).toString(16).toUpperCase().padStart(4, '0');
    return fail(
      `it contains a control character (U+${code}) at character ${position(name, control)}`,
    );
  }
  if (name.length > HOSTNAME_MAX_LENGTH + 1) return tooLong(name.length, '');
  if (isIP(name) !== 0) return { ok: true, ascii: name };
  const space = name.search(/\s/u);
  if (space !== -1) return fail(`it contains whitespace at character ${position(name, space)}`);
  let ascii = name;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the range is the whole of ASCII
  if (!strict && /[^\u0000-\u007f]/u.test(name)) {
    ascii = domainToASCII(name);
    if (ascii === '') return fail('it is not a valid internationalized domain name');
  }
  const bare = ascii.endsWith('.') ? ascii.slice(0, -1) : ascii;
  if (bare.length === 0) return fail('it is only a dot (the DNS root, an empty label), not a host');
  if (bare.length > HOSTNAME_MAX_LENGTH) {
    return tooLong(bare.length, ascii === name ? '' : ' in ASCII');
  }
  for (let start = 0, index = 1; start <= bare.length; index++) {
    const dot = bare.indexOf('.', start);
    const end = dot === -1 ? bare.length : dot;
    const problem = checkLabel(bare, start, end, index, strict);
    if (problem !== undefined) return fail(problem);
    start = end + 1;
  }
  return { ok: true, ascii };
}

/** The first problem of the label `name[start, end)`, the `index`-th (from 1). */
function checkLabel(
  name: string,
  start: number,
  end: number,
  index: number,
  strict: boolean,
): string | undefined {
  const length = end - start;
  if (length === 0) {
    return `label ${index} is empty: an empty label comes from two dots in a row, or a leading dot`;
  }
  if (length > DNS_LABEL_MAX_LENGTH) {
    return `label ${index} is ${length} characters long, longer than ${DNS_LABEL_MAX_LENGTH}: a label has at most ${DNS_LABEL_MAX_LENGTH}`;
  }
  for (let i = start; i < end; i++) {
    if (!isLabelCharacter(name.charCodeAt(i), strict)) {
      const bad = String.fromCodePoint(name.codePointAt(i) ?? 0);
      const allowed = strict ? "letters, digits and '-'" : "letters, digits, '-' and '_'";
      return `label ${index} contains ${JSON.stringify(bad)}; only ${allowed} are allowed`;
    }
  }
  if (name.charCodeAt(start) === HYPHEN || name.charCodeAt(end - 1) === HYPHEN) {
    return `label ${index} (${JSON.stringify(name.slice(start, end))}) starts or ends with '-'`;
  }
  return undefined;
}

const HYPHEN = 0x2d;

/** `[A-Za-z0-9-]`, and `_` unless `strict`. */
function isLabelCharacter(code: number, strict: boolean): boolean {
  const lower = code | 0x20;
  return (
    (lower >= 0x61 && lower <= 0x7a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === HYPHEN ||
    (code === 0x5f && !strict)
  );
}

/** The index of the first C0 or C1 control character among the first `limit` code units, or -1. */
function controlAt(name: string, limit: number): number {
  const end = Math.min(name.length, limit);
  for (let i = 0; i < end; i++) {
    const code = name.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code < 0xa0)) return i;
  }
  return -1;
}

/** The 1-based position, in characters (code points), of the code unit at `index`. */
function position(name: string, index: number): number {
  return [...name.slice(0, index)].length + 1;
}

function tooLong(length: number, how: string): HostnameCheck {
  return fail(
    `it is ${length} characters long${how}, longer than ${HOSTNAME_MAX_LENGTH}: a host name has at most ${HOSTNAME_MAX_LENGTH}`,
  );
}

function fail(problem: string): HostnameCheck {
  return { ok: false, problem };
}
