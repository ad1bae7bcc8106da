import dns from 'node:dns';
import { isIP } from 'node:net';
import { checkTimeoutMs } from '../options.ts';
import {
  type AddressRecordType,
  DnsError,
  type DnsErrorContext,
  type DnsMethod,
  dnsTimeoutError,
  invalidHostnameError,
  toDnsError,
} from './errors.ts';
import { checkHostname } from './name.ts';

/** How long {@link lookupHost} and {@link resolveHost} wait by default, in milliseconds. */
export const DEFAULT_DNS_TIMEOUT_MS = 5_000;

/** One address a name resolved to. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
  /** Seconds the DNS answer may be cached. Only `resolve` knows it: getaddrinfo does not say. */
  ttl?: number;
}

/** What {@link lookupHost} and {@link resolveHost} return. */
export interface DnsResult {
  /** The name as it was given. */
  name: string;
  method: DnsMethod;
  /** In the order the resolver gave them (lookup: the order `net.connect` would try). */
  addresses: ResolvedAddress[];
  /** Time taken, from the clock given (milliseconds). */
  elapsedMs: number;
}

/** A clock in milliseconds; only differences between two readings matter. */
export type DnsClock = () => number;

/** Options of {@link lookupHost}. */
export interface LookupHostOptions {
  /** 4 or 6 to ask for one family only; 0 for both. @default 0 */
  family?: 0 | 4 | 6;
  /** Every address (true), or only the first, the one `net.connect` would use (false). @default true */
  all?: boolean;
  /** Give up after this many milliseconds (getaddrinfo cannot be cancelled; it finishes unseen). @default 5000 */
  timeoutMs?: number;
  /** Where `elapsedMs` comes from. @default performance.now */
  clock?: DnsClock;
}

/** Options of {@link resolveHost}. */
export interface ResolveHostOptions {
  /** `A` for IPv4 addresses, `AAAA` for IPv6. @default 'A' */
  rrtype?: AddressRecordType;
  /** Give up (and cancel the query) after this many milliseconds. @default 5000 */
  timeoutMs?: number;
  /** DNS servers to ask, as `dns.setServers` takes them (`'127.0.0.1:5353'`). @default the system's, from /etc/resolv.conf */
  servers?: readonly string[];
  /** Where `elapsedMs` comes from. @default performance.now */
  clock?: DnsClock;
}

/**
 * Resolves `name` the way `net.connect` and `http.get` do: with `dns.lookup`, which calls the C
 * library's `getaddrinfo`. That reads /etc/hosts and whatever /etc/nsswitch.conf lists (files, dns,
 * mdns, …), and blocks one thread of libuv's pool (4 by default, `UV_THREADPOOL_SIZE`) until it
 * answers. Node does not cache the result; the operating system might.
 *
 * @param name - a host name or IP literal; checked first with {@link checkHostname}.
 * @param options - see {@link LookupHostOptions}.
 * @returns the addresses, with `method: 'lookup'` and the time taken.
 * @throws {TypeError} synchronously when `name` is not a string or an option has the wrong type.
 * @throws {RangeError} synchronously when `family` or `timeoutMs` is out of range.
 * @throws {DnsError} `BASICS_ERR_DNS` (as a rejection), with `reason` `invalid-name`, `not-found`,
 *   `temporary-failure`, `timeout`, …
 * @example
 * const { addresses } = await lookupHost('localhost');
 * // [{ address: '127.0.0.1', family: 4 }] — found in /etc/hosts
 */
export function lookupHost(name: string, options: LookupHostOptions = {}): Promise<DnsResult> {
  const {
    family = 0,
    all = true,
    timeoutMs = DEFAULT_DNS_TIMEOUT_MS,
    clock = defaultClock,
  } = options;
  checkName(name);
  if (family !== 0 && family !== 4 && family !== 6) {
    throw new RangeError(`family must be 0, 4 or 6, got ${String(family)}`);
  }
  if (typeof all !== 'boolean') throw new TypeError(`all must be a boolean, got ${typeof all}`);
  checkTimeoutMs(timeoutMs);
  checkClock(clock);
  const checked = checkHostname(name);
  if (!checked.ok) return Promise.reject(invalidHostnameError(name, 'lookup', checked.problem));
  const context: DnsErrorContext = { hostname: name, method: 'lookup', timeoutMs };
  const started = clock();
  const query = dns.promises.lookup(checked.ascii, { family, all: true });
  return withDeadline(query, timeoutMs, () => {}).then(
    (outcome) => {
      if (outcome === TIMED_OUT) throw dnsTimeoutError(context);
      const addresses = outcome.map(
        ({ address, family: f }) => ({ address, family: f === 6 ? 6 : 4 }) as const,
      );
      return {
        name,
        method: 'lookup',
        addresses: all ? addresses : addresses.slice(0, 1),
        elapsedMs: clock() - started,
      };
    },
    (err: unknown) => {
      throw toDnsError(err, context);
    },
  );
}

