/**
 * Listening on and connecting to Unix domain sockets (AF_UNIX, SOCK_STREAM) the way servers
 * that run for years do it: a socket file left by a crashed server is detected and replaced,
 * a live server is never stolen from, a file that is not a socket is never removed, the path
 * length is checked before binding, permissions are set, and the file goes away on close.
 */
import type { Stats } from 'node:fs';
import { chmod, lstat, stat, unlink } from 'node:fs/promises';
import net from 'node:net';
import { dirname } from 'node:path';
import { listenServer } from '@socketlab/basics';
import { checkInteger } from '@socketlab/internal';
import { ConnectionError, FileSystemError } from '../errors.ts';
import {
  checkTcpTimeout,
  TcpConnection,
  type TcpConnectionOptions,
  whenConnected,
} from '../tcp/index.ts';
import { checkUnixSocketPath } from './path.ts';

/** Default of {@link UnixListenOptions.mode}: only the owner may connect. */
export const DEFAULT_UNIX_SOCKET_MODE = 0o600;

/** Default of {@link UnixListenOptions.probeTimeoutMs}. */
export const DEFAULT_UNIX_PROBE_TIMEOUT_MS = 1_000;

/** Default of {@link UnixConnectOptions.connectTimeoutMs}. */
export const DEFAULT_UNIX_CONNECT_TIMEOUT_MS = 1_000;

/** Options of {@link listenUnix}. */
export interface UnixListenOptions {
  /**
   * Permission bits set on the socket file right after binding. Connecting needs write
   * permission, so `0o600` is owner-only and `0o660` lets the group in. Ignored for abstract
   * names, which have no file (and no permissions: anyone in the network namespace may connect).
   * @default 0o600
   */
  readonly mode?: number;
  /** How long to wait when connecting to an existing socket file to see whether it is live. @default 1000 */
  readonly probeTimeoutMs?: number;
  /** Pending connections the kernel queues before `accept`. @default 511 (Node's) */
  readonly backlog?: number;
  /** Options for the `net.Server` (`allowHalfOpen`, `pauseOnConnect`, …). */
  readonly serverOptions?: net.ServerOpts;
  /**
   * How long `close()` lets open connections finish before destroying them. End them yourself
   * first for a clean close; this bound only keeps a forgotten client from holding `close()`
   * forever.
   * @default 2000
   */
  readonly closeTimeoutMs?: number;
}

/** Default of {@link UnixListenOptions.closeTimeoutMs}. */
export const DEFAULT_UNIX_CLOSE_TIMEOUT_MS = 2_000;

/** A listening Unix socket server from {@link listenUnix}. */
export interface UnixSocketServer {
  /** The Node server: add `'connection'` listeners to it. */
  readonly server: net.Server;
  /** The path (or `\0name`) it listens on. */
  readonly path: string;
  /** True for a Linux abstract-namespace name. */
  readonly abstract: boolean;
  /** True when a stale socket file was found and removed before binding. */
  readonly replacedStale: boolean;
  /**
   * Stops accepting, waits up to `closeTimeoutMs` for open connections to end, destroys those
   * still open, and removes the socket file if it is still the one this server made.
   * Idempotent: a second call returns the same promise.
   */
  close(): Promise<void>;
}

/**
 * Listens on a Unix domain socket path (or a Linux abstract name) and resolves once bound.
 *
 * When the path is taken (`EADDRINUSE`): if it is a socket file, it connects to it; refused
 * (`ECONNREFUSED`) means the server that made it is gone, so the stale file is removed and the
 * bind retried once; an answer means a live server owns it, and nothing is touched. A path that
 * exists but is not a socket (a regular file, a directory) is never removed.
 *
 * The test connection to a live server is accepted and closed at once: that server sees one
 * empty connection.
 *
 * @param path - Where to listen: a file-system path of at most 107 bytes, or `\0name`.
 * @param options - `mode`, `probeTimeoutMs`, `backlog`, `serverOptions`, `closeTimeoutMs`.
 * @throws {TypeError} or {RangeError} (synchronously) for a bad path (see
 *   {@link checkUnixSocketPath}) or bad options.
 * @throws {ConnectionError} `TCPUDP_ERR_CONNECTION` (rejects) when a live server already
 *   listens there, or binding fails for another reason (the system error is the `cause`).
 * @throws {FileSystemError} `TCPUDP_ERR_FILE_SYSTEM` (rejects) when the path exists and is not a
 *   socket, or the stale file or the `chmod` is refused (`errno` says why).
 * @see man 7 unix; man 2 bind ("EADDRINUSE … The given address is already in use").
 * @example
 * ```ts
 * const unix = await listenUnix('/tmp/app.sock', { mode: 0o660 });
 * unix.server.on('connection', (socket) => socket.end('hello\n'));
 * // … later
 * await unix.close(); // the file is gone
 * ```
 */
