/**
 * The address parser: a strict scanner that turns IPv4 and IPv6 text into bytes (without a regex
 * or an allocation on success), the validators built on it, and {@link addressFromBytes}, which
 * checks a zone id the same way. Formatting lives in `format.ts`, classification in `classify.ts`.
 */
import { InvalidInputError, quoteInput } from '../errors.ts';
import { formatBytes } from './format.ts';
import type { IpAddress, IpFamily } from './ip-address.ts';

/**
 * The longest text {@link parseAddress} looks at: the longest IPv6 text (45 characters, as
 * `INET6_ADDRSTRLEN` counts without its NUL), a `%` and a {@link ZONE_MAX_LENGTH}-character zone id.
 * Anything longer is rejected before any parsing work.
 */
export const ADDRESS_MAX_LENGTH = 78;

/** The longest zone id accepted (Linux interface names are at most 15 bytes; 32 leaves room). */
export const ZONE_MAX_LENGTH = 32;

const CODE = 'BASICS_ERR_INVALID_ADDRESS';

/*
 * The scanners below are the hot path of isIPv4/isIPv6 (called per packet, per log line), so on
 * success they use no regex and allocate nothing: they walk character codes, write into two
 * scratch buffers, and only the public edge copies bytes out. On failure they return a `Why`, a
 * function, so the words of a message are built only when someone reads them (isIPv4/isIPv6 never
 * do). The `Why`s come from the factories in `because`, never from an arrow function written
 * inside a scanner: such a closure makes V8 allocate a context on every call and keep the loop
 * variables in it, which made validation several times slower. Everything runs synchronously, so
 * two scans never share the buffers at once.
 */

/** Why a text is not an address; called only when a message is wanted. */
type Why = () => string;

/** The bytes of the address last scanned: 4 (IPv4) or 16 (IPv6). Copied out by the edge. */
const SCRATCH = new Uint8Array(16);
/** The 16-bit groups of the IPv6 text being scanned, head then tail; only 8 can be valid. */
const WORDS = new Uint16Array(8);

const COLON = 0x3a;
const DOT = 0x2e;
const PERCENT = 0x25;
const ZERO = 0x30;

/** How each rejection is put into words (the message of the {@link InvalidInputError}). */
const because = {
  empty: (): Why => () => 'it is empty',
  tooLong:
    (length: number): Why =>
    () =>
      `${length} characters is longer than any IP address (at most ${ADDRESS_MAX_LENGTH})`,
  neverInAddress:
    (text: string, at: number): Why =>
    () =>
      `${describeChar(text.charAt(at))} at index ${at} never appears in an IP address`,
  notHex:
    (text: string, at: number): Why =>
    () =>
      `${describeChar(text.charAt(at))} at index ${at} is not a hex digit, ':' or '.'`,
  zoneOnV4: (): Why => () =>
    'an IPv4 address has no zone id; zone ids (%eth0) are only for IPv6 link-local',
  noZoneOnBytes: (): Why => () => 'an IPv4 address has no zone id',
  octetCount:
    (parts: number): Why =>
    () =>
      `expected 4 decimal octets separated by dots, like 192.0.2.1, found ${parts} part(s)${parts < 4 ? '; shorthand like 127.1 is not accepted' : ''}`,
  octetEmpty:
    (n: number): Why =>
    () =>
      `octet ${n} is empty`,
  octet:
    (n: number, octet: string, problem: string): Why =>
    () =>
      `octet ${n} (${quoteInput(octet)}) ${problem}`,
  gapTwice: (): Why => () => "'::' may appear only once",
  groupCount:
    (count: number): Why =>
    () =>
      `expected 8 groups of 16 bits, found ${count}${count < 8 ? "; use '::' to compress a run of zero groups" : ''}`,
  gapCount:
    (count: number): Why =>
    () =>
      `'::' stands for at least one zero group, but ${count} groups are written besides it`,
  v4NotLast:
    (group: string): Why =>
    () =>
      `the embedded IPv4 part ${quoteInput(group)} must be the last 32 bits`,
  groupEmpty: (): Why => () => "a group is empty: a single ':' cannot start or end an address",
  groupTooLong:
    (group: string): Why =>
    () =>
      `group ${quoteInput(group)} has more than 4 hex digits`,
  zoneEmpty: (): Why => () => "'%' must be followed by a zone id, an interface name like eth0",
  zoneTooLong:
    (length: number): Why =>
    () =>
      `the zone id is ${length} characters, longer than ${ZONE_MAX_LENGTH}`,
  zoneChars:
    (zone: string): Why =>
    () =>
      `the zone id ${quoteInput(zone)} may only contain letters, digits, '_', '.' and '-'`,
  zoneNotLinkLocal:
    (bytes: Uint8Array): Why =>
    () =>
      `a zone id is only meaningful on a link-local address (fe80::/10, or multicast of interface- or link-local scope like ff02::1; RFC 4007 §6), and ${formatBytes(bytes)} is not one`,
};

