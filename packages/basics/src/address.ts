import type { AddressScope } from './address-ranges.ts';
import { IPV4_SPECIAL_RANGES, IPV6_SPECIAL_RANGES, type SpecialRange } from './address-ranges.ts';
import { InvalidInputError, quoteInput } from './errors.ts';

export {
  ADDRESS_SCOPES,
  type AddressScope,
  IPV4_SPECIAL_RANGES,
  IPV6_SPECIAL_RANGES,
  type SpecialRange,
} from './address-ranges.ts';

/** An address family as a number: 4 for IPv4 (`AF_INET`), 6 for IPv6 (`AF_INET6`). */
export type IpFamily = 4 | 6;

/** A parsed IP address: the bytes a socket address carries, plus the zone id for link-local IPv6. */
export interface IpAddress {
  /** 4 for IPv4 (`AF_INET`), 6 for IPv6 (`AF_INET6`). */
  readonly family: IpFamily;
  /** The address in network byte order: 4 bytes for IPv4, 16 for IPv6. */
  readonly bytes: Uint8Array;
  /** The zone id (interface) of a link-local IPv6 address, as in `fe80::1%eth0`. */
  readonly zone?: string;
  /** The canonical text form (see {@link formatAddress}), with `%zone` when there is one. */
  readonly text: string;
}

/** What {@link classifyAddress} found out about an address. */
export interface AddressInfo {
  readonly address: IpAddress;
  readonly family: IpFamily;
  /** The kind of range the address is in; for an IPv4-mapped address, the scope of the IPv4 inside. */
  readonly scope: AddressScope;
  /** The special-purpose range it matched, in CIDR form (absent for `global`). */
  readonly range?: string;
  /** Why: the range and the RFC that defines it. */
  readonly reason: string;
  /** True for `::ffff:a.b.c.d`, an IPv4 address carried in an IPv6 socket (RFC 4291 §2.5.5.2). */
  readonly v4Mapped: boolean;
  /** For an IPv4-mapped address, the classification of the IPv4 address inside it. */
  readonly embedded?: AddressInfo;
}

/**
 * The longest text {@link parseAddress} looks at: the longest IPv6 text (45 characters, as
 * `INET6_ADDRSTRLEN` counts without its NUL), a `%` and a {@link MAX_ZONE_LENGTH}-character zone id.
 * Anything longer is rejected before any parsing work.
 */
export const MAX_ADDRESS_LENGTH = 78;

/** The longest zone id accepted (Linux interface names are at most 15 bytes; 32 leaves room). */
export const MAX_ZONE_LENGTH = 32;

const ZONE_PATTERN = /^[A-Za-z0-9_.-]+$/;
const CODE = 'BASICS_ERR_INVALID_ADDRESS';

/**
 * A rejection inside the parser. Deliberately not an Error: capturing a stack trace for every
 * rejected string made `isIPv4`/`isIPv6` two orders of magnitude slower than `net.isIP`. The public
 * functions turn it into an {@link InvalidInputError} at their edge.
 */
class Rejection {
  constructor(
    readonly text: string,
    readonly why: string,
  ) {}
}

function invalid(text: string, why: string): Rejection {
  return new Rejection(text, why);
}

/** Runs `parse`, turning an internal rejection into the public typed error. */
function rejecting<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof Rejection)) throw err;
    throw new InvalidInputError(
      CODE,
      `invalid IP address ${quoteInput(err.text)}: ${err.why}`,
      err.text.slice(0, 100),
    );
  }
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
  return rejecting(() => parseUnchecked(text));
}

function parseUnchecked(text: string): IpAddress {
  if (text.length === 0) throw invalid(text, 'it is empty');
  if (text.length > MAX_ADDRESS_LENGTH) {
    throw invalid(
      text,
      `${text.length} characters is longer than any IP address (at most ${MAX_ADDRESS_LENGTH})`,
    );
  }
  const bad = /[^0-9A-Za-z.:%_-]/.exec(text);
  if (bad)
    throw invalid(
      text,
      `${describeChar(bad[0])} at index ${bad.index} never appears in an IP address`,
    );
  if (text.includes(':')) return parseV6(text);
  if (text.includes('%')) {
    throw invalid(
      text,
      'an IPv4 address has no zone id; zone ids (%eth0) are only for IPv6 link-local',
    );
  }
  return fromBytes(parseV4Bytes(text, text), undefined);
}

