/**
 * The app's receiving end: its own TCP (or TLS) server runs the code-phrase handshake, makes the
 * announced folders, then hands the connection to stage 2's `FileReceiver`, which writes each
 * file to a hidden partial, verifies its SHA-256 and links it into place. One session's outcome
 * is summed up in a `session-end` event.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { formatEndpoint } from '@socketlab/basics';
import {
  createFileReceiver,
  type FileReceiver,
  type FileReceiverOptions,
  type TcpUdpError,
} from '@socketlab/tcp-udp';
import { FtError } from '../errors.ts';
import { handshakeAsReceiver } from '../handshake/connection.ts';
import type { SenderHello } from '../handshake/messages.ts';
import { makeReceivedDirectories } from './directories.ts';

/** Options of {@link startFtReceiver}. */
export interface FtReceiverOptions {
  /** The folder files land in (must exist). */
  directory: string;
  /** The code phrase a sender must prove. */
  code: string;
  /** The address to listen on. @default '127.0.0.1' */
  host?: string;
  /** The port; 0 lets the system choose. @default 0 */
  port?: number;
  /** Replace an existing file with other content (atomically). @default false */
  overwrite?: boolean;
  /** How long a sender may stay silent (handshake, headers, mid-body). @default 30000 */
  timeoutMs?: number;
  /** Wrong codes before the receiver stops listening (guessing is then over). @default 10 */
  maxWrongCodes?: number;
  /** Connections still in the handshake at once; more are closed at once. @default 64 */
  maxPendingHandshakes?: number;
  /** Serve TLS with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
  /** More options for stage 2's receiver (limits, an injected file system for tests). */
  receiver?: Omit<
    FileReceiverOptions,
    'directory' | 'host' | 'port' | 'overwrite' | 'allowSubdirectories'
  >;
}

/** How one sender's session went. */
export interface FtSessionSummary {
  peer: string;
  /** What the sender announced. */
  plan: { files: number; bytes: number; directories: number };
  received: number;
  /** Body bytes written in this session (a resume counts only the rest). */
  bytes: number;
  skipped: number;
  refused: { name: string; message: string }[];
  failed: { name: string; message: string }[];
  /** Set when the session ended early (disconnect, timeout, protocol error). */
  error?: TcpUdpError | FtError;
  /** True when the sender said `end` after every file and none was refused or failed. */
  complete: boolean;
  ms: number;
}

/** The events of an {@link FtReceiver}. */
export interface FtReceiverEvents {
  /** A sender proved the code; its folders are made and its files follow. */
  'session-start': [event: { peer: string; plan: FtSessionSummary['plan'] }];
  /** A session is over, well or not. */
  'session-end': [summary: FtSessionSummary];
  /** A connection was turned away before any byte was written (wrong code, bad handshake …). */
  denied: [event: { peer: string; error: FtError }];
  /** `maxWrongCodes` was reached: the receiver stopped listening. */
  'too-many-wrong-codes': [count: number];
}

/** A running app receiver; see {@link startFtReceiver}. */
export class FtReceiver extends EventEmitter<FtReceiverEvents> {
  readonly #server: net.Server;
  readonly #open = new Set<net.Socket>();
  readonly #sessions = new Map<string, FtSessionSummary>();
  #wrongCodes = 0;
  #pending = 0;
  #port = 0;

  constructor(
    readonly options: FtReceiverOptions,
    /** Stage 2's receiver, for its events (`file`, `progress`, `refused` …) and limits. */
    readonly files: FileReceiver,
  ) {
    super();
    const onSocket = (socket: net.Socket): void => void this.#serve(socket);
    this.#server = options.tls
      ? tls.createServer({ key: options.tls.key, cert: options.tls.cert }, onSocket)
      : net.createServer(onSocket);
    this.#server.on('tlsClientError', () => {}); // a failed TLS handshake: nothing was written
    const session = (peer: string) => this.#sessions.get(peer);
    files.on('file', (e) => {
      const s = session(e.peer);
      if (s) {
        s.received += 1;
        s.bytes += e.size - e.resumedFrom;
      }
    });
    files.on('skipped', (e) => {
      const s = session(e.peer);
      if (s) s.skipped += 1;
    });
    files.on('refused', (e) => session(e.peer)?.refused.push({ name: e.name, message: e.message }));
    files.on('failed', (e) => session(e.peer)?.failed.push({ name: e.name, message: e.message }));
    files.on('session-error', (error, ref) => {
      const s = session(ref.peer);
      if (s) s.error ??= error;
    });
  }

