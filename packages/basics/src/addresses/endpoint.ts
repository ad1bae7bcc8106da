import { checkInteger } from '@socketlab/internal';
import { checkHostname, HOSTNAME_MAX_LENGTH } from '../dns/index.ts';
import { BasicsError, InvalidInputError, quoteInput } from '../errors.ts';
import { scanEndpoint } from './endpoint-scan.ts';
import type { IpAddress, IpFamily } from './ip-address.ts';
import { parseAddress } from './parse.ts';
import { PORT_MAX, parsePort } from './port.ts';

/**
 * Where a socket lives: an IP address and port (`AF_INET`/`AF_INET6`), a host name and port still
 * to be resolved by DNS, or a filesystem path (`AF_UNIX`).
 */
export type Endpoint =
  | { readonly kind: 'ip'; readonly family: IpFamily; readonly host: string; readonly port: number }
  | { readonly kind: 'name'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string };

/** Options for {@link parseEndpoint}. */
export interface ParseEndpointOptions {
  /** The port to use when the text has none (`localhost`, `[::1]`). @default undefined: a port is required */
  defaultPort?: number;
  /** The platform whose `sun_path` size limits unix socket paths. @default process.platform */
  platform?: NodeJS.Platform;
}

/**
 * The longest endpoint text accepted: a 253-character host name with its trailing dot, `:` and a
 * 5-digit port.
 */
export const ENDPOINT_MAX_LENGTH = HOSTNAME_MAX_LENGTH + 1 + 1 + 5;

/**
 * Size of `sockaddr_un.sun_path` in bytes, including the terminating NUL: 108 on Linux, 104 on
 * macOS and the BSDs. A longer path cannot be bound or connected to.
 *
 * @param platform - The platform to answer for (default: the one this process runs on).
 * @returns The size of `sun_path` in bytes; a path may use one byte less.
 * @example
 * ```ts
 * unixPathLimit('linux'); // 108: at most 107 bytes of path
 * ```
 */
export function unixPathLimit(platform: NodeJS.Platform = process.platform): number {
  return platform === 'darwin' || platform === 'freebsd' || platform === 'openbsd' ? 104 : 108;
}

function invalid(text: string, why: string, cause?: unknown): InvalidInputError {
  const code =
    cause instanceof BasicsError &&
    (cause.code === 'BASICS_ERR_INVALID_ADDRESS' || cause.code === 'BASICS_ERR_INVALID_PORT')
      ? cause.code
      : 'BASICS_ERR_INVALID_ENDPOINT';
  const message = `invalid endpoint ${quoteInput(text)}: ${why}`;
  return new InvalidInputError(code, message, text.slice(0, 100), cause ? { cause } : undefined);
}

/**
 * Parses where a socket lives: `host:port`, `[v6]:port`, `unix:/path`, `/abs/path` or `./rel/path`.
 *
 * - `127.0.0.1:80` and `[::1]:80` (`[fe80::1%eth0]:80` with a zone) give `{ kind: 'ip' }`, with the
 *   address in canonical form; an IPv6 address must be in brackets (`::1:80` is ambiguous).
 * - `localhost:8080`, `example.com:443` give `{ kind: 'name' }` (lowercased; DNS is not asked). A
 *   name is valid DNS syntax (labels of 1–63 letters, digits, `-`; ≤ 253 characters), and a name
 *   whose last label is numeric (`127.1`, `0x7f.1`) is rejected, as resolvers would read it as IPv4.
 * - `unix:<path>`, `/abs/path`, `./rel`, `../rel` give `{ kind: 'unix' }`; the path must fit
 *   `sun_path` (107 bytes on Linux) and contain no NUL byte.
 *
 * @param text - The endpoint as text.
 * @param options - `defaultPort` when the port may be left out.
 * @returns The endpoint: `{ kind: 'ip', family, host, port }`, `{ kind: 'name', host, port }` or
 *   `{ kind: 'unix', path }`.
 * @throws {InvalidInputError} `BASICS_ERR_INVALID_ENDPOINT` for a malformed endpoint;
 *   `BASICS_ERR_INVALID_ADDRESS` or `BASICS_ERR_INVALID_PORT` (with `cause`) when that part is wrong.
 * @throws {TypeError} when `text` is not a string.
 * @throws {RangeError} when `defaultPort` is outside 0 to 65535; {TypeError} when it is not an
 *   integer.
 * @example
 * ```ts
 * parseEndpoint('[::1]:8080'); // { kind: 'ip', family: 6, host: '::1', port: 8080 }
 * parseEndpoint('localhost', { defaultPort: 80 }); // { kind: 'name', host: 'localhost', port: 80 }
 * parseEndpoint('unix:/run/app.sock'); // { kind: 'unix', path: '/run/app.sock' }
 * ```
 */
