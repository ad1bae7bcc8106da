import type { HostPort, Ipv4Scope } from '../../exercises/02-addresses/exercise.ts';
import { parseEndpoint } from '../../src/addresses/endpoint.ts';
import { classifyAddress, parseAddress } from '../../src/addresses/index.ts';
import { InvalidInputError, quoteInput } from '../../src/errors.ts';

export type { HostPort, Ipv4Scope };

/** Parses a strict dotted-quad IPv4 address into its 4 octets. */
export function parseIPv4(text: string): number[] {
  const address = parseAddress(text);
  if (address.family !== 4) {
    throw new InvalidInputError(
      'BASICS_ERR_INVALID_ADDRESS',
      `${quoteInput(text)} is an IPv6 address; expected IPv4 like 192.0.2.1`,
      text.slice(0, 100),
    );
  }
  return Array.from(address.bytes);
}

/** Says which special-purpose range an IPv4 address is in. */
export function classifyIPv4(text: string): Ipv4Scope {
  parseIPv4(text);
  return classifyAddress(text).scope as Ipv4Scope;
}

/** Splits `host:port` or `[ipv6]:port` into host and port. */
export function splitHostPort(text: string): HostPort {
  const endpoint = parseEndpoint(text);
  if (endpoint.kind === 'unix') {
    throw new InvalidInputError(
      'BASICS_ERR_INVALID_ENDPOINT',
      `${quoteInput(text)} is a unix socket path; expected host:port`,
      text.slice(0, 100),
    );
  }
  return { host: endpoint.host, port: endpoint.port };
}
