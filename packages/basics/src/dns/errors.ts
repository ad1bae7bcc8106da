import { errorCode } from '@socketlab/internal';
import { BasicsError, quoteInput } from '../errors.ts';
import { checkHostname } from './name.ts';

/** How a name was resolved: `getaddrinfo` (`dns.lookup`) or a DNS query (`dns.Resolver`). */
export type DnsMethod = 'lookup' | 'resolve';

/** The record types {@link resolveHost} asks for: IPv4 (`A`) or IPv6 (`AAAA`) addresses. */
export type AddressRecordType = 'A' | 'AAAA';

/** Every {@link DnsFailureReason}, in a stable order. */
export const DNS_FAILURE_REASONS = [
  'not-found',
  'no-data',
  'temporary-failure',
  'server-failure',
  'refused',
  'timeout',
  'invalid-name',
  'bad-response',
  'failed',
] as const;

/**
 * Why a name did not resolve, whichever way it was asked:
 * - `not-found`: no such name (NXDOMAIN, `ENOTFOUND`);
 * - `no-data`: the name exists but has no record of the type asked for (`ENODATA`);
 * - `temporary-failure`: the resolver could not get an answer now (`EAI_AGAIN`); retrying may work;
 * - `server-failure`: the DNS server failed (`ESERVFAIL`, `EAI_FAIL`, `ENOTIMP`);
 * - `refused`: the server refused, or nothing listens at its address (`EREFUSED`, `ECONNREFUSED`);
 * - `timeout`: no answer in time (`ETIMEOUT`, or our own `timeoutMs`);
 * - `invalid-name`: the name could never resolve, found before asking anyone (`EBADNAME` too);
 * - `bad-response`: the answer could not be understood (`EBADRESP`, `EFORMERR`);
 * - `failed`: any other code; `cause` has the original.
 */
export type DnsFailureReason = (typeof DNS_FAILURE_REASONS)[number];

/** The error codes Node reports for `dns.lookup` and `dns.Resolver`, and the reason each means. */
export const DNS_CODE_REASONS = {
  ENOTFOUND: 'not-found',
  ENONAME: 'not-found',
  EAI_NONAME: 'not-found',
  ENODATA: 'no-data',
  EAI_NODATA: 'no-data',
  EAI_AGAIN: 'temporary-failure',
  ESERVFAIL: 'server-failure',
  EAI_FAIL: 'server-failure',
  ENOTIMP: 'server-failure',
  EREFUSED: 'refused',
  ECONNREFUSED: 'refused',
  ETIMEOUT: 'timeout',
  ETIMEDOUT: 'timeout',
  EBADNAME: 'invalid-name',
  EBADSTR: 'invalid-name',
  EBADRESP: 'bad-response',
  EFORMERR: 'bad-response',
  EOF: 'bad-response',
} as const satisfies Record<string, DnsFailureReason>;

/**
 * A name that did not resolve (`BASICS_ERR_DNS`). Check `reason`, never the message. `cause` holds
 * Node's own error (with its `code`, such as `ENOTFOUND`) when there was one.
 * The name asked for is in `hostname`, because `name` is the error class's name ('DnsError').
 */
export class DnsError extends BasicsError {
  override name = 'DnsError';
  /** Why it failed. */
  readonly reason: DnsFailureReason;
  /** The name that was being resolved (cut to 300 characters). */
  readonly hostname: string;
  /** Which way it was asked. */
  readonly method: DnsMethod;
  constructor(
    details: { reason: DnsFailureReason; hostname: string; method: DnsMethod },
    message: string,
    options?: ErrorOptions,
  ) {
    super('BASICS_ERR_DNS', message, options);
    this.reason = details.reason;
    this.hostname = details.hostname.slice(0, 300);
    this.method = details.method;
  }
}

/** Where a failed resolution was asked, to make messages precise. */
export interface DnsErrorContext {
  /** The name as the caller gave it. */
  hostname: string;
  method: DnsMethod;
  /** For `resolve`: the record type asked for. */
  rrtype?: AddressRecordType;
  /** For `resolve`: the DNS servers asked (as `resolver.getServers()` reports them). */
  servers?: readonly string[];
  /** The bound that ran out, when the failure is a timeout. */
  timeoutMs?: number;
}

/**
 * The {@link DnsFailureReason} for an error code from `dns.lookup` or `dns.Resolver`.
 * @param code - `err.code` as Node set it (any value is accepted).
 * @returns the reason, or `failed` for a code not in {@link DNS_CODE_REASONS}.
 * @example
 * dnsFailureReason('EAI_AGAIN'); // 'temporary-failure'
 */
export function dnsFailureReason(code: unknown): DnsFailureReason {
  return typeof code === 'string' && Object.hasOwn(DNS_CODE_REASONS, code)
    ? DNS_CODE_REASONS[code as keyof typeof DNS_CODE_REASONS]
    : 'failed';
}

/**
 * Turns an error from `dns.lookup` or `dns.Resolver` into a {@link DnsError} whose message says what
 * failed, which code came from where, and what to try next. The original error becomes `cause`.
 * @param cause - what Node rejected with (any value is accepted).
 * @param context - the name, the method, and for `resolve` the record type and servers.
 * @example
 * toDnsError(err, { hostname: 'x.invalid', method: 'lookup' }).message;
 * // "could not resolve 'x.invalid': no such name (ENOTFOUND from getaddrinfo). Check the spelling, or try `getent hosts x.invalid`"
 */