function describeChar(char: string): string {
  if (char === '\0') return 'a NUL byte';
  if (/\s/.test(char)) return `whitespace (${JSON.stringify(char)})`;
  return `the character ${JSON.stringify(char)}`;
}

function parseV4Bytes(part: string, whole: string): Uint8Array {
  const octets = part.split('.');
  if (octets.length !== 4) {
    const hint = octets.length < 4 ? '; shorthand like 127.1 is not accepted' : '';
    throw invalid(
      whole,
      `expected 4 decimal octets separated by dots, like 192.0.2.1, found ${octets.length} part(s)${hint}`,
    );
  }
  const bytes = new Uint8Array(4);
  octets.forEach((octet, i) => {
    const which = (): string => `octet ${i + 1} (${quoteInput(octet)})`;
    if (octet === '') throw invalid(whole, `octet ${i + 1} is empty`);
    if (!/^[0-9]+$/.test(octet)) throw invalid(whole, `${which()} is not a decimal number`);
    if (octet.length > 1 && octet.startsWith('0')) {
      throw invalid(
        whole,
        `${which()} has a leading zero, which some parsers read as octal (010 = 8); write it without leading zeros`,
      );
    }
    if (octet.length > 3 || Number(octet) > 255) throw invalid(whole, `${which()} is above 255`);
    bytes[i] = Number(octet);
  });
  return bytes;
}

function parseV6(text: string): IpAddress {
  const percent = text.indexOf('%');
  const body = percent < 0 ? text : text.slice(0, percent);
  const bad = /[^0-9A-Fa-f:.]/.exec(body);
  if (bad)
    throw invalid(
      text,
      `${describeChar(bad[0])} at index ${bad.index} is not a hex digit, ':' or '.'`,
    );
  const bytes = parseV6Bytes(body, text);
  if (percent < 0) return fromBytes(bytes, undefined);
  const zone = text.slice(percent + 1);
  checkZone(bytes, zone, text);
  return fromBytes(bytes, zone);
}

function parseV6Bytes(body: string, whole: string): Uint8Array {
  const gap = body.indexOf('::');
  if (gap >= 0 && body.indexOf('::', gap + 1) >= 0)
    throw invalid(whole, "'::' may appear only once");
  const head = gap < 0 ? body : body.slice(0, gap);
  const tail = gap < 0 ? '' : body.slice(gap + 2);
  const headWords = parseGroups(head, whole, gap < 0 ? 'last' : 'none');
  const tailWords = parseGroups(tail, whole, 'last');
  const count = headWords.length + tailWords.length;
  if (gap < 0 && count !== 8) {
    throw invalid(
      whole,
      `expected 8 groups of 16 bits, found ${count}${count < 8 ? "; use '::' to compress a run of zero groups" : ''}`,
    );
  }
  if (gap >= 0 && count > 7) {
    throw invalid(
      whole,
      `'::' stands for at least one zero group, but ${count} groups are written besides it`,
    );
  }
  const words = [...headWords, ...new Array<number>(8 - count).fill(0), ...tailWords];
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    bytes[2 * i] = word >> 8;
    bytes[2 * i + 1] = word & 0xff;
  });
  return bytes;
}

/** Parses `a:b:c` into 16-bit words; an IPv4 tail (two words) may be the last group when allowed. */
function parseGroups(part: string, whole: string, v4Allowed: 'last' | 'none'): number[] {
  if (part === '') return [];
  const groups = part.split(':');
  const words: number[] = [];
  groups.forEach((group, i) => {
    if (group.includes('.')) {
      if (v4Allowed !== 'last' || i !== groups.length - 1) {
        throw invalid(
          whole,
          `the embedded IPv4 part ${quoteInput(group)} must be the last 32 bits`,
        );
      }
      const v4 = parseV4Bytes(group, whole);
      words.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      return;
    }
    if (group === '')
      throw invalid(whole, "a group is empty: a single ':' cannot start or end an address");
    if (group.length > 4)
      throw invalid(whole, `group ${quoteInput(group)} has more than 4 hex digits`);
    words.push(Number.parseInt(group, 16));
  });
  return words;
}

