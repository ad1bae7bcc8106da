/**
 * The key a per-address limit counts under: an IPv4 address as it is, an IPv6 address cut to its
 * network prefix (one subscriber usually holds a whole /64), an IPv4-mapped IPv6 address as IPv4.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** Options of {@link addressKey}. */
export interface AddressKeyOptions {
  /**
   * How many leading bits of an IPv6 address name one client: 64 by default, since an ISP
   * gives each subscriber at least a /64 (RFC 6177) and a host can pick any of its 2^64
   * addresses. A multiple of 16 from 16 to 128. @default 64
   */
  readonly ipv6PrefixBits?: number;
}

/** Expands an IPv6 address (no zone) into its eight 16-bit groups, or undefined if it is not one. */
function ipv6Groups(address: string): number[] | undefined {
  if (!isIPv6(address)) return undefined;
  // A dotted IPv4 tail (::ffff:192.0.2.1) is the last two groups: rewrite it as two hex groups.
  const text = address.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) => {
    const hex = (x: string, y: string): string => ((Number(x) << 8) | Number(y)).toString(16);
    return `${hex(a, b)}:${hex(c, d)}`;
  });
  const [head = '', tail] = text.split('::');
  const parse = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const zeros = 8 - left.length - right.length;
  return [...left, ...new Array<number>(zeros).fill(0), ...right];
}

/**
 * The key to count a client's address under.
 *
 * - `192.0.2.7` → `192.0.2.7`; `::ffff:192.0.2.7` (how a dual-stack server sees IPv4) → `192.0.2.7`.
 * - `2001:db8:1:2:a:b:c:d` → `2001:db8:1:2::/64`: every address of the /64 shares one bucket.
 * - Anything else (a zone, a Unix socket path, `undefined`) → the text itself, or `'unknown'`.
 *
 * Behind a reverse proxy every client has the proxy's address: key on the address the proxy
 * forwards (`X-Forwarded-For`'s last hop you trust), never on a header a client can set freely.
 * @throws {RangeError} for an `ipv6PrefixBits` that is not a multiple of 16 in 16..128.
 * @see https://www.rfc-editor.org/rfc/rfc6177 (IPv6 address assignment to end sites)
 * @example addressKey('2001:db8::1') // '2001:db8:0:0::/64'
 */
export function addressKey(address: string | undefined, options: AddressKeyOptions = {}): string {
  const bits = options.ipv6PrefixBits ?? 64;
  if (!Number.isInteger(bits) || bits < 16 || bits > 128 || bits % 16 !== 0) {
    throw new RangeError(`ipv6PrefixBits must be a multiple of 16 in 16..128, got ${String(bits)}`);
  }
  if (address === undefined || address === '') return 'unknown';
  if (isIPv4(address)) return address;
  const groups = ipv6Groups(address);
  if (groups === undefined) return address;
  // ::ffff:a.b.c.d — an IPv4 client seen through a dual-stack socket.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi = 0, lo = 0] = groups.slice(6);
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  }
  const kept = groups.slice(0, bits / 16).map((g) => g.toString(16));
  return bits === 128 ? kept.join(':') : `${kept.join(':')}::/${bits}`;
}
