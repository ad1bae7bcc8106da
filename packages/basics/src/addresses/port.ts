import { readFile } from 'node:fs/promises';
import { BasicsError, InvalidInputError, quoteInput } from '../errors.ts';

/** The highest port number: ports are 16-bit unsigned integers in TCP and UDP headers. */
export const PORT_MAX = 65_535;

/**
 * The port ranges of the IANA registry (RFC 6335 §6), plus port 0, which is not a port to use
 * but a request: "kernel, choose a free one for me".
 */
export const PORT_RANGES = {
  'ephemeral-request': { from: 0, to: 0, meaning: 'port 0: ask the kernel to choose a free port' },
  'well-known': { from: 1, to: 1_023, meaning: 'system ports, assigned by IANA (RFC 6335 §6)' },
  registered: {
    from: 1_024,
    to: 49_151,
    meaning: 'user ports, registered with IANA (RFC 6335 §6)',
  },
  dynamic: {
    from: 49_152,
    to: 65_535,
    meaning: 'dynamic/private ports, never assigned (RFC 6335 §6)',
  },
} as const;

/** One of the keys of {@link PORT_RANGES}. */
export type PortRange = keyof typeof PORT_RANGES;

/**
 * A few common services by port, named as in the IANA "Service Name and Transport Protocol Port
 * Number Registry" (https://www.iana.org/assignments/service-names-port-numbers), with a short
 * description. Not exhaustive: `/etc/services` on most systems is a larger copy of the registry.
 */
export const COMMON_SERVICES = {
  7: { service: 'echo', description: 'Echo (RFC 862)' },
  9: { service: 'discard', description: 'Discard (RFC 863)' },
  13: { service: 'daytime', description: 'Daytime (RFC 867)' },
  20: { service: 'ftp-data', description: 'FTP data' },
  21: { service: 'ftp', description: 'FTP control' },
  22: { service: 'ssh', description: 'SSH' },
  23: { service: 'telnet', description: 'Telnet' },
  25: { service: 'smtp', description: 'SMTP mail transfer' },
  53: { service: 'domain', description: 'DNS' },
  67: { service: 'bootps', description: 'DHCP server' },
  68: { service: 'bootpc', description: 'DHCP client' },
  69: { service: 'tftp', description: 'TFTP' },
  80: { service: 'http', description: 'HTTP' },
  110: { service: 'pop3', description: 'POP3' },
  123: { service: 'ntp', description: 'NTP' },
  143: { service: 'imap', description: 'IMAP' },
  161: { service: 'snmp', description: 'SNMP' },
  389: { service: 'ldap', description: 'LDAP' },
  443: { service: 'https', description: 'HTTPS (HTTP over TLS)' },
  587: { service: 'submission', description: 'mail submission' },
  636: { service: 'ldaps', description: 'LDAP over TLS' },
  853: { service: 'domain-s', description: 'DNS over TLS' },
  993: { service: 'imaps', description: 'IMAP over TLS' },
  995: { service: 'pop3s', description: 'POP3 over TLS' },
  1883: { service: 'mqtt', description: 'MQTT' },
  3306: { service: 'mysql', description: 'MySQL' },
  5432: { service: 'postgresql', description: 'PostgreSQL' },
  5672: { service: 'amqp', description: 'AMQP (RabbitMQ)' },
  6379: { service: 'redis', description: 'Redis' },
  8080: { service: 'http-alt', description: 'HTTP alternate' },
  8883: { service: 'secure-mqtt', description: 'MQTT over TLS' },
  11211: { service: 'memcache', description: 'Memcached' },
} as const satisfies Record<number, { service: string; description: string }>;

/** What {@link classifyPort} found out about a port. */
export interface PortInfo {
  readonly port: number;
  /** Which range of the IANA registry the port is in, or `'ephemeral-request'` for port 0. */
  readonly range: PortRange;
  /**
   * True for 1–1023: binding needs root or `CAP_NET_BIND_SERVICE` on Linux (unless
   * `net.ipv4.ip_unprivileged_port_start` was lowered). Port 0 is not privileged.
   */
  readonly privileged: boolean;
  /** The IANA service name when the port is in {@link COMMON_SERVICES}, e.g. `'ssh'`. */
  readonly service?: string;
  /** A short description of that service, e.g. `'DNS'`. */
  readonly description?: string;
}

function invalidPort(input: unknown, why: string): InvalidInputError {
  const shown = typeof input === 'string' ? quoteInput(input) : String(input);
  return new InvalidInputError(
    'BASICS_ERR_INVALID_PORT',
    `invalid port ${shown}: ${why}; expected a whole number from 0 to ${PORT_MAX}`,
    String(input).slice(0, 100),
  );
}

/**
 * Parses a port number strictly: an integer 0–65535, as a number or as plain decimal digits
 * (at most 5). Rejects signs (`+1`), exponents (`1e3`), hex (`0x50`), spaces (` 80`), fractions.
 *
 * @param input - The port, e.g. `8080` or `'8080'`.
 * @returns The port as a number.
 * @throws {InvalidInputError} `BASICS_ERR_INVALID_PORT` when `input` is not a valid port.
 * @throws {TypeError} when `input` is neither a string nor a number.
 * @example
 * ```ts
 * parsePort('443'); // 443
 * parsePort('0x50'); // throws InvalidInputError (BASICS_ERR_INVALID_PORT)
 * ```
 */