function isLinkLocalScope(bytes: Uint8Array): boolean {
  const [first = 0, second = 0] = bytes;
  if (first === 0xfe) return (second & 0xc0) === 0x80; // fe80::/10
  if (first === 0xff) return (second & 0x0f) === 1 || (second & 0x0f) === 2; // multicast scope 1 or 2
  return false;
}

function checkZone(bytes: Uint8Array, zone: string, whole: string): void {
  if (zone === '')
    throw invalid(whole, "'%' must be followed by a zone id, an interface name like eth0");
  if (zone.length > MAX_ZONE_LENGTH) {
    throw invalid(
      whole,
      `the zone id is ${zone.length} characters, longer than ${MAX_ZONE_LENGTH}`,
    );
  }
  if (!ZONE_PATTERN.test(zone)) {
    throw invalid(
      whole,
      `the zone id ${quoteInput(zone)} may only contain letters, digits, '_', '.' and '-'`,
    );
  }
  if (!isLinkLocalScope(bytes)) {
    throw invalid(
      whole,
      `a zone id is only meaningful on a link-local address (fe80::/10, or multicast of interface- or link-local scope like ff02::1; RFC 4007 §6), and ${formatBytes(bytes)} is not one`,
    );
  }
}

function fromBytes(bytes: Uint8Array, zone: string | undefined): IpAddress {
  const family: IpFamily = bytes.length === 4 ? 4 : 6;
  const text = formatBytes(bytes) + (zone === undefined ? '' : `%${zone}`);
  return zone === undefined ? { family, bytes, text } : { family, bytes, zone, text };
}

/**
 * Builds an {@link IpAddress} from raw bytes (4 for IPv4, 16 for IPv6), e.g. from a packet header.
 *
 * @param bytes - The address in network byte order; copied, not kept.
 * @param zone - A zone id, allowed only for a link-local IPv6 address.
 * @throws {RangeError} when `bytes` is not 4 or 16 bytes long.
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
  return rejecting(() => withZone(copy, zone));
}

function withZone(copy: Uint8Array, zone: string | undefined): IpAddress {
  if (zone !== undefined) {
    if (copy.length === 4)
      throw invalid(`${formatBytes(copy)}%${zone}`, 'an IPv4 address has no zone id');
    checkZone(copy, zone, `${formatBytes(copy)}%${zone}`);
  }
  return fromBytes(copy, zone);
}

/**
 * Formats an address canonically: dotted decimal for IPv4; for IPv6 the RFC 5952 form — lowercase,
 * no leading zeros, the longest run of two or more zero groups compressed to `::` (the first one
 * on a tie), and an IPv4-mapped address written `::ffff:a.b.c.d` (RFC 5952 §5).
 *
 * @param address - A parsed address (or any `{ bytes, zone? }` of 4 or 16 bytes).
 * @returns The canonical text, with `%zone` appended when there is a zone id.
 * @throws {RangeError} when `bytes` is not 4 or 16 bytes long.
 * @see RFC 5952 §4
 * @example
 * ```ts
 * formatAddress(parseAddress('2001:0db8:0000:0000:0001:0000:0000:0001')); // '2001:db8::1:0:0:1'
 * ```
 */
export function formatAddress(address: Pick<IpAddress, 'bytes' | 'zone'>): string {
  const { bytes, zone } = address;
  if (!(bytes instanceof Uint8Array) || (bytes.length !== 4 && bytes.length !== 16)) {
    throw new RangeError('an IP address is 4 bytes (IPv4) or 16 bytes (IPv6)');
  }
  return formatBytes(bytes) + (zone === undefined ? '' : `%${zone}`);
}

