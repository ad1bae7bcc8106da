/**
 * The special-purpose address ranges that `classifyAddress` (classify.ts) knows, as data: the IANA
 * special-purpose registries (RFC 6890) reduced to what a socket programmer needs.
 */

/** Where an address can be reached from, per the IANA special-purpose registries (RFC 6890). */
export const ADDRESS_SCOPES = [
  'unspecified',
  'loopback',
  'private',
  'shared',
  'link-local',
  'unique-local',
  'multicast',
  'broadcast',
  'documentation',
  'reserved',
  'global',
] as const;

/** One of {@link ADDRESS_SCOPES}. */
export type AddressScope = (typeof ADDRESS_SCOPES)[number];

/** One special-purpose range: CIDR, the scope it gives, and why (naming the RFC). */
export interface SpecialRange {
  readonly cidr: string;
  readonly scope: AddressScope;
  readonly reason: string;
}

/**
 * Special-purpose IPv4 ranges, most specific first (IANA IPv4 Special-Purpose Address Registry).
 * @see RFC 6890
 */
export const IPV4_SPECIAL_RANGES = [
  {
    cidr: '0.0.0.0/32',
    scope: 'unspecified',
    reason:
      'the unspecified address, "this host" (RFC 1122 §3.2.1.3); binding to it means every interface',
  },
  {
    cidr: '255.255.255.255/32',
    scope: 'broadcast',
    reason: 'limited broadcast (RFC 919, RFC 8190)',
  },
  {
    cidr: '0.0.0.0/8',
    scope: 'reserved',
    reason: '"this network", never a destination (RFC 1122 §3.2.1.3)',
  },
  { cidr: '10.0.0.0/8', scope: 'private', reason: 'private-use network (RFC 1918)' },
  {
    cidr: '100.64.0.0/10',
    scope: 'shared',
    reason: 'shared address space for carrier-grade NAT (RFC 6598)',
  },
  {
    cidr: '127.0.0.0/8',
    scope: 'loopback',
    reason: 'loopback, never leaves the host (RFC 1122 §3.2.1.3)',
  },
  { cidr: '169.254.0.0/16', scope: 'link-local', reason: 'link-local, self-assigned (RFC 3927)' },
  { cidr: '172.16.0.0/12', scope: 'private', reason: 'private-use network (RFC 1918)' },
  { cidr: '192.0.0.0/24', scope: 'reserved', reason: 'IETF protocol assignments (RFC 6890)' },
  { cidr: '192.0.2.0/24', scope: 'documentation', reason: 'documentation, TEST-NET-1 (RFC 5737)' },
  { cidr: '192.168.0.0/16', scope: 'private', reason: 'private-use network (RFC 1918)' },
  { cidr: '198.18.0.0/15', scope: 'reserved', reason: 'network benchmarking (RFC 2544)' },
  {
    cidr: '198.51.100.0/24',
    scope: 'documentation',
    reason: 'documentation, TEST-NET-2 (RFC 5737)',
  },
  {
    cidr: '203.0.113.0/24',
    scope: 'documentation',
    reason: 'documentation, TEST-NET-3 (RFC 5737)',
  },
  { cidr: '224.0.0.0/4', scope: 'multicast', reason: 'multicast (RFC 5771)' },
  { cidr: '240.0.0.0/4', scope: 'reserved', reason: 'reserved for future use (RFC 1112 §4)' },
] as const satisfies readonly SpecialRange[];

/**
 * Special-purpose IPv6 ranges, most specific first (IANA IPv6 Special-Purpose Address Registry).
 * IPv4-mapped addresses (`::ffff:0:0/96`) are classified by the IPv4 address they carry.
 * @see RFC 6890
 */
export const IPV6_SPECIAL_RANGES = [
  {
    cidr: '::/128',
    scope: 'unspecified',
    reason: 'the unspecified address (RFC 4291 §2.5.2); binding to it means every interface',
  },
  {
    cidr: '::1/128',
    scope: 'loopback',
    reason: 'loopback, never leaves the host (RFC 4291 §2.5.3)',
  },
  {
    cidr: '64:ff9b::/96',
    scope: 'global',
    reason: 'NAT64 well-known prefix carrying a global IPv4 address (RFC 6052)',
  },
  {
    cidr: '::/8',
    scope: 'reserved',
    reason: 'reserved by the IETF, incl. deprecated IPv4-compatible addresses (RFC 4291 §2.4)',
  },
  { cidr: '100::/64', scope: 'reserved', reason: 'discard-only prefix (RFC 6666)' },
  { cidr: '2001:db8::/32', scope: 'documentation', reason: 'documentation (RFC 3849)' },
  { cidr: '3fff::/20', scope: 'documentation', reason: 'documentation (RFC 9637)' },
  {
    cidr: 'fc00::/7',
    scope: 'unique-local',
    reason: 'unique local addresses, the IPv6 private range (RFC 4193)',
  },
  {
    cidr: 'fe80::/10',
    scope: 'link-local',
    reason: 'link-local unicast, needs a zone id to use (RFC 4291 §2.5.6)',
  },
  { cidr: 'fec0::/10', scope: 'reserved', reason: 'deprecated site-local (RFC 3879)' },
  { cidr: 'ff00::/8', scope: 'multicast', reason: 'multicast (RFC 4291 §2.7)' },
] as const satisfies readonly SpecialRange[];
