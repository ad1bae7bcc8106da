/**
 * The address classifier: which special-purpose range (IANA registries, RFC 6890) an address is
 * in, with the RFC that says so. The ranges themselves are data, in `ranges.ts`.
 */

import { isV4Mapped } from './format.ts';
import type { IpAddress, IpFamily } from './ip-address.ts';
import { addressFromBytes, parseAddress } from './parse.ts';
import {
  type AddressScope,
  IPV4_SPECIAL_RANGES,
  IPV6_SPECIAL_RANGES,
  type SpecialRange,
} from './ranges.ts';

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
