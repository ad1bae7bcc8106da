import { readdirSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import { checkInteger, errorCode } from '@socketlab/internal';
import { formatEndpoint, PORT_MAX } from '../addresses/index.ts';
import { BasicsError, quoteInput } from '../errors.ts';
import { checkTimeoutMs } from '../options.ts';
import {
  type FailureEntry,
  type FailureSide,
  LIBRARY_FAILURES,
  SYSTEM_FAILURES,
  UNKNOWN_FAILURE,
} from './catalog.ts';

export { type FailureSide, LIBRARY_FAILURES, SYSTEM_FAILURES } from './catalog.ts';

/** What went wrong with a socket, and what to do about it. */
export interface Explanation {
  /** The code explained (`ECONNREFUSED`, `BASICS_ERR_TIMEOUT`, …), or `UNKNOWN` when there was none. */
  code: string;
  /** A few words: "connection refused". */
  title: string;
  /** What happened, with the address when it is known. */
  what: string;
  likelyCauses: string[];
  nextSteps: string[];
  /** Which end to look at first. */
  side: FailureSide;
  /** True when trying again later, unchanged, can succeed (with backoff). */
  retryable: boolean;
  /** The system call that failed (`connect`, `listen`, `read`, `write`, `getaddrinfo`). */
  syscall?: string;
  address?: string;
  port?: number;
  /** The name that failed to resolve, for DNS codes. */
  hostname?: string;
}

/** DNS failure reasons that can pass on their own. */
const RETRYABLE_DNS_REASONS = new Set([
  'temporary-failure',
  'server-failure',
  'refused',
  'timeout',
]);
const MAX_CAUSE_DEPTH = 8;

/**
 * Explains any error a socket program meets: Node's system errors (`ECONNREFUSED`, `ECONNRESET`,
 * `EADDRINUSE`, `EPIPE`, `ETIMEDOUT`, `ENOTFOUND`, `EAI_AGAIN`, `EACCES`, `EHOSTUNREACH`,
 * `ENETUNREACH`, `EADDRNOTAVAIL`, `ECONNABORTED`, `EMFILE`), this library's `BASICS_ERR_*` codes,
 * and anything else (a fallback that still shows the message). It follows the `cause` chain, so
 * a `BASICS_ERR_CONNECTION` wrapping `ECONNREFUSED` is explained as the refusal it is. Never throws.
 *
 * @param err - anything that was thrown or emitted.
 * @returns the explanation; `code` is `UNKNOWN` when the error carried no code at all.
 * @example
 * socket.on('error', (err) => console.error(formatExplanation(explainSocketError(err))));
 */
export function explainSocketError(err: unknown): Explanation {
  try {
    return explain(err);
  } catch {
    // A hostile value (a getter or a Proxy that throws): still answer, never throw.
    return build('UNKNOWN', UNKNOWN_FAILURE, undefined, 'an error that could not be inspected');
  }
}

function explain(err: unknown): Explanation {
  const chain = causeChain(err);
  const system = chain.find((e) => Object.hasOwn(SYSTEM_FAILURES, errorCode(e) ?? ''));
  if (system !== undefined) {
    const code = errorCode(system) as keyof typeof SYSTEM_FAILURES;
    return build(code, SYSTEM_FAILURES[code], system, where(system, code));
  }
  const library = chain.find((e) => Object.hasOwn(LIBRARY_FAILURES, errorCode(e) ?? ''));
  if (library !== undefined) {
    const code = errorCode(library) as keyof typeof LIBRARY_FAILURES;
    const explanation = build(code, LIBRARY_FAILURES[code], library, messageOf(library));
    const reason = (library as { reason?: unknown }).reason;
    if (code === 'BASICS_ERR_DNS' && typeof reason === 'string') {
      explanation.retryable = RETRYABLE_DNS_REASONS.has(reason);
    }
    return explanation;
  }
  const first = chain[0];
  return build(errorCode(first) ?? 'UNKNOWN', UNKNOWN_FAILURE, first, messageOf(first));
}

/**
 * Lays an {@link Explanation} out for a terminal: a title line, what happened, which side to look
 * at, then the likely causes and numbered next steps. Plain text, no colour.
 * @param explanation - what {@link explainSocketError} returned.
 * @returns lines joined with `\n`, without a trailing newline.
 * @example
 * console.error(formatExplanation(explainSocketError(err)));
 * // ECONNREFUSED: connection refused (connect 127.0.0.1:5000)
 * //   The machine at 127.0.0.1:5000 answered, but nothing listens on that port: …
 */
export function formatExplanation(explanation: Explanation): string {
  const { code, title, what, side, retryable, syscall, hostname } = explanation;
  const at = endpoint(explanation.address, explanation.port) ?? hostname;
  const context = [syscall, at].filter(Boolean).join(' ');
  const look = side === 'either' ? 'either end' : `the ${side}`;
  const lines = [
    `${code}: ${title}${context ? ` (${context})` : ''}`,
    `  ${what}`,
    `  Look first at: ${look}. ${retryable ? 'Retrying later (with backoff) can work.' : 'Retrying unchanged will not help.'}`,
    '  Likely causes:',
    ...explanation.likelyCauses.map((cause) => `    - ${cause}`),
    '  Next steps:',
    ...explanation.nextSteps.map((step, index) => `    ${index + 1}. ${step}`),
  ];
  return lines.join('\n');
}

/**
 * Counts the sockets this process holds open, by reading the links in `/proc/self/fd`
 * (each socket shows as `socket:[inode]`). Call it before and after some work: a number that only
 * grows is a socket leak, and ends in `EMFILE`. Linux only; a synchronous directory scan.
 *
 * @param options.fdDir - the directory to read. @default '/proc/self/fd'
 * @param options.platform - the platform to assume. @default process.platform
 * @throws {BasicsError} `BASICS_ERR_UNSUPPORTED_PLATFORM` when not on Linux or the directory cannot
 *   be read (no /proc).
 * @example
 * const before = countOpenSockets();
 * await doWork();
 * if (countOpenSockets() > before) console.warn('doWork leaks sockets');
 */
export function countOpenSockets(
  options: { fdDir?: string; platform?: NodeJS.Platform } = {},
): number {
  const { fdDir = '/proc/self/fd', platform = process.platform } = options;
  if (platform !== 'linux') {
    throw new BasicsError(
      'BASICS_ERR_UNSUPPORTED_PLATFORM',
      `countOpenSockets reads /proc/self/fd, which only Linux has (this is ${platform}); use \`lsof -p ${process.pid}\` instead`,
    );
  }
  let entries: string[];
  try {
    entries = readdirSync(fdDir);
  } catch (cause) {
    throw new BasicsError(
      'BASICS_ERR_UNSUPPORTED_PLATFORM',
      `countOpenSockets cannot read ${quoteInput(fdDir)} (is /proc mounted?)`,
      { cause },
    );
  }
  let sockets = 0;
  for (const entry of entries) {
    try {
      if (readlinkSync(`${fdDir}/${entry}`).startsWith('socket:')) sockets += 1;
    } catch {
      // The descriptor closed between the listing and the read (the listing's own one always does).
    }
  }
  return sockets;
}

/**
 * Connects to `host:port`, giving up after `timeoutMs` with our own timeout error instead of
 * waiting for the kernel (which, when packets are dropped, retries SYN for minutes). On timeout or
 * failure the socket is destroyed, so nothing leaks.
 *
 * @param host - a host name or IP address.
 * @param port - 1 to 65535.
 * @param timeoutMs - how long to wait for the connection. @default 5000
 * @returns the connected socket; the caller handles its `'error'` events from then on.
 * @throws {TypeError} / {RangeError} synchronously for a bad host, port or timeout.
 * @throws {BasicsError} (rejection) `BASICS_ERR_TIMEOUT` when not connected in time;
 *   `BASICS_ERR_CONNECTION` when the connection fails, with the system error (`ECONNREFUSED`, …) as `cause`.
 * @example
 * const socket = await connectWithTimeout('127.0.0.1', 5000, 2_000);
 */
export function connectWithTimeout(
  host: string,
  port: number,
  timeoutMs = 5_000,
): Promise<net.Socket> {
  if (typeof host !== 'string' || host === '')
    throw new TypeError('host must be a non-empty string');
  checkInteger('port', port, 1, PORT_MAX);
  checkTimeoutMs(timeoutMs);
  const target = endpoint(host, port) ?? host;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.off('connect', onConnect).off('error', onError);
      socket.destroy();
      reject(
        new BasicsError(
          'BASICS_ERR_TIMEOUT',
          `connecting to ${target} did not finish within ${timeoutMs} ms: no answer came (no accept, no refusal), so packets are probably being dropped`,
        ),
      );
    }, timeoutMs);
    const onConnect = (): void => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    };
    const onError = (cause: Error): void => {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.destroy();
      const { code, title } = explainSocketError(cause);
      reject(
        new BasicsError(
          'BASICS_ERR_CONNECTION',
          `could not connect to ${target}: ${title} (${code})`,
          { cause },
        ),
      );
    };
    socket.once('connect', onConnect).once('error', onError);
  });
}