  /** Senders whose files are being received now (past the handshake). */
  get activeSessions(): number {
    return this.#sessions.size;
  }

  /** The port listened on (after `listen()`). */
  get port(): number {
    return this.#port;
  }

  /** Starts listening; resolves with the bound address. */
  listen(): Promise<net.AddressInfo> {
    const { host = '127.0.0.1', port = 0 } = this.options;
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        const address = this.#server.address() as net.AddressInfo;
        this.#port = address.port;
        resolve(address);
      });
    });
  }

  /** Stops listening and cuts every connection (partial files are kept for a resume). */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#open) socket.destroy();
    await this.files.close();
    await closed;
  }

  async #serve(socket: net.Socket): Promise<void> {
    socket.on('error', () => {});
    this.#open.add(socket);
    socket.once('close', () => this.#open.delete(socket));
    const peer = formatEndpoint({
      host: socket.remoteAddress ?? '?',
      port: socket.remotePort ?? 0,
    });
    const started = performance.now();
    if (this.#pending >= (this.options.maxPendingHandshakes ?? 64)) {
      socket.destroy();
      this.emit('denied', {
        peer,
        error: new FtError('FT_ERR_HANDSHAKE', 'too many connections in the handshake at once'),
      });
      return;
    }
    this.#pending += 1;
    let hello: SenderHello;
    try {
      hello = await handshakeAsReceiver(
        socket,
        this.options.code,
        this.options.timeoutMs ?? 30_000,
        (h) => makeReceivedDirectories(this.files.directory, h.directories),
      );
    } catch (error) {
      const typed =
        error instanceof FtError
          ? error
          : new FtError('FT_ERR_HANDSHAKE', String((error as Error)?.message ?? error), {
              cause: error,
            });
      socket.end();
      socket.setTimeout(1_000, () => socket.destroy());
      this.emit('denied', { peer, error: typed });
      if (typed.code === 'FT_ERR_WRONG_CODE') {
        this.#wrongCodes += 1;
        if (this.#wrongCodes >= (this.options.maxWrongCodes ?? 10)) {
          this.#server.close();
          this.emit('too-many-wrong-codes', this.#wrongCodes);
        }
      }
      return;
    } finally {
      this.#pending -= 1;
    }
    const plan = { files: hello.files, bytes: hello.bytes, directories: hello.directories.length };
    const summary: FtSessionSummary = {
      peer,
      plan,
      received: 0,
      bytes: 0,
      skipped: 0,
      refused: [],
      failed: [],
      complete: false,
      ms: 0,
    };
    this.#sessions.set(peer, summary);
    this.emit('session-start', { peer, plan });
    const session = this.files.accept(socket);
    socket.resume();
    await session;
    this.#sessions.delete(peer);
    summary.ms = performance.now() - started;
    summary.complete =
      summary.error === undefined && summary.refused.length === 0 && summary.failed.length === 0;
    this.emit('session-end', summary);
  }
}

/**
 * Starts a receiver: files from senders that prove `code` land in `directory`, folders and all.
 * @throws {TypeError}/{RangeError} for a bad option or a missing directory (synchronously, from
 *   stage 2's checks); rejects with the system error when the address cannot be bound.
 * @example
 * const receiver = await startFtReceiver({ directory: '/srv/inbox', code: 'otter-lime' });
 * receiver.on('session-end', (s) => console.log(`${s.received} files from ${s.peer}`));
 */
export async function startFtReceiver(options: FtReceiverOptions): Promise<FtReceiver> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const files = createFileReceiver({
    headerTimeoutMs: timeoutMs,
    idleTimeoutMs: timeoutMs,
    ...options.receiver,
    directory: options.directory,
    overwrite: options.overwrite ?? false,
    allowSubdirectories: true,
  });
  const receiver = new FtReceiver(options, files);
  try {
    await receiver.listen();
  } catch (error) {
    await files.close();
    throw error;
  }
  return receiver;
}
