// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter
/** The scope of an IPv4 address: which special-purpose range it is in (see the README's table). */
export type Ipv4Scope =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'shared'
  | 'link-local'
  | 'documentation'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'global';

/** An endpoint split into its host (without brackets) and its port. */
export interface HostPort {
  host: string;
  port: number;
}

/**
 * Parses a strict dotted-quad IPv4 address into its 4 octets.
 * @example parseIPv4('192.0.2.1') // [192, 0, 2, 1]
 */
export function parseIPv4(text: string): number[] {
  // TODO: split on '.', require exactly 4 parts of 1-3 decimal digits, no leading zeros, each 0-255.
  throw new Error('not implemented yet: read exercises/02-addresses/README.md');
}

/**
 * Says which special-purpose range an IPv4 address is in.
 * @example classifyIPv4('10.1.2.3') // 'private'
 */
export function classifyIPv4(text: string): Ipv4Scope {
  // TODO: parse the address, then check the README's ranges, narrowest first.
  throw new Error('not implemented yet: read exercises/02-addresses/README.md');
}

/**
 * Splits `host:port` or `[ipv6]:port` into host and port.
 * @example splitHostPort('[::1]:80') // { host: '::1', port: 80 }
 */
export function splitHostPort(text: string): HostPort {
  // TODO: handle '[v6]:port' and 'host:port'; reject a bare IPv6 address, a missing or bad port.
  throw new Error('not implemented yet: read exercises/02-addresses/README.md');
}