export function parseEndpoint(text: string, options?: ParseEndpointOptions): Endpoint {
  const defaultPort = options?.defaultPort;
  if (defaultPort !== undefined) checkInteger('defaultPort', defaultPort, 0, PORT_MAX);
  // A plainly valid host:port or [v6]:port takes one pass with no regex and no intermediate
  // string; everything else (errors included, so their messages are the same) goes the long way.
  if (typeof text === 'string') {
    const scanned = scanEndpoint(text, defaultPort);
    if (scanned !== undefined) return scanned;
  }
  return parseEndpointFully(text, defaultPort, options?.platform);
}

/**
 * The full parser behind {@link parseEndpoint}: every form, and every rejection with its reason.
 * Exported for the tests, which hold the fast path to the same answers.
 */
export function parseEndpointFully(
  text: string,
  defaultPort: number | undefined,
  platform: NodeJS.Platform | undefined,
): Endpoint {
  if (typeof text !== 'string')
    throw new TypeError(`parseEndpoint expects a string, got ${typeof text}`);
  if (text === '') throw invalid(text, 'it is empty');
  if (text.length > ENDPOINT_MAX_LENGTH) {
    throw invalid(
      text,
      `${text.length} characters is longer than any endpoint (at most ${ENDPOINT_MAX_LENGTH})`,
    );
  }
  if (text.includes('\0')) throw invalid(text, 'it contains a NUL byte');
  if (text.startsWith('unix:')) return unixEndpoint(text, text.slice(5), platform);
  if (text.startsWith('/') || text.startsWith('./') || text.startsWith('../')) {
    return unixEndpoint(text, text, platform);
  }
  if (/\s/.test(text)) throw invalid(text, 'host:port may not contain whitespace');
  const { host, portText, bracketed } = splitHostPort(text);
  if (host === '') throw invalid(text, 'the host is empty');
  const port = portOf(text, portText, defaultPort);
  if (bracketed) {
    const address = parseHost(text, host);
    if (address.family !== 6)
      throw invalid(text, 'brackets are only for IPv6 addresses; write an IPv4 address bare');
    return { kind: 'ip', family: 6, host: address.text, port };
  }
  if (looksLikeIPv4(host)) {
    const address = parseHost(text, host, ' (a host whose last label is a number is read as IPv4)');
    return { kind: 'ip', family: 4, host: address.text, port };
  }
  const name = checkHostname(host, { strict: true });
  if (!name.ok) throw invalid(text, `the host name is not valid: ${name.problem} (RFC 1123 §2.1)`);
  return { kind: 'name', host: host.toLowerCase(), port };
}

function splitHostPort(text: string): {
  host: string;
  portText: string | undefined;
  bracketed: boolean;
} {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) throw invalid(text, "'[' opens an IPv6 address but no ']' closes it");
    const rest = text.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) {
      throw invalid(text, `expected ':port' after ']', found ${quoteInput(rest)}`);
    }
    return {
      host: text.slice(1, close),
      portText: rest === '' ? undefined : rest.slice(1),
      bracketed: true,
    };
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text)) {
    throw invalid(text, "this is a URL; an endpoint is only 'host:port', without a scheme or path");
  }
  if (/[[\]]/.test(text))
    throw invalid(text, "brackets may only surround the whole host: '[::1]:80'");
  const colons = text.split(':').length - 1;
  if (colons > 1) {
    throw invalid(
      text,
      "an IPv6 address must be written in brackets so that its last ':' is not read as the port: " +
        "'[::1]:80', or '[::1]' with a default port",
    );
  }
  const colon = text.indexOf(':');
  if (colon < 0) return { host: text, portText: undefined, bracketed: false };
  return { host: text.slice(0, colon), portText: text.slice(colon + 1), bracketed: false };
}