/**
 * Resolves `name` by asking DNS servers directly, with a `dns.Resolver` (c-ares). It never reads
 * /etc/hosts, does not block the thread pool, and reports each record's TTL. Each call uses its
 * own resolver, which retransmits once over UDP and is cancelled when `timeoutMs` runs out.
 *
 * @param name - a host name; checked first with {@link checkHostname}.
 * @param options - see {@link ResolveHostOptions}.
 * @returns the addresses with their TTLs, with `method: 'resolve'` and the time taken.
 * @throws {TypeError} synchronously for a non-string `name`, a bad option type, or a server
 *   `dns.setServers` rejects.
 * @throws {RangeError} synchronously when `rrtype` or `timeoutMs` is out of range.
 * @throws {DnsError} `BASICS_ERR_DNS` (as a rejection), with `reason` `invalid-name`, `not-found`,
 *   `no-data`, `server-failure`, `refused`, `timeout`, …
 * @example
 * const { addresses } = await resolveHost('example.com', { rrtype: 'AAAA' });
 * // [{ address: '2606:2800:…', family: 6, ttl: 3600 }]
 */
export function resolveHost(name: string, options: ResolveHostOptions = {}): Promise<DnsResult> {
  const {
    rrtype = 'A',
    timeoutMs = DEFAULT_DNS_TIMEOUT_MS,
    servers,
    clock = defaultClock,
  } = options;
  checkName(name);
  if (rrtype !== 'A' && rrtype !== 'AAAA') {
    throw new RangeError(
      `rrtype must be 'A' or 'AAAA', got ${JSON.stringify(String(rrtype).slice(0, 20))}`,
    );
  }
  checkTimeoutMs(timeoutMs);
  checkClock(clock);
  const resolver = new dns.promises.Resolver({
    timeout: Math.max(1, Math.ceil(timeoutMs / 3)),
    tries: 2,
  });
  if (servers !== undefined) {
    if (!Array.isArray(servers) || servers.length === 0) {
      throw new TypeError(
        'servers must be a non-empty array of addresses such as "127.0.0.1:5353"',
      );
    }
    resolver.setServers(servers);
  }
  const checked = checkHostname(name);
  const context: DnsErrorContext = {
    hostname: name,
    method: 'resolve',
    rrtype,
    servers: resolver.getServers(),
    timeoutMs,
  };
  if (!checked.ok) return Promise.reject(invalidHostnameError(name, 'resolve', checked.problem));
  const started = clock();
  const family: 4 | 6 = rrtype === 'A' ? 4 : 6;
  const query =
    family === 4
      ? resolver.resolve4(checked.ascii, { ttl: true })
      : resolver.resolve6(checked.ascii, { ttl: true });
  return withDeadline(query, timeoutMs, () => resolver.cancel()).then(
    (outcome) => {
      if (outcome === TIMED_OUT) throw dnsTimeoutError(context);
      const addresses = outcome.map(({ address, ttl }) => ({ address, family, ttl }));
      return { name, method: 'resolve', addresses, elapsedMs: clock() - started };
    },
    (err: unknown) => {
      throw isCancelled(err) ? dnsTimeoutError(context, err) : toDnsError(err, context);
    },
  );
}

/** What one way of resolving produced. */
export type DnsOutcome = { ok: true; result: DnsResult } | { ok: false; error: DnsError };

/** What {@link compareResolution} found. */
export interface ResolutionComparison {
  name: string;
  /** `getaddrinfo`, both families. */
  lookup: DnsOutcome;
  /** DNS queries, one per record type. */
  resolve: { A: DnsOutcome; AAAA: DnsOutcome };
  /** Addresses only `lookup` found (typically from /etc/hosts). */
  onlyLookup: string[];
  /** Addresses only DNS returned. */
  onlyResolve: string[];
  /** Addresses both found. */
  both: string[];
  /** One or two sentences saying what differs and why it usually does. */
  summary: string;
}

/** Options of {@link compareResolution}; each is passed to both ways. */
export interface CompareResolutionOptions {
  /** @default 5000 */
  timeoutMs?: number;
  /** DNS servers for the `resolve` side. @default the system's */
  servers?: readonly string[];
  /** @default performance.now */
  clock?: DnsClock;
}

/**
 * Resolves `name` both ways at once — {@link lookupHost} (both families) and {@link resolveHost}
 * (`A` and `AAAA`) — and says where they differ. The classic difference: `localhost` is found by
 * lookup (from /etc/hosts) but not by a DNS query.
 *
 * @param name - a host name.
 * @param options - see {@link CompareResolutionOptions}.
 * @throws {TypeError} / {RangeError} synchronously for bad options, as the two functions do.
 * @throws {DnsError} `BASICS_ERR_DNS` with reason `invalid-name` (as a rejection); any other failure
 *   is reported inside the comparison, not thrown.
 * @example
 * const { summary } = await compareResolution('localhost');
 * // "lookup found 127.0.0.1, but DNS did not (not-found): …/etc/hosts…"
 */