export function parsePort(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isInteger(input)) throw invalidPort(input, 'it is not a whole number');
    if (input < 0 || input > PORT_MAX) throw invalidPort(input, 'it is out of range');
    return input === 0 ? 0 : input; // turns -0 into 0
  }
  if (typeof input !== 'string') {
    throw new TypeError(`parsePort expects a string or a number, got ${typeof input}`);
  }
  if (input === '') throw invalidPort(input, 'it is empty');
  if (!/^[0-9]+$/.test(input)) {
    throw invalidPort(input, 'only the decimal digits 0-9 may appear (no sign, space, dot or hex)');
  }
  if (input.length > 5 || Number(input) > PORT_MAX) throw invalidPort(input, 'it is too large');
  return Number(input);
}

/**
 * Says which IANA range a port is in, whether binding it is privileged, and which common
 * service it is registered for.
 *
 * @param port - The port, as a number or decimal text (validated with {@link parsePort}).
 * @throws {InvalidInputError} `BASICS_ERR_INVALID_PORT` when `port` is not a valid port.
 * @see RFC 6335 §6 (port number ranges)
 * @example
 * ```ts
 * classifyPort(22); // { port: 22, range: 'well-known', privileged: true, service: 'ssh', description: 'SSH' }
 * classifyPort(0).range; // 'ephemeral-request'
 * ```
 */
export function classifyPort(port: number | string): PortInfo {
  const value = parsePort(port);
  const range = (Object.keys(PORT_RANGES) as PortRange[]).find(
    (name) => value >= PORT_RANGES[name].from && value <= PORT_RANGES[name].to,
  ) as PortRange;
  const info = { port: value, range, privileged: value >= 1 && value < 1_024 };
  const known: { service: string; description: string } | undefined =
    COMMON_SERVICES[value as keyof typeof COMMON_SERVICES];
  return known === undefined ? info : { ...info, ...known };
}

/** The range of local ports the kernel picks from for port 0 and for outgoing connections. */
export interface EphemeralRange {
  readonly low: number;
  readonly high: number;
}

/** Where Linux keeps its ephemeral port range (`sysctl net.ipv4.ip_local_port_range`). */
export const LINUX_EPHEMERAL_RANGE_FILE = '/proc/sys/net/ipv4/ip_local_port_range';

/**
 * Parses the contents of `ip_local_port_range`: two port numbers separated by whitespace.
 *
 * @param text - The file's contents, e.g. `'32768\t60999\n'`.
 * @returns The lowest and highest port of the range, inclusive.
 * @throws {BasicsError} `BASICS_ERR_PARSE` when the text is not two ports with low ≤ high.
 * @example
 * ```ts
 * parseEphemeralRange('32768\t60999\n'); // { low: 32768, high: 60999 }
 * ```
 */
export function parseEphemeralRange(text: string): EphemeralRange {
  const match = /^\s*([0-9]{1,5})\s+([0-9]{1,5})\s*$/.exec(text.slice(0, 100));
  const low = Number(match?.[1]);
  const high = Number(match?.[2]);
  if (!match || high > PORT_MAX || low > high) {
    throw new BasicsError(
      'BASICS_ERR_PARSE',
      `cannot read an ephemeral port range from ${quoteInput(text)}: expected two ports "low high", low <= high`,
    );
  }
  return { low, high };
}

/** Options for {@link linuxEphemeralRange}, mostly for tests. */
export interface EphemeralRangeOptions {
  /** The file to read. @default LINUX_EPHEMERAL_RANGE_FILE */
  file?: string;
  /** The platform to assume. @default process.platform */
  platform?: NodeJS.Platform;
}

/**
 * Reads the range Linux picks ephemeral ports from (for `bind` to port 0 and for outgoing
 * connections); usually 32768–60999, unlike IANA's dynamic range 49152–65535.
 *
 * @param options - Where to read from and which platform to assume (for tests).
 * @returns The lowest and highest port of the range, inclusive.
 * @throws {BasicsError} `BASICS_ERR_UNSUPPORTED_PLATFORM` when not on Linux or the file cannot be
 *   read (the cause is kept); `BASICS_ERR_PARSE` when its contents make no sense.
 * @example
 * ```ts
 * const { low, high } = await linuxEphemeralRange(); // e.g. { low: 32768, high: 60999 }
 * ```
 */
export async function linuxEphemeralRange(
  options: EphemeralRangeOptions = {},
): Promise<EphemeralRange> {
  const platform = options.platform ?? process.platform;
  const file = options.file ?? LINUX_EPHEMERAL_RANGE_FILE;
  if (platform !== 'linux') {
    throw new BasicsError(
      'BASICS_ERR_UNSUPPORTED_PLATFORM',
      `the ephemeral port range is read from ${file}, which only Linux has (this is ${platform}); ` +
        'on macOS see `sysctl net.inet.ip.portrange`, on Windows `netsh int ipv4 show dynamicport tcp`',
    );
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new BasicsError(
      'BASICS_ERR_UNSUPPORTED_PLATFORM',
      `cannot read the ephemeral port range from ${file}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return parseEphemeralRange(text);
}