/** Flags of {@link CHAR_CLASS}: a character of a zone id (`[A-Za-z0-9_.-]`), … */
const IN_ZONE = 1;
/** … of an address (a zone character, ':' or '%'), … */
const IN_ADDRESS = 2;
/** … of IPv6 text before the zone id (a hex digit, ':' or '.'). */
const IN_V6 = 4;

/** The flags of each ASCII character code; any other code has none. */
const CHAR_CLASS = new Uint8Array(128);
for (const char of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-:%') {
  const zone = char !== ':' && char !== '%';
  const v6 = /[0-9A-Fa-f:.]/.test(char);
  CHAR_CLASS[char.charCodeAt(0)] = (zone ? IN_ZONE : 0) | IN_ADDRESS | (v6 ? IN_V6 : 0);
}

function charClass(c: number): number {
  return c < 128 ? (CHAR_CLASS[c] ?? 0) : 0;
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= 0x39;
}

/** The value of a hex digit's character code (any other code gives a meaningless number). */
function hexValue(c: number): number {
  return isDigit(c) ? c - ZERO : (c | 0x20) - 0x57;
}

/** The public error for `text`, with the message `why` gives. */
function rejection(text: string, why: Why): InvalidInputError {
  return new InvalidInputError(
    CODE,
    `invalid IP address ${quoteInput(text)}: ${why()}`,
    text.slice(0, 100),
  );
}

/**
 * Parses an IPv4 address in strict dotted-quad form or an IPv6 address (RFC 4291 §2.2: full,
 * `::`-compressed, with an embedded IPv4 tail, with a `%zone` when link-local).
 *
 * Deliberately strict: no leading zeros in IPv4 octets (`010` is octal to `inet_aton`, decimal to
 * others), no shorthand (`127.1`), no hex or octal octets, no surrounding whitespace.
 *
 * @param text - The address as text, e.g. `'192.0.2.1'`, `'::1'`, `'fe80::1%eth0'`.
 * @returns The family, the bytes in network order, the zone id if any and the canonical text.
 * @throws {InvalidInputError} `BASICS_ERR_INVALID_ADDRESS` when `text` is not a valid address
 *   (the message says which part is wrong and what was expected).
 * @throws {TypeError} when `text` is not a string.
 * @see RFC 4291 §2.2, RFC 4007 §11 (zone ids), RFC 6943 §3.1.1 (the leading-zero ambiguity)
 * @example
 * ```ts
 * parseAddress('::ffff:192.0.2.1').text; // '::ffff:192.0.2.1'
 * parseAddress('2001:DB8:0:0:0:0:0:1').text; // '2001:db8::1'
 * ```
 */
export function parseAddress(text: string): IpAddress {
  if (typeof text !== 'string') {
    throw new TypeError(`parseAddress expects a string, got ${typeof text}`);
  }
  const family = scan(text, 0, text.length);
  if (typeof family === 'function') throw rejection(text, family);
  const bytes = SCRATCH.slice(0, family === 4 ? 4 : 16);
  const percent = family === 6 ? text.indexOf('%') : -1;
  return fromBytes(bytes, percent < 0 ? undefined : text.slice(percent + 1));
}

/**
 * Scans the address `text[start, end)` into the scratch bytes without copying it out: its family,
 * or `undefined` when it is not an address ({@link parseAddress} on that text says why). For
 * `parseEndpoint`, which reads the host inside the endpoint text where it lies, so that a valid
 * endpoint costs no intermediate string. Read the bytes with {@link scannedV6Text} at once: the
 * next scan overwrites them.
 */
export function scanAddress(text: string, start: number, end: number): IpFamily | undefined {
  const family = scan(text, start, end);
  return typeof family === 'function' ? undefined : family;
}

/** The canonical text of the IPv6 address {@link scanAddress} just scanned (without its zone). */
export function scannedV6Text(): string {
  return formatBytes(SCRATCH);
}