export function listenUnix(
  path: string,
  options: UnixListenOptions = {},
): Promise<UnixSocketServer> {
  const address = checkUnixSocketPath(path);
  const mode = checkInteger('mode', options.mode ?? DEFAULT_UNIX_SOCKET_MODE, 0, 0o7777);
  const probeTimeoutMs = checkTcpTimeout(
    'probeTimeoutMs',
    options.probeTimeoutMs ?? DEFAULT_UNIX_PROBE_TIMEOUT_MS,
    false,
  );
  const backlog = checkInteger('backlog', options.backlog ?? 511, 1);
  const closeTimeoutMs = checkTcpTimeout(
    'closeTimeoutMs',
    options.closeTimeoutMs ?? DEFAULT_UNIX_CLOSE_TIMEOUT_MS,
    true,
  );
  return start(path, address.abstract, {
    mode,
    probeTimeoutMs,
    backlog,
    closeTimeoutMs,
    serverOptions: options.serverOptions ?? {},
  });
}

interface Settings {
  readonly mode: number;
  readonly probeTimeoutMs: number;
  readonly backlog: number;
  readonly closeTimeoutMs: number;
  readonly serverOptions: net.ServerOpts;
}

async function start(
  path: string,
  abstract: boolean,
  settings: Settings,
): Promise<UnixSocketServer> {
  const { mode, probeTimeoutMs, backlog, closeTimeoutMs } = settings;
  const server = net.createServer(settings.serverOptions);
  let replacedStale = false;
  let failure = await bind(server, path, backlog);
  if (failure?.code === 'EADDRINUSE' && !abstract) {
    replacedStale = await removeIfStale(path, probeTimeoutMs, failure);
    failure = await bind(server, path, backlog);
  }
  if (failure !== undefined) {
    const live = failure.code === 'EADDRINUSE';
    throw new ConnectionError(
      'TCPUDP_ERR_CONNECTION',
      live
        ? `another server is listening on ${describe(path)}; stop it, or choose another path`
        : `could not listen on ${describe(path)}: ${await explainBindFailure(path, abstract, failure)}`,
      { cause: failure },
    );
  }
  let identity: Stats | undefined;
  if (!abstract) {
    try {
      await chmod(path, mode);
      identity = await lstat(path);
    } catch (err) {
      await new Promise((resolve) => server.close(resolve));
      throw fsError(`setting mode ${mode.toString(8)} on ${path}`, err);
    }
  }
  const open = new Set<net.Socket>();
  server.on('connection', (socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    const timer = setTimeout(() => {
      for (const socket of open) socket.destroy();
    }, closeTimeoutMs);
    timer.unref();
    await stopped;
    clearTimeout(timer);
    if (identity === undefined) return;
    // libuv unlinks the file when the server closes; remove it only if it is still ours.
    const now = await lstat(path).catch(() => undefined);
    if (now?.isSocket() && now.ino === identity.ino && now.dev === identity.dev) {
      await unlink(path).catch(() => undefined);
    }
  };
  return {
    server,
    path,
    abstract,
    replacedStale,
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}

function bind(
  server: net.Server,
  path: string,
  backlog: number,
): Promise<NodeJS.ErrnoException | undefined> {
  return listenServer(server, { path, backlog }).then(
    () => undefined,
    (err: NodeJS.ErrnoException) => err,
  );
}

/**
 * Removes `path` if it is a socket nobody listens on (true), or finds it already gone (false);
 * throws if it is live or not a socket.
 */
async function removeIfStale(path: string, probeTimeoutMs: number, inUse: Error): Promise<boolean> {
  let stats: Stats;
  try {
    stats = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false; // gone meanwhile: retry
    throw fsError(`checking ${path}`, err);
  }
  if (!stats.isSocket()) {
    throw new FileSystemError(
      `${path} exists and is ${stats.isDirectory() ? 'a directory' : stats.isSymbolicLink() ? 'a symbolic link' : 'not a socket'}; refusing to remove it. Choose another path, or remove it yourself`,
      'EEXIST',
      { cause: inUse },
    );
  }
  try {
    const probe = await connectUnix(path, { connectTimeoutMs: probeTimeoutMs });
    probe.destroy();
  } catch (err) {
    const code = ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ECONNREFUSED') {
      // A socket file with no listener: its server died without closing. Safe to replace.
      await unlink(path).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
          throw fsError(`removing stale ${path}`, error);
      });
      return true;
    }
    if (code === 'ENOENT') return false;
    throw new ConnectionError(
      'TCPUDP_ERR_CONNECTION',
      `${path} is in use and did not answer a test connection (${code ?? (err as Error).message}); not removing it`,
      { cause: err },
    );
  }
  throw new ConnectionError(
    'TCPUDP_ERR_CONNECTION',
    `another server is listening on ${path} (it accepted a test connection); stop it, or choose another path`,
    { cause: inUse },
  );
}