export function toDnsError(cause: unknown, context: DnsErrorContext): DnsError {
  const code = errorCode(cause);
  const reason = dnsFailureReason(code);
  const where = `${code ?? 'no code'} from ${source(context)}`;
  const message = `could not resolve ${display(context.hostname)}: ${phrase(reason, code, context)} (${where}). ${hint(reason, context)}`;
  return new DnsError({ reason, hostname: context.hostname, method: context.method }, message, {
    cause,
  });
}

/** A {@link DnsError} for a resolution that did not finish within `context.timeoutMs` (internal). */
export function dnsTimeoutError(context: DnsErrorContext, cause?: unknown): DnsError {
  const waited = context.timeoutMs === undefined ? 'in time' : `within ${context.timeoutMs} ms`;
  const message = `could not resolve ${display(context.hostname)}: no answer ${waited} from ${source(context)}. ${hint('timeout', context)}`;
  const options = cause === undefined ? undefined : { cause };
  return new DnsError(
    { reason: 'timeout', hostname: context.hostname, method: context.method },
    message,
    options,
  );
}

/** A {@link DnsError} with reason `invalid-name`, raised before anything is asked (internal). */
export function invalidHostnameError(
  hostname: string,
  method: DnsMethod,
  problem: string,
): DnsError {
  const message = `could not resolve ${quoteInput(hostname)}: it is not a valid host name: ${problem}. ${hint('invalid-name', { hostname, method })}`;
  return new DnsError({ reason: 'invalid-name', hostname, method }, message);
}

function display(hostname: string): string {
  return checkHostname(hostname).ok ? `'${hostname}'` : quoteInput(hostname);
}

function source(context: DnsErrorContext): string {
  if (context.method === 'lookup') return 'getaddrinfo';
  const servers = context.servers?.length ? ` to ${context.servers.join(', ')}` : '';
  return `a DNS ${context.rrtype ?? 'A'} query${servers}`;
}

function phrase(
  reason: DnsFailureReason,
  code: string | undefined,
  context: DnsErrorContext,
): string {
  switch (reason) {
    case 'not-found':
      return 'no such name';
    case 'no-data':
      return context.method === 'resolve'
        ? `the name exists but has no ${context.rrtype ?? 'A'} record`
        : 'the name exists but has no address of the family asked for';
    case 'temporary-failure':
      return 'temporary failure in name resolution';
    case 'server-failure':
      return 'the DNS server failed to answer';
    case 'refused':
      return code === 'ECONNREFUSED'
        ? "nothing listens at the DNS server's address"
        : 'the DNS server refused the query';
    case 'timeout':
      return 'the DNS server did not answer in time';
    case 'invalid-name':
      return 'the resolver rejected the name';
    case 'bad-response':
      return 'the answer could not be understood';
    case 'failed':
      return 'resolution failed';
  }
}

function hint(reason: DnsFailureReason, context: DnsErrorContext): string {
  const tool = toolFor(context);
  switch (reason) {
    case 'not-found':
      return `Check the spelling, or try ${tool}`;
    case 'no-data':
      return context.method === 'resolve'
        ? `Ask for ${context.rrtype === 'AAAA' ? 'A' : 'AAAA'} instead, or try ${tool}`
        : `Ask for both families (family 0), or try ${tool}`;
    case 'temporary-failure':
      return `No DNS server gave an answer: check the network and /etc/resolv.conf, then retry with backoff (this often passes), or try ${tool}`;
    case 'server-failure':
      return `The server, or the servers for that zone, are failing: retry later, or try ${tool}`;
    case 'refused':
      return `Check the DNS server address and port (/etc/resolv.conf, or the servers option) and that it accepts queries from this machine, then try ${tool}`;
    case 'timeout':
      return context.method === 'lookup'
        ? `The DNS servers in /etc/resolv.conf may be unreachable, or the libuv thread pool is busy (see UV_THREADPOOL_SIZE); try ${tool}`
        : `The server may be down, or a firewall drops UDP port 53; raise timeoutMs, or try ${tool}`;
    case 'invalid-name':
      return "A host name is at most 253 characters of dot-separated labels (letters, digits, '-' and '_', each 1 to 63 long); IP literals are accepted as they are";
    case 'bad-response':
      return `Try ${tool} to see the raw answer`;
    case 'failed':
      return `Try ${tool}`;
  }
}

function toolFor(context: DnsErrorContext): string {
  const name = checkHostname(context.hostname).ok ? context.hostname : '<name>';
  if (context.method === 'lookup') return `\`getent hosts ${name}\``;
  const server = context.servers?.[0];
  return `\`dig ${server === undefined ? '' : `${digServer(server)} `}${name} ${context.rrtype ?? 'A'}\``;
}

/** `127.0.0.1:5353` → `@127.0.0.1 -p 5353`; `[::1]:53` → `@::1 -p 53`; `1.1.1.1` → `@1.1.1.1`. */
function digServer(server: string): string {
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(server);
  if (bracketed) return `@${bracketed[1]} -p ${bracketed[2]}`;
  const withPort = /^([^:]+):(\d+)$/.exec(server);
  if (withPort) return `@${withPort[1]} -p ${withPort[2]}`;
  return `@${server}`;
}
