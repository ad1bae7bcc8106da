/**
 * Addresses, ports and endpoints (B2, B3): parse, format and classify IPv4/IPv6 addresses, ports and host:port endpoints.
 *
 * Other areas import this area only through this file; `src/index.ts` chooses the public names.
 */

export { type AddressInfo, classifyAddress } from './classify.ts';
export {
  ENDPOINT_MAX_LENGTH,
  type Endpoint,
  formatEndpoint,
  type ParseEndpointOptions,
  parseEndpoint,
  unixPathLimit,
} from './endpoint.ts';
export { formatAddress } from './format.ts';
export type { IpAddress, IpFamily } from './ip-address.ts';
export {
  ADDRESS_MAX_LENGTH,
  addressFromBytes,
  isIPv4,
  isIPv6,
  parseAddress,
  ZONE_MAX_LENGTH,
} from './parse.ts';
export {
  COMMON_SERVICES,
  classifyPort,
  type EphemeralRange,
  type EphemeralRangeOptions,
  LINUX_EPHEMERAL_RANGE_FILE,
  linuxEphemeralRange,
  PORT_MAX,
  PORT_RANGES,
  type PortInfo,
  type PortRange,
  parseEphemeralRange,
  parsePort,
} from './port.ts';
export {
  ADDRESS_SCOPES,
  type AddressScope,
  IPV4_SPECIAL_RANGES,
  IPV6_SPECIAL_RANGES,
  type SpecialRange,
} from './ranges.ts';