export function compareResolution(
  name: string,
  options: CompareResolutionOptions = {},
): Promise<ResolutionComparison> {
  const { timeoutMs, servers, clock } = options;
  const shared = {
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(clock === undefined ? {} : { clock }),
  };
  const resolveOptions: ResolveHostOptions = {
    ...shared,
    ...(servers === undefined ? {} : { servers }),
  };
  const started: Promise<DnsResult>[] = [];
  try {
    started.push(lookupHost(name, shared));
    started.push(resolveHost(name, { ...resolveOptions, rrtype: 'A' }));
    started.push(resolveHost(name, { ...resolveOptions, rrtype: 'AAAA' }));
  } catch (err) {
    for (const promise of started) promise.catch(() => {}); // already running; nobody will look
    throw err;
  }
  const [lookup, a, aaaa] = started as [Promise<DnsResult>, Promise<DnsResult>, Promise<DnsResult>];
  return Promise.all([settle(lookup), settle(a), settle(aaaa)]).then((outcomes) =>
    compare(name, ...outcomes),
  );
}

function compare(
  name: string,
  lookup: DnsOutcome,
  a: DnsOutcome,
  aaaa: DnsOutcome,
): ResolutionComparison {
  for (const outcome of [lookup, a, aaaa]) {
    if (!outcome.ok && outcome.error.reason === 'invalid-name') throw outcome.error;
  }
  const fromLookup = addressesOf(lookup);
  const fromDns = [...addressesOf(a), ...addressesOf(aaaa)];
  const both = fromLookup.filter((address) => fromDns.includes(address));
  const onlyLookup = fromLookup.filter((address) => !fromDns.includes(address));
  const onlyResolve = fromDns.filter((address) => !fromLookup.includes(address));
  const summary =
    isIP(name) !== 0
      ? `${name} is an IP address: lookup returns it as it is without asking anyone, while a DNS query treats it as a name.`
      : summarize(lookup, [a, aaaa], { both, onlyLookup, onlyResolve });
  return { name, lookup, resolve: { A: a, AAAA: aaaa }, onlyLookup, onlyResolve, both, summary };
}

function summarize(
  lookup: DnsOutcome,
  dnsOutcomes: DnsOutcome[],
  sets: { both: string[]; onlyLookup: string[]; onlyResolve: string[] },
): string {
  const dnsFailure =
    dnsOutcomes
      .map((o) => (o.ok ? undefined : o.error.reason))
      .find((r) => r !== 'no-data' && r !== undefined) ?? 'no-data';
  if (sets.onlyLookup.length === 0 && sets.onlyResolve.length === 0) {
    if (sets.both.length > 0) return `lookup and DNS agree: ${sets.both.join(', ')}.`;
    const why = lookup.ok ? 'no addresses' : lookup.error.reason;
    return `neither found an address (lookup: ${why}; DNS: ${dnsFailure}).`;
  }
  if (sets.onlyResolve.length === 0 && sets.both.length === 0) {
    return `lookup found ${sets.onlyLookup.join(', ')}, but DNS did not (${dnsFailure}): the answer came from /etc/hosts or another source /etc/nsswitch.conf lists, which a DNS query never reads.`;
  }
  if (sets.onlyLookup.length === 0 && sets.both.length === 0) {
    const why = lookup.ok ? 'no addresses' : lookup.error.reason;
    return `DNS returned ${sets.onlyResolve.join(', ')}, but lookup did not (${why}): getaddrinfo may use other servers or a search domain, or /etc/nsswitch.conf may not list dns.`;
  }
  const parts = [
    sets.both.length > 0 ? `both found ${sets.both.join(', ')}` : '',
    sets.onlyLookup.length > 0 ? `only lookup found ${sets.onlyLookup.join(', ')}` : '',
    sets.onlyResolve.length > 0 ? `only DNS returned ${sets.onlyResolve.join(', ')}` : '',
  ].filter(Boolean);
  return `${parts.join('; ')}: /etc/hosts may override DNS for this name, or the DNS answers rotate.`;
}

function addressesOf(outcome: DnsOutcome): string[] {
  return outcome.ok ? outcome.result.addresses.map((a) => a.address.toLowerCase()) : [];
}

async function settle(promise: Promise<DnsResult>): Promise<DnsOutcome> {
  try {
    return { ok: true, result: await promise };
  } catch (error) {
    if (error instanceof DnsError) return { ok: false, error };
    throw error;
  }
}

const TIMED_OUT = Symbol('timed out');

/** Settles like `promise`, or with {@link TIMED_OUT} after `ms` (calling `onTimeout`). */
function withDeadline<T>(
  promise: Promise<T>,
  ms: number,
  onTimeout: () => void,
): Promise<T | typeof TIMED_OUT> {
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      onTimeout();
      resolve(TIMED_OUT);
    }, ms);
    promise.then(
      (value) => {
        if (done) return;
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        if (done) return; // a late failure of a query we gave up on: nobody is waiting for it
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

function isCancelled(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === 'ECANCELLED';
}

function defaultClock(): number {
  return performance.now();
}

function checkName(name: unknown): void {
  if (typeof name !== 'string')
    throw new TypeError(`name must be a string, got ${name === null ? 'null' : typeof name}`);
}

function checkClock(clock: unknown): void {
  if (typeof clock !== 'function')
    throw new TypeError(`clock must be a function returning milliseconds, got ${typeof clock}`);
}