/** Scans `text[start, end)` into {@link SCRATCH}: its family, or why it is not an address. */
function scan(text: string, start: number, end: number): IpFamily | Why {
  const length = end - start;
  if (length <= 0) return because.empty();
  if (length > ADDRESS_MAX_LENGTH) return because.tooLong(length);
  let colon = false;
  let dots = 0;
  let percent = -1;
  let notHex = -1; // the first character before any '%' that is not a hex digit, ':' or '.'
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    const flags = charClass(c);
    if ((flags & IN_ADDRESS) === 0) return because.neverInAddress(text, i);
    if (c === COLON) colon = true;
    else if (c === DOT) dots++;
    else if (c === PERCENT && percent < 0) percent = i;
    if ((flags & IN_V6) === 0 && notHex < 0 && percent < 0) notHex = i;
  }
  if (colon) {
    if (notHex >= 0) return because.notHex(text, notHex);
    const body = percent < 0 ? end : percent;
    return (
      scanV6(text, start, body) ??
      (percent < 0 ? 6 : (zoneProblem(SCRATCH, text, body + 1, end) ?? 6))
    );
  }
  if (percent >= 0) return because.zoneOnV4();
  return scanV4(text, start, end, dots + 1, 0) ?? 4;
}

function describeChar(char: string): string {
  if (char === '\0') return 'a NUL byte';
  if (/\s/.test(char)) return `whitespace (${JSON.stringify(char)})`;
  return `the character ${JSON.stringify(char)}`;
}

/** Scans the dotted quad `text[start, end)`, in `parts` parts, into `SCRATCH[at, at + 4)`. */
function scanV4(
  text: string,
  start: number,
  end: number,
  parts: number,
  at: number,
): Why | undefined {
  if (parts !== 4) return because.octetCount(parts);
  let from = start;
  for (let n = 0; n < 4; n++) {
    let to = from;
    let value = 0;
    let decimal = true;
    for (; to < end; to++) {
      const c = text.charCodeAt(to);
      if (c === DOT) break;
      if (isDigit(c)) value = value * 10 + c - ZERO;
      else decimal = false;
    }
    if (to === from) return because.octetEmpty(n + 1);
    const problem = !decimal
      ? 'is not a decimal number'
      : to - from > 1 && text.charCodeAt(from) === ZERO
        ? 'has a leading zero, which some parsers read as octal (010 = 8); write it without leading zeros'
        : to - from > 3 || value > 255
          ? 'is above 255'
          : undefined;
    if (problem !== undefined) return because.octet(n + 1, text.slice(from, to), problem);
    SCRATCH[at + n] = value;
    from = to + 1;
  }
  return undefined;
}

/** Scans the IPv6 text `text[start, end)` (hex digits, ':' and '.' only) into {@link SCRATCH}. */
function scanV6(text: string, start: number, end: number): Why | undefined {
  let gap = text.indexOf('::', start);
  if (gap + 2 > end) gap = -1; // none, or only past the address (its zone id)
  if (gap >= 0) {
    const again = text.indexOf('::', gap + 1);
    if (again >= 0 && again + 2 <= end) return because.gapTwice();
  }
  const head = scanGroups(text, start, gap < 0 ? end : gap, gap < 0, 0);
  if (typeof head !== 'number') return head;
  const tail = gap < 0 ? 0 : scanGroups(text, gap + 2, end, true, head);
  if (typeof tail !== 'number') return tail;
  const count = head + tail;
  if (gap < 0 && count !== 8) return because.groupCount(count);
  if (gap >= 0 && count > 7) return because.gapCount(count);
  const zeros = 8 - count; // the groups '::' stands for, between the head and the tail
  for (let i = 0; i < 8; i++) {
    const word = (i < head ? WORDS[i] : i < head + zeros ? 0 : WORDS[i - zeros]) ?? 0;
    SCRATCH[2 * i] = word >> 8;
    SCRATCH[2 * i + 1] = word & 0xff;
  }
  return undefined;
}

/**
 * Scans `a:b:c` in `text[start, end)` into {@link WORDS} from index `first`, and counts the words
 * (an IPv4 tail, allowed as the last group when `v4Last`, is two). Words past the 8th are counted,
 * not kept: the address is rejected for its count anyway.
 */
