import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';

/**
 * The longest host name DNS can carry, in characters, not counting one trailing dot.
 * @see RFC 1035 §2.3.4 (255 octets on the wire, which is 253 characters of text)
 */
export const MAX_HOSTNAME_LENGTH = 253;

/**
 * The longest label (the part between two dots), in characters.
 * @see RFC 1035 §2.3.4
 */
export const MAX_LABEL_LENGTH = 63;

/** What {@link checkHostname} found: the name to put on the wire, or the first problem. */
export type HostnameCheck =
  | {
      readonly ok: true /** The name in ASCII (punycode for international names). */;
      readonly ascii: string;
    }
  | {
      readonly ok: false /** What is wrong, in words, for an error message. */;
      readonly problem: string;
    };

const LABEL_CHARACTER = /^[A-Za-z0-9_-]$/;

/**
 * Checks that `name` could be resolved at all, before anything is asked of the operating system
 * or a DNS server. Accepts IP literals (`127.0.0.1`, `::1`) as they are, international names
 * (converted to punycode), and one trailing dot (a fully qualified name). Rejects what no resolver
 * can answer: the empty string, control characters such as NUL, whitespace, more than
 * {@link MAX_HOSTNAME_LENGTH} characters, empty labels (`a..b`, `.a`), labels longer than
 * {@link MAX_LABEL_LENGTH}, labels that start or end with `-`, and characters other than letters,
 * digits, `-` and `_`. Pure: it never touches the network.
 *
 * @param name - the host name as given by a user, a config file or a peer.
 * @returns `{ ok: true, ascii }` or `{ ok: false, problem }`.
 * @see RFC 1035 §2.3.1 (preferred name syntax), RFC 1123 §2.1 (labels may start with a digit)
 * @example
 * checkHostname('example.com'); // { ok: true, ascii: 'example.com' }
 * checkHostname('a..b');        // { ok: false, problem: 'label 2 is empty (two dots in a row, or a leading dot)' }
 */
export function checkHostname(name: string): HostnameCheck {
  if (name.length === 0) return fail('it is empty');
  const head = [...name.slice(0, MAX_HOSTNAME_LENGTH + 2)];
  const control = head.findIndex(isControl);
  if (control !== -1) {
    const code = (head[control]?.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
    return fail(`it contains a control character (U+${code}) at character ${control + 1}`);
  }
  if (name.length > MAX_HOSTNAME_LENGTH + 1) {
    return fail(
      `it is ${name.length} characters long; a host name has at most ${MAX_HOSTNAME_LENGTH}`,
    );
  }
  if (isIP(name) !== 0) return { ok: true, ascii: name };
  const space = [...name].findIndex((character) => /\s/u.test(character));
  if (space !== -1) return fail(`it contains whitespace at character ${space + 1}`);
  let ascii = name;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the range is the whole of ASCII
  if (/[^\u0000-\u007f]/u.test(name)) {
    ascii = domainToASCII(name);
    if (ascii === '') return fail('it is not a valid internationalized domain name');
  }
  const bare = ascii.endsWith('.') ? ascii.slice(0, -1) : ascii;
  if (bare.length === 0) return fail('it is only a dot (the DNS root), not a host');
  if (bare.length > MAX_HOSTNAME_LENGTH) {
    return fail(
      `it is ${bare.length} characters long in ASCII; a host name has at most ${MAX_HOSTNAME_LENGTH}`,
    );
  }
  const labels = bare.split('.');
  for (const [index, label] of labels.entries()) {
    const problem = checkLabel(label, index + 1);
    if (problem !== undefined) return fail(problem);
  }
  return { ok: true, ascii };
}

function checkLabel(label: string, position: number): string | undefined {
  if (label.length === 0) return `label ${position} is empty (two dots in a row, or a leading dot)`;
  if (label.length > MAX_LABEL_LENGTH) {
    return `label ${position} is ${label.length} characters long; a label has at most ${MAX_LABEL_LENGTH}`;
  }
  const bad = [...label].find((character) => !LABEL_CHARACTER.test(character));
  if (bad !== undefined) {
    return `label ${position} contains ${JSON.stringify(bad)}; only letters, digits, '-' and '_' are allowed`;
  }
  if (label.startsWith('-') || label.endsWith('-')) {
    return `label ${position} (${JSON.stringify(label)}) starts or ends with '-'`;
  }
  return undefined;
}

function isControl(character: string): boolean {
  const code = character.codePointAt(0) ?? 0;
  return code < 0x20 || (code >= 0x7f && code < 0xa0);
}

function fail(problem: string): HostnameCheck {
  return { ok: false, problem };
}
