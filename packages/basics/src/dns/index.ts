/**
 * Name resolution (B4): getaddrinfo-style lookup against DNS resolution, hostname checks, typed DNS errors.
 *
 * Other areas import this area only through this file; `src/index.ts` chooses the public names.
 */
export {
  type AddressRecordType,
  DNS_CODE_REASONS,
  DNS_FAILURE_REASONS,
  DnsError,
  type DnsErrorContext,
  type DnsFailureReason,
  type DnsMethod,
  dnsFailureReason,
  toDnsError,
} from './errors.ts';
export {
  type CompareResolutionOptions,
  compareResolution,
  DEFAULT_DNS_TIMEOUT_MS,
  type DnsClock,
  type DnsOutcome,
  type DnsResult,
  type LookupHostOptions,
  lookupHost,
  type ResolutionComparison,
  type ResolvedAddress,
  type ResolveHostOptions,
  resolveHost,
} from './lookup.ts';
export {
  checkHostname,
  DNS_LABEL_MAX_LENGTH,
  HOSTNAME_MAX_LENGTH,
  type HostnameCheck,
} from './name.ts';