function portOf(
  text: string,
  portText: string | undefined,
  defaultPort: number | undefined,
): number {
  if (portText === undefined) {
    if (defaultPort === undefined) throw invalid(text, "no port: expected 'host:port'");
    return defaultPort;
  }
  if (portText === '') throw invalid(text, "nothing follows ':': expected a port number");
  try {
    return parsePort(portText);
  } catch (err) {
    throw invalid(text, `the port is wrong: ${(err as Error).message}`, err);
  }
}

function parseHost(text: string, host: string, why = ''): IpAddress {
  try {
    return parseAddress(host);
  } catch (err) {
    throw invalid(text, `the host is not a valid IP address${why}: ${(err as Error).message}`, err);
  }
}

/** True when resolvers would read the name as IPv4: its last label is decimal or `0x` hex. */
function looksLikeIPv4(host: string): boolean {
  const labels = host.replace(/\.$/, '').split('.');
  const last = labels[labels.length - 1] ?? '';
  return /^[0-9]+$/.test(last) || /^0x[0-9a-f]*$/i.test(last);
}

function unixEndpoint(text: string, path: string, platform: NodeJS.Platform | undefined): Endpoint {
  if (path === '') throw invalid(text, "'unix:' must be followed by a socket path");
  const limit = unixPathLimit(platform);
  const bytes = Buffer.byteLength(path, 'utf8');
  if (bytes + 1 > limit) {
    throw invalid(
      text,
      `the unix socket path is ${bytes} bytes; with its NUL it must fit sun_path (${limit} bytes), ` +
        `so at most ${limit - 1}. Use a shorter directory, or a relative path from a nearby working directory`,
    );
  }
  return { kind: 'unix', path };
}

/**
 * Writes an endpoint back as text that {@link parseEndpoint} reads to the same endpoint:
 * `host:port`, `[v6]:port` (brackets for IPv6), a path, or `unix:<path>` for a relative path
 * that does not start with `./` or `../`. It also takes a bare `{ host, port }`, as a socket
 * reports them (`remoteAddress`, `remotePort`): a host with a `:` can only be an IPv6 address, so
 * it gets brackets.
 *
 * @param endpoint - An endpoint, as {@link parseEndpoint} returns, or a `{ host, port }`.
 * @returns The endpoint as text.
 * @throws {TypeError} for an object that is neither.
 * @example
 * ```ts
 * formatEndpoint({ kind: 'ip', family: 6, host: 'fe80::1%eth0', port: 80 }); // '[fe80::1%eth0]:80'
 * formatEndpoint({ host: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 }); // '[::1]:5000'
 * ```
 */
export function formatEndpoint(
  endpoint: Endpoint | { readonly host: string; readonly port: number },
): string {
  if (typeof endpoint === 'object' && endpoint !== null && !('kind' in endpoint)) {
    const { host, port } = endpoint;
    if (typeof host === 'string' && typeof port === 'number') {
      return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    }
  }
  const known = endpoint as Endpoint | undefined;
  switch (known?.kind) {
    case 'ip':
      return known.family === 6 ? `[${known.host}]:${known.port}` : `${known.host}:${known.port}`;
    case 'name':
      return `${known.host}:${known.port}`;
    case 'unix': {
      const { path } = known;
      const plain = path.startsWith('/') || path.startsWith('./') || path.startsWith('../');
      return plain ? path : `unix:${path}`;
    }
    default:
      throw new TypeError(
        `formatEndpoint expects an endpoint of kind 'ip', 'name' or 'unix', or a { host, port }`,
      );
  }
}