function scanGroups(
  text: string,
  start: number,
  end: number,
  v4Last: boolean,
  first: number,
): number | Why {
  if (start === end) return 0;
  let count = first;
  for (let from = start; ; ) {
    let to = from;
    let word = 0;
    let dots = 0;
    for (; to < end; to++) {
      const c = text.charCodeAt(to);
      if (c === COLON) break;
      if (c === DOT) dots++;
      else word = (word << 4) | hexValue(c);
    }
    if (dots > 0) {
      if (!v4Last || to !== end) return because.v4NotLast(text.slice(from, to));
      const v4 = scanV4(text, from, to, dots + 1, 12);
      if (v4 !== undefined) return v4;
      if (count < 7) {
        WORDS[count] = ((SCRATCH[12] ?? 0) << 8) | (SCRATCH[13] ?? 0);
        WORDS[count + 1] = ((SCRATCH[14] ?? 0) << 8) | (SCRATCH[15] ?? 0);
      }
      count += 2;
    } else if (to === from) {
      return because.groupEmpty();
    } else if (to - from > 4) {
      return because.groupTooLong(text.slice(from, to));
    } else {
      if (count < 8) WORDS[count] = word;
      count++;
    }
    if (to === end) return count - first;
    from = to + 1;
  }
}

function isLinkLocalScope(bytes: Uint8Array): boolean {
  const first = bytes[0] ?? 0;
  const second = bytes[1] ?? 0;
  if (first === 0xfe) return (second & 0xc0) === 0x80; // fe80::/10
  if (first === 0xff) return (second & 0x0f) === 1 || (second & 0x0f) === 2; // multicast scope 1 or 2
  return false;
}

/** Checks the zone id `text[from, end)` of the IPv6 address `bytes`. */
function zoneProblem(bytes: Uint8Array, text: string, from: number, end: number): Why | undefined {
  const length = end - from;
  if (length === 0) return because.zoneEmpty();
  if (length > ZONE_MAX_LENGTH) return because.zoneTooLong(length);
  for (let i = from; i < end; i++) {
    if ((charClass(text.charCodeAt(i)) & IN_ZONE) === 0) {
      return because.zoneChars(text.slice(from, end));
    }
  }
  if (!isLinkLocalScope(bytes)) return because.zoneNotLinkLocal(bytes.slice());
  return undefined;
}

function fromBytes(bytes: Uint8Array, zone: string | undefined): IpAddress {
  const family: IpFamily = bytes.length === 4 ? 4 : 6;
  if (zone === undefined) return { family, bytes, text: formatBytes(bytes) };
  return { family, bytes, zone, text: `${formatBytes(bytes)}%${zone}` };
}

/**
 * Builds an {@link IpAddress} from raw bytes (4 for IPv4, 16 for IPv6), e.g. from a packet header.
 *
 * @param bytes - The address in network byte order; copied, not kept.
 * @param zone - A zone id, allowed only for a link-local IPv6 address.
 * @throws {RangeError} when `bytes` is not 4 or 16 bytes long.
 * @throws {TypeError} when `zone` is given but is not a string.
 * @throws {InvalidInputError} `BASICS_ERR_INVALID_ADDRESS` for a zone id that is malformed or not allowed.
 * @example
 * ```ts
 * addressFromBytes(new Uint8Array([127, 0, 0, 1])).text; // '127.0.0.1'
 * ```
 */
export function addressFromBytes(bytes: Uint8Array, zone?: string): IpAddress {
  if (!(bytes instanceof Uint8Array) || (bytes.length !== 4 && bytes.length !== 16)) {
    throw new RangeError('an IP address is 4 bytes (IPv4) or 16 bytes (IPv6)');
  }
  const copy = Uint8Array.from(bytes);
  if (zone !== undefined) {
    if (typeof zone !== 'string') {
      throw new TypeError(`a zone id is a string, like 'eth0', got ${typeof zone}`);
    }
    const whole = `${formatBytes(copy)}%${zone}`;
    const why =
      copy.length === 4
        ? because.noZoneOnBytes()
        : zoneProblem(copy, whole, whole.length - zone.length, whole.length);
    if (why !== undefined) throw rejection(whole, why);
  }
  return fromBytes(copy, zone);
}

/**
 * True when `text` is a valid IPv4 address by {@link parseAddress}'s strict rules. Never throws.
 * @example
 * ```ts
 * isIPv4('192.0.2.1'); // true
 * isIPv4('127.1'); // false
 * ```
 */
export function isIPv4(text: unknown): boolean {
  return typeof text === 'string' && !text.includes(':') && scan(text, 0, text.length) === 4;
}

/**
 * True when `text` is a valid IPv6 address (zone id included) by {@link parseAddress}'s rules.
 * Never throws.
 * @example
 * ```ts
 * isIPv6('fe80::1%eth0'); // true
 * isIPv6('::1%eth0'); // false: a zone id belongs on a link-local address only
 * ```
 */
export function isIPv6(text: unknown): boolean {
  return typeof text === 'string' && text.includes(':') && scan(text, 0, text.length) === 6;
}