/** Options of {@link connectUnix}. */
export interface UnixConnectOptions {
  /** How long connecting may take, in ms. @default {@link DEFAULT_UNIX_CONNECT_TIMEOUT_MS} (1000) */
  readonly connectTimeoutMs?: number;
  /** The connection's idle timeout once connected (see {@link TcpConnectionOptions}); 0 = none. @default 0 */
  readonly idleTimeoutMs?: number;
}

/**
 * Connects to a Unix domain socket and resolves with a {@link TcpConnection}, the same
 * connection type as `connectTcpClient`'s: half-close with `end()`, `reset()`, typed errors,
 * backpressure-aware `write()`. A Unix stream socket has no address or port: the connection's
 * `peerName` (and every message) names the path, `remoteAddress` is `''` and `remotePort` 0.
 *
 * @param path - A file-system path or `\0name`.
 * @param options - `connectTimeoutMs`, `idleTimeoutMs`.
 * @throws {TypeError} or {RangeError} (synchronously) for a bad path or timeout.
 * @throws {ConnectionError} `TCPUDP_ERR_CONNECTION` (rejects) saying what the errno means
 *   here: `ENOENT` no socket file, `ECONNREFUSED` a stale file with no server, `EACCES` the
 *   file's mode forbids you, `ENOTSOCK`/`ECONNREFUSED` on a file that is not a socket.
 * @throws {TimeoutError} `TCPUDP_ERR_TIMEOUT` (rejects) after `connectTimeoutMs`.
 * @example
 * ```ts
 * const conn = await connectUnix('/tmp/app.sock');
 * await conn.write('hello\n');
 * await conn.end(); // our FIN, then the server's
 * ```
 */
export function connectUnix(
  path: string,
  options: UnixConnectOptions = {},
): Promise<TcpConnection> {
  checkUnixSocketPath(path);
  const timeoutMs = checkTcpTimeout(
    'connectTimeoutMs',
    options.connectTimeoutMs ?? DEFAULT_UNIX_CONNECT_TIMEOUT_MS,
    false,
  );
  const idleTimeoutMs = checkTcpTimeout('idleTimeoutMs', options.idleTimeoutMs ?? 0, true);
  const peerName = describe(path);
  return new Promise((resolve) => {
    const socket = net.connect({ path, allowHalfOpen: true });
    resolve(
      whenConnected(socket, peerName, timeoutMs, explain).then(
        () => new TcpConnection(socket, { idleTimeoutMs, peerName }),
      ),
    );
  });
}

/**
 * libuv reports a missing directory as `EACCES` when binding a pipe (it converts `ENOENT`, for
 * Windows' sake: see `uv_pipe_bind` in libuv's `src/unix/pipe.c`), so look at the directory.
 */
async function explainBindFailure(
  path: string,
  abstract: boolean,
  err: NodeJS.ErrnoException,
): Promise<string> {
  const code = err.code ?? err.message;
  if (abstract || code !== 'EACCES') return code;
  const dir = dirname(path);
  const found = await stat(dir).catch(() => undefined);
  if (found === undefined) return `EACCES: the directory ${dir} does not exist`;
  if (!found.isDirectory()) return `EACCES: ${dir} is not a directory`;
  return `EACCES: no permission to create a file in ${dir} (binding needs write and search permission on it)`;
}

function explain(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT':
      return 'ENOENT, no socket file there: is the server running, and is the path right?';
    case 'ECONNREFUSED':
      return 'ECONNREFUSED, nobody listens: a stale socket file left by a server that stopped, or not a socket';
    case 'EACCES':
      return "EACCES, the socket file's mode (or a directory on the way) does not let you write to it";
    case 'EAGAIN':
      return "EAGAIN, the server's accept queue (backlog) is full";
    default:
      return err.code ?? err.message;
  }
}

function describe(path: string): string {
  return path.startsWith('\0') ? `the abstract name @${path.slice(1)}` : path;
}

function fsError(what: string, err: unknown): FileSystemError {
  const errno = (err as NodeJS.ErrnoException).code;
  return new FileSystemError(`${what} failed: ${errno ?? String(err)}`, errno, { cause: err });
}