/**
 * Reads the next chunk from `socket`, or rejects with our own `BASICS_ERR_TIMEOUT` when nothing
 * arrives for `timeoutMs` (an idle timeout, `socket.setTimeout`). The socket stays open after a
 * timeout: destroy it, or read again. Resolves `null` at the end of the stream.
 *
 * @param socket - a connected socket; it is left in paused mode.
 * @param timeoutMs - how long to wait. @default 5000
 * @throws {RangeError} synchronously for a timeout out of range; {TypeError} for one that is not a
 *   number.
 * @throws {BasicsError} (rejection) `BASICS_ERR_TIMEOUT` when the peer stays silent;
 *   `BASICS_ERR_CONNECTION` when the socket fails (`ECONNRESET`, …), with the system error as `cause`.
 * @example
 * const greeting = await readWithTimeout(socket, 1_000);
 */
export function readWithTimeout(socket: net.Socket, timeoutMs = 5_000): Promise<Buffer | null> {
  checkTimeoutMs(timeoutMs);
  return new Promise((resolve, reject) => {
    const finish = (): void => {
      socket.setTimeout(0);
      socket
        .off('readable', onReadable)
        .off('end', onEnd)
        .off('error', onError)
        .off('timeout', onTimeout);
    };
    const onReadable = (): void => {
      const chunk: unknown = socket.read();
      if (chunk === null) return;
      finish();
      resolve(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    };
    const onEnd = (): void => {
      finish();
      resolve(null);
    };
    const onError = (cause: Error): void => {
      finish();
      const { code, title } = explainSocketError(cause);
      reject(
        new BasicsError('BASICS_ERR_CONNECTION', `reading failed: ${title} (${code})`, { cause }),
      );
    };
    const onTimeout = (): void => {
      finish();
      const peer = endpoint(socket.remoteAddress, socket.remotePort) ?? 'the peer';
      reject(
        new BasicsError(
          'BASICS_ERR_TIMEOUT',
          `nothing arrived from ${peer} within ${timeoutMs} ms: it is connected but silent (the socket is still open)`,
        ),
      );
    };
    if (socket.readableEnded) return resolve(null);
    socket
      .on('readable', onReadable)
      .once('end', onEnd)
      .once('error', onError)
      .once('timeout', onTimeout);
    socket.setTimeout(timeoutMs);
    onReadable();
  });
}

function build(code: string, entry: FailureEntry, source: unknown, at: string): Explanation {
  const explanation: Explanation = {
    code,
    title: entry.title,
    what: entry.what(at),
    likelyCauses: [...entry.likelyCauses],
    nextSteps: [...entry.nextSteps],
    side: entry.side,
    retryable: entry.retryable,
  };
  if (typeof source === 'object' && source !== null) {
    const { syscall, address, port, hostname } = source as Record<string, unknown>;
    if (typeof syscall === 'string') explanation.syscall = syscall;
    if (typeof address === 'string') explanation.address = address;
    if (typeof port === 'number') explanation.port = port;
    if (typeof hostname === 'string') explanation.hostname = hostname;
  }
  return explanation;
}

function where(source: unknown, code: string): string {
  const { address, port, hostname } = (source ?? {}) as Record<string, unknown>;
  const at = endpoint(address, port) ?? (typeof hostname === 'string' ? hostname : undefined);
  if (at !== undefined) return at.length > 300 ? quoteInput(at) : at;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'asked for';
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL')
    return 'the address asked for';
  return 'the other end';
}

function endpoint(address: unknown, port: unknown): string | undefined {
  if (typeof address !== 'string' || address === '') return undefined;
  return typeof port === 'number' ? formatEndpoint({ host: address, port }) : address;
}

/** The error, its `cause`s and an AggregateError's `errors` (breadth first, bounded, no cycles). */
function causeChain(err: unknown): unknown[] {
  const chain: unknown[] = [err];
  for (let index = 0; index < chain.length && chain.length < MAX_CAUSE_DEPTH; index++) {
    const current = chain[index];
    if (typeof current !== 'object' || current === null) continue;
    const next: unknown[] = [];
    if ('cause' in current) next.push(current.cause);
    if ('errors' in current && Array.isArray(current.errors))
      next.push(...current.errors.slice(0, MAX_CAUSE_DEPTH));
    for (const item of next) {
      if (
        item !== undefined &&
        item !== null &&
        !chain.includes(item) &&
        chain.length < MAX_CAUSE_DEPTH
      )
        chain.push(item);
    }
  }
  return chain;
}

/** The longest message of a foreign error carried into an explanation. */
const MAX_MESSAGE_LENGTH = 300;

function clip(text: string): string {
  return text.length > MAX_MESSAGE_LENGTH ? `${text.slice(0, MAX_MESSAGE_LENGTH)}…` : text;
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return clip(err.message || err.name);
  if (
    typeof err === 'object' &&
    err !== null &&
    'message' in err &&
    typeof err.message === 'string'
  ) {
    return clip(err.message);
  }
  try {
    return `a non-error value was thrown: ${quoteInput(err)}`;
  } catch {
    return 'a non-error value was thrown';
  }
}
