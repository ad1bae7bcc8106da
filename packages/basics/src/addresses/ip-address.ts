/** The shape of a parsed IP address, shared by the parser, the formatter and the classifier. */

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