function formatBytes(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.');
  if (isV4Mapped(bytes)) return `::ffff:${bytes.subarray(12).join('.')}`;
  const words = Array.from(
    { length: 8 },
    (_, i) => ((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0),
  );
  let bestAt = -1;
  let bestLength = 1; // a single zero group is never compressed (RFC 5952 §4.2.2)
  for (let at = 0; at < 8; ) {
    let end = at;
    while (end < 8 && words[end] === 0) end++;
    if (end - at > bestLength) [bestAt, bestLength] = [at, end - at];
    at = Math.max(end, at + 1);
  }
  const hex = (list: number[]): string => list.map((w) => w.toString(16)).join(':');
  if (bestAt < 0) return hex(words);
  return `${hex(words.slice(0, bestAt))}::${hex(words.slice(bestAt + bestLength))}`;
}

function isV4Mapped(bytes: Uint8Array): boolean {
  return (
    bytes.length === 16 &&
    bytes.subarray(0, 10).every((b) => b === 0) &&
    bytes[10] === 0xff &&
    bytes[11] === 0xff
  );
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
  return familyOf(text) === 4;
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
  return familyOf(text) === 6;
}

function familyOf(text: unknown): IpFamily | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    return parseUnchecked(text).family;
  } catch (err) {
    if (err instanceof Rejection) return undefined;
    throw err;
  }
}

const compiled = (ranges: readonly SpecialRange[]) =>
  ranges.map((range) => {
    const [base = '', bits = ''] = range.cidr.split('/');
    return { ...range, bytes: parseAddress(base).bytes, bits: Number(bits) };
  });
const V4_TABLE = compiled(IPV4_SPECIAL_RANGES);
const V6_TABLE = compiled(IPV6_SPECIAL_RANGES);

function inPrefix(bytes: Uint8Array, prefix: Uint8Array, bits: number): boolean {
  for (let i = 0; i * 8 < bits; i++) {
    const mask = bits - i * 8 >= 8 ? 0xff : (0xff << (8 - (bits - i * 8))) & 0xff;
    if (((bytes[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

/**
 * Classifies an address by the special-purpose range it falls in: loopback, private (RFC 1918),
 * link-local, multicast, documentation, shared (RFC 6598), unique-local (RFC 4193), … or global.
 * An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`, what a dual-stack socket reports for an IPv4
 * peer) gets the scope of the IPv4 address it carries, which is also in `embedded`.
 *
 * @param input - An address as text, or an already parsed {@link IpAddress}.
 * @returns The scope, the matched range (CIDR), a reason naming the RFC, and v4-mapped details.
 * @throws {InvalidInputError} `BASICS_ERR_INVALID_ADDRESS` when `input` is not a valid address.
 * @throws {TypeError} when `input` is neither a string nor an address object.
 * @see RFC 6890 (special-purpose registries), RFC 4291 §2.5.5.2 (IPv4-mapped)
 * @example
 * ```ts
 * classifyAddress('10.1.2.3').scope; // 'private'
 * classifyAddress('::ffff:127.0.0.1'); // { scope: 'loopback', v4Mapped: true, … }
 * ```
 */
export function classifyAddress(input: string | IpAddress): AddressInfo {
  if (typeof input !== 'string' && (typeof input !== 'object' || input === null)) {
    throw new TypeError(
      `classifyAddress expects a string or an IpAddress, got ${input === null ? 'null' : typeof input}`,
    );
  }
  const address =
    typeof input === 'string' ? parseAddress(input) : addressFromBytes(input.bytes, input.zone);
  const { family, bytes } = address;
  if (isV4Mapped(bytes)) {
    const embedded = classifyAddress(addressFromBytes(bytes.subarray(12)));
    const reason = `IPv4-mapped IPv6 address (::ffff:0:0/96, RFC 4291 §2.5.5.2) carrying ${embedded.address.text}, ${embedded.reason}`;
    return {
      address,
      family,
      scope: embedded.scope,
      range: '::ffff:0:0/96',
      reason,
      v4Mapped: true,
      embedded,
    };
  }
  const hit = (family === 4 ? V4_TABLE : V6_TABLE).find((r) => inPrefix(bytes, r.bytes, r.bits));
  if (hit === undefined) {
    const registry = family === 4 ? 'IPv4' : 'IPv6';
    const reason = `in no range of the IANA ${registry} Special-Purpose Address Registry (RFC 6890): globally routable`;
    return { address, family, scope: 'global', reason, v4Mapped: false };
  }
  return {
    address,
    family,
    scope: hit.scope,
    range: hit.cidr,
    reason: `${hit.cidr}: ${hit.reason}`,
    v4Mapped: false,
  };
}
