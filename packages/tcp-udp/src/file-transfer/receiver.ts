/**
 * The receiving end of the file-transfer protocol (T8): a TCP server that writes the files it is
 * sent into one directory, verified by SHA-256, resumable, and safe against hostile names,
 * planted symlinks, oversized files, slow or garbage headers, and a full or read-only disk.
 * One bad session never stops the others; the server stays up.
 */

import { EventEmitter } from 'node:events';
import { realpathSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  ConnectionError,
  FileSystemError,
  LimitExceededError,
  ProtocolError,
  quoteInput,
  TcpUdpError,
  TimeoutError,
} from '../errors.ts';
import { formatTcpPeer } from '../tcp/index.ts';
import { BufferBudget } from './buffer-budget.ts';
import { encodeFileTransferMessage } from './codec.ts';
import { nodeFileTransferFs } from './fs.ts';
import {
  FILE_TRANSFER_HELLO_FLAGS,
  FILE_TRANSFER_VERSION,
  type FileTransferMessage,
  type FileTransferReason,
} from './protocol.ts';
import {
  type FileReceiverEvents,
  type FileReceiverLimits,
  type FileReceiverOptions,
  type FileReceiverSessionRef,
  resolveFileReceiverLimits,
} from './receiver-options.ts';
import { FileReceiverStore, isNoSpace, type Upload } from './receiver-store.ts';
import { FileTransferStream } from './stream.ts';
import { TokenBucket } from './token-bucket.ts';

/** A running file receiver; see {@link createFileReceiver}. */
export class FileReceiver extends EventEmitter<FileReceiverEvents> {
  readonly #server: net.Server;
  readonly #store: FileReceiverStore;
  readonly #host: string;
  readonly #limits: FileReceiverLimits;
  /** Sockets of running sessions (what `maxSessions` counts). */
  readonly #sockets = new Set<net.Socket>();
  /** Every open socket, sessions and those being closed, so that close() never waits on one. */
  readonly #open = new Set<net.Socket>();
  readonly #sessions = new Set<Promise<void>>();
  /**
   * Names being received, by the socket whose session holds them; `released` settles when the
   * file is finished (with a pipelined sender, after the next files have begun).
   */
  readonly #inProgress = new Map<string, { socket: net.Socket; released: Promise<void> }>();
  /** Running sessions by the sender's address (what `maxSessionsPerPeer` counts). */
  readonly #perPeer = new Map<string, number>();
  readonly #budget: BufferBudget;

  /** @see {@link createFileReceiver} for the options. */
  constructor(options: FileReceiverOptions) {
    super();
    if (typeof options?.directory !== 'string' || options.directory === '') {
      throw new TypeError('directory must be the path of an existing directory');
    }
    const root = realpathSync(path.resolve(options.directory));
    if (!statSync(root).isDirectory()) throw new TypeError(`${root} is not a directory`);
    this.#host = options.host ?? '127.0.0.1';
    if (net.isIP(this.#host) === 0)
      throw new TypeError(`host must be an IP address, got ${this.#host}`);
    this.#limits = resolveFileReceiverLimits(options);
    this.#budget = new BufferBudget(this.#limits.maxBufferedBytes);
    this.#store = new FileReceiverStore({
      root,
      fs: options.fs ?? nodeFileTransferFs,
      allowSubdirectories: options.allowSubdirectories ?? false,
      overwrite: options.overwrite ?? false,
      modeMask: this.#limits.modeMask,
      maxComponentBytes: this.#limits.maxComponentBytes,
      hashInWorkerFromBytes: this.#limits.hashInWorkerFromBytes,
    });
    this.#server = net.createServer((socket) => void this.accept(socket));
  }

  /** Bytes read from senders and not yet written, across all sessions (see `maxBufferedBytes`). */
  get bufferedBytes(): number {
    return this.#budget.used;
  }

  /** The directory files land in (symlinks resolved once, at creation). */
  get directory(): string {
    return this.#store.options.root;
  }

  /**
   * Starts listening.
   * @throws {ConnectionError} `TCPUDP_ERR_CONNECTION` when the address cannot be bound.
   */
  listen(): Promise<net.AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void =>
        reject(
          new ConnectionError('TCPUDP_ERR_CONNECTION', `cannot listen: ${error.message}`, {
            cause: error,
          }),
        );
      this.#server.once('error', onError);
      this.#server.listen(this.#limits.port, this.#host, () => {
        this.#server.off('error', onError);
        resolve(this.#server.address() as net.AddressInfo);
      });
    });
  }

  /** Stops accepting, cuts every session (partial files are kept for a resume) and waits. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#open) socket.destroy();
    await Promise.allSettled([...this.#sessions]);
    await closed;
  }

  /**
   * Serves one connection that is already open, as if it had arrived on `listen()`'s port: for
   * an embedder that accepts connections itself (over TLS, or after its own handshake). The
   * limits, events and `close()` apply to it as to any other session.
   * @param socket - A connected socket (a `tls.TLSSocket` works too) with nothing read from it
   *   that belongs to the protocol.
   * @returns A promise that settles when the session is over (it never rejects: a failure is
   *   emitted as `session-error`).
   * @example tlsServer.on('secureConnection', (socket) => receiver.accept(socket));
   */
  accept(socket: net.Socket): Promise<void> {
    const ref = { peer: formatTcpPeer(socket.remoteAddress, socket.remotePort) };
    socket.on('error', () => {}); // reported through the stream; never crash the server
    // Answers are small writes, often two in a row (a verdict, then the next file's accept):
    // with Nagle's algorithm the second waited for the ACK of the first, which the sender's
    // kernel delays up to 40 ms, per file.
    socket.setNoDelay(true);
    this.#open.add(socket);
    socket.once('close', () => this.#open.delete(socket));
    const address = peerAddress(socket.remoteAddress);
    const fromPeer = this.#perPeer.get(address) ?? 0;
    const { maxSessions, maxSessionsPerPeer } = this.#limits;
    const busy =
      this.#sockets.size >= maxSessions
        ? { message: `the receiver serves ${maxSessions} sessions at once`, limit: maxSessions }
        : fromPeer >= maxSessionsPerPeer
          ? {
              message: `the receiver serves ${maxSessionsPerPeer} sessions at once from one address`,
              limit: maxSessionsPerPeer,
            }
          : undefined;
    if (busy) {
      const message = `${busy.message}; try again later`;
      socket.end(encodeFileTransferMessage({ type: 'error', reason: 'busy', message }));
      socket.setTimeout(this.#limits.headerTimeoutMs, () => socket.destroy());
      const count = busy.limit === maxSessions ? this.#sockets.size : fromPeer;
      this.emit(
        'session-error',
        new LimitExceededError('TCPUDP_ERR_LIMIT_EXCEEDED', message, busy.limit, count + 1),
        ref,
      );
      return Promise.resolve();
    }
    this.#sockets.add(socket);
    this.#perPeer.set(address, fromPeer + 1);
    const session = this.#session(socket, ref).finally(() => {
      this.#sockets.delete(socket);
      const left = (this.#perPeer.get(address) ?? 1) - 1;
      if (left > 0) this.#perPeer.set(address, left);
      else this.#perPeer.delete(address);
      this.#sessions.delete(session);
    });
    this.#sessions.add(session);
    return session;
  }

  async #session(socket: net.Socket, ref: FileReceiverSessionRef): Promise<void> {
    const limits = this.#limits;
    const stream = new FileTransferStream(socket, limits.highWaterMark, this.#budget);
    let knowsNoSpace = false;
    let digestAfter = false;
    let pipelined = false;
    /** The file last refused with `digest-needed`: its announcement with the hash is not a new file. */
    let hashAskedFor: { name: string; size: number } | undefined;
    const send = (message: FileTransferMessage): void => {
      if (socket.destroyed || socket.writableEnded) return;
      // A sender from before `no-space` would not decode it: it hears `file-system` instead.
      const wire =
        'reason' in message && message.reason === 'no-space' && !knowsNoSpace
          ? { ...message, reason: 'file-system' as const }
          : message;
      socket.write(encodeFileTransferMessage(wire));
    };
    const headers = new TokenBucket(
      limits.maxFileHeadersPerSecond,
      limits.maxFileHeadersPerSecond,
      performance.now(),
    );
    let files = 0;
    let total = 0;
    let errorSent = false;
    const sendError = (reason: FileTransferReason, message: string): void => {
      if (errorSent) return;
      errorSent = true;
      send({ type: 'error', reason, message });
    };
    // A pipelined sender's files are finished while the next ones arrive: each verdict is sent
    // once the file is finished AND every verdict before it has been sent (bodies' order).
    const verdicts = new Set<Promise<void>>();
    let lastVerdict: Promise<void> = Promise.resolve();
    const later = (finishing: Promise<() => void>): void => {
      const verdict = Promise.all([finishing, lastVerdict]).then(([deliver]) => deliver());
      lastVerdict = verdict;
      verdicts.add(verdict);
      const settled = (): void => void verdicts.delete(verdict);
      verdict.then(settled, settled);
    };
    try {
      const hello = await stream.message(limits.headerTimeoutMs, 'a hello');
      if (hello.type !== 'hello')
        throw new ProtocolError('TCPUDP_ERR_PROTOCOL', `expected a hello, got ${hello.type}`);
      if (hello.version !== FILE_TRANSFER_VERSION) {
        const message = `this receiver speaks version ${FILE_TRANSFER_VERSION}, the sender ${hello.version}`;
        sendError('unsupported-version', message);
        throw new ProtocolError('TCPUDP_ERR_PROTOCOL', message);
      }
      knowsNoSpace = ((hello.flags ?? 0) & FILE_TRANSFER_HELLO_FLAGS.noSpace) !== 0;
      digestAfter = ((hello.flags ?? 0) & FILE_TRANSFER_HELLO_FLAGS.digestAfter) !== 0;
      pipelined = ((hello.flags ?? 0) & FILE_TRANSFER_HELLO_FLAGS.pipelined) !== 0;
      send({
        type: 'hello',
        version: FILE_TRANSFER_VERSION,
        flags:
          FILE_TRANSFER_HELLO_FLAGS.noSpace |
          FILE_TRANSFER_HELLO_FLAGS.digestAfter |
          FILE_TRANSFER_HELLO_FLAGS.pipelined,
      });
      for (;;) {
        // At most this many files finishing at once: the oldest must be done before another starts.
        if (verdicts.size >= MAX_PENDING_VERDICTS) await [...verdicts][0];
        // A sender asked for a hash reads its whole file first: the header may take that long too.
        const hashing = hashAskedFor
          ? Math.ceil((hashAskedFor.size / limits.minHashBytesPerSecond) * 1000)
          : 0;
        const message = await stream.message(
          Math.min(limits.headerTimeoutMs + hashing, 2 ** 31 - 1),
          hashAskedFor
            ? `${quoteInput(hashAskedFor.name)} announced again with its hash, or end`
            : 'a file header or end',
        );
        // What a sender left buffered when it went away is dropped, not worked through.
        if (isGone(socket)) throw senderGone();
        if (message.type === 'end') {
          await lastVerdict;
          send({ type: 'end' });
          socket.end();
          return;
        }
        if (message.type !== 'file') {
          throw new ProtocolError(
            'TCPUDP_ERR_PROTOCOL',
            `expected a file header or end, got ${message.type}`,
          );
        }
        if (message.sha256 === undefined && !digestAfter) {
          throw new ProtocolError(
            'TCPUDP_ERR_PROTOCOL',
            `${quoteInput(message.name)} was announced without its hash by a sender whose hello did not set digestAfter`,
          );
        }
        const again = hashAskedFor?.name === message.name && message.sha256 !== undefined;
        hashAskedFor = undefined;
        if (!again) files += 1;
        const wait = again ? 0 : headers.take(performance.now());
        if (wait > 0) await pause(socket, wait);
        if (isGone(socket)) throw senderGone();
        if (files > limits.maxFilesPerSession) {
          const error = new LimitExceededError(
            'TCPUDP_ERR_LIMIT_EXCEEDED',
            `a session may send at most ${limits.maxFilesPerSession} files`,
            limits.maxFilesPerSession,
            files,
          );
          sendError('too-many-files', error.message);
          throw error;
        }
        const refuse = (reason: FileTransferReason, text: string, error?: TcpUdpError): void => {
          send({ type: 'refuse', reason, message: text });
          this.emit('refused', {
            ...ref,
            name: message.name,
            reason,
            message: text,
            ...(error ? { error } : {}),
          });
          if (error instanceof FileSystemError) this.emit('file-system-error', error);
        };
        if (message.size > limits.maxFileBytes) {
          const text = `${message.size} bytes is over this receiver's limit of ${limits.maxFileBytes}`;
          refuse(
            'too-large',
            text,
            new LimitExceededError(
              'TCPUDP_ERR_LIMIT_EXCEEDED',
              text,
              limits.maxFileBytes,
              message.size,
            ),
          );
          continue;
        }
        if (total + message.size > limits.maxSessionBytes) {
          const text = `this file would bring the session to ${total + message.size} bytes, over the limit of ${limits.maxSessionBytes}`;
          refuse(
            'session-too-large',
            text,
            new LimitExceededError(
              'TCPUDP_ERR_LIMIT_EXCEEDED',
              text,
              limits.maxSessionBytes,
              total + message.size,
            ),
          );
          continue;
        }
        await this.#receiveFile(
          message,
          socket,
          stream,
          send,
          refuse,
          ref,
          (n) => {
            total += n;
          },
          () => {
            hashAskedFor = { name: message.name, size: message.size };
          },
          pipelined ? later : undefined,
        );
      }
    } catch (error) {
      // The files whose bodies are in are finished and their verdicts sent before the error.
      await lastVerdict.catch(() => {});
      const typed = asTransferError(error);
      if (typed instanceof TimeoutError) sendError('timeout', typed.message);
      else if (typed instanceof FileSystemError) {
        sendError(isNoSpace(typed) ? 'no-space' : 'file-system', typed.message);
      } else if (typed instanceof ProtocolError || typed instanceof LimitExceededError) {
        sendError('malformed', typed.message);
      } else if (!(typed instanceof ConnectionError)) sendError('internal', typed.message);
      this.emit('session-error', typed, ref);
      socket.end();
      socket.setTimeout(1_000, () => socket.destroy());
    }
  }

  async #receiveFile(
    header: Extract<FileTransferMessage, { type: 'file' }>,
    socket: net.Socket,
    stream: FileTransferStream,
    send: (message: FileTransferMessage) => void,
    refuse: (reason: FileTransferReason, text: string, error?: TcpUdpError) => void,
    ref: FileReceiverSessionRef,
    count: (bytes: number) => void,
    askedForHash: () => void,
    later: ((finishing: Promise<() => void>) => void) | undefined,
  ): Promise<void> {
    const key = header.name;
    const holder = this.#inProgress.get(key);
    // This session's own earlier file of that name, still finishing: it decides skip or exists.
    if (holder?.socket === socket) await holder.released;
    if (this.#inProgress.has(key)) {
      refuse(
        'in-progress',
        `${quoteInput(header.name)} is being received by another session right now`,
      );
      return;
    }
    let release = (): void => {};
    const released = new Promise<void>((resolve) => {
      release = () => {
        this.#inProgress.delete(key);
        resolve();
      };
    });
    this.#inProgress.set(key, { socket, released });
    let upload: Upload | undefined;
    let handedOver = false;
    try {
      let decision: Awaited<ReturnType<FileReceiverStore['prepare']>>;
      try {
        decision = await this.#store.prepare(header, () => isGone(socket));
      } catch (error) {
        if (error instanceof ConnectionError) throw error;
        const fsError = asTransferError(error);
        refuse(isNoSpace(fsError) ? 'no-space' : 'file-system', fsError.message, fsError);
        return;
      }
      if (isGone(socket)) {
        // The sender left while the file system was consulted: no answer, no partial to keep.
        if (decision.kind === 'accept') await decision.upload.abandon(decision.offset > 0);
        throw senderGone();
      }
      if (decision.kind === 'refuse' && decision.reason === 'digest-needed') {
        // Not a refusal the owner hears of: the sender announces the file again, with its hash.
        send({ type: 'refuse', reason: decision.reason, message: decision.message });
        askedForHash();
        return;
      }
      if (decision.kind === 'refuse') {
        refuse(decision.reason, decision.message, decision.error);
        return;
      }
      if (decision.kind === 'skip') {
        send({ type: 'skip' });
        this.emit('skipped', { ...ref, name: header.name, path: decision.path });
        return;
      }
      upload = decision.upload;
      const active = upload;
      send({ type: 'accept', offset: decision.offset });
      count(header.size - decision.offset);
      await stream.body(
        header.size - decision.offset,
        async (chunks) => {
          await active.write(chunks);
          this.emit('progress', {
            ...ref,
            name: header.name,
            received: active.position,
            size: header.size,
          });
        },
        {
          idleTimeoutMs: this.#limits.idleTimeoutMs,
          minBytesPerSecond: this.#limits.minBodyBytesPerSecond,
          rateWindowMs: this.#limits.bodyRateWindowMs,
        },
      );
      let declared = header.sha256;
      if (declared === undefined) {
        const digest = await stream.message(
          this.#limits.headerTimeoutMs,
          `the hash of ${quoteInput(header.name)} after its body`,
        );
        if (digest.type !== 'digest') {
          throw new ProtocolError(
            'TCPUDP_ERR_PROTOCOL',
            `expected the digest of ${quoteInput(header.name)} after its body, got ${digest.type}`,
          );
        }
        declared = digest.sha256;
      }
      upload = undefined;
      const resumedFrom = decision.offset;
      const finishing = active.finish(declared).then((outcome) => {
        release();
        return () => {
          send({
            type: 'result',
            status: outcome.status,
            sha256: outcome.sha256,
            message: outcome.message,
          });
          if (outcome.status === 'verified') {
            this.emit('file', {
              ...ref,
              name: header.name,
              path: active.finalPath,
              size: header.size,
              sha256: outcome.sha256,
              resumedFrom,
            });
          } else {
            this.emit('failed', {
              ...ref,
              name: header.name,
              status: outcome.status,
              message: outcome.message,
              ...(outcome.error ? { error: outcome.error } : {}),
            });
            if (outcome.error instanceof FileSystemError)
              this.emit('file-system-error', outcome.error);
          }
        };
      });
      handedOver = true;
      if (later) later(finishing);
      else (await finishing)();
    } catch (error) {
      if (upload) {
        // The sender vanished or stalled mid-body, or the disk filled up: keep what arrived,
        // for a resume.
        await upload.abandon(true);
        const typed = asTransferError(error);
        const full = isNoSpace(typed);
        this.emit('failed', {
          ...ref,
          name: header.name,
          status: full ? 'no-space' : 'disconnected',
          message: `${typed.message}; the partial file is kept for a resume`,
          error: typed,
        });
        if (typed instanceof FileSystemError) this.emit('file-system-error', typed);
      }
      throw error;
    } finally {
      if (!handedOver) release();
    }
  }
}

/**
 * How many files of one pipelined session may be finishing (hashed, fsynced, linked) at once;
 * the session reads no further header until the oldest is done. Each holds an open file.
 */
const MAX_PENDING_VERDICTS = 16;

/** The sender's address, an IPv4-mapped IPv6 one as plain IPv4 (one host, one count). */
const peerAddress = (address: string | undefined): string =>
  address?.startsWith('::ffff:') ? address.slice(7) : (address ?? '?');

/** True once nothing more can be said to the sender: it reset, or ended its side. */
const isGone = (socket: net.Socket): boolean => socket.destroyed || !socket.writable;

const senderGone = (): ConnectionError =>
  new ConnectionError(
    'TCPUDP_ERR_CLOSED',
    'the sender went away; what it left unread is dropped, not worked through',
  );

/** Waits `ms`, or less if the socket closes first. */
function pause(socket: net.Socket, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      socket.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    socket.once('close', done);
  });
}

function asTransferError(error: unknown): TcpUdpError {
  if (error instanceof Error && 'code' in error && String(error.code).startsWith('TCPUDP_ERR_')) {
    return error as TcpUdpError;
  }
  // Not a ProtocolError: the peer did nothing wrong, the session ends with reason 'internal'.
  return new TcpUdpError(
    'TCPUDP_ERR_PROTOCOL',
    `internal error: ${String((error as Error)?.message ?? error)}`,
    { cause: error },
  );
}

/**
 * Creates a file receiver: a TCP server that stores the files senders push into `directory`.
 * Each file goes to a hidden partial file (`.<name>.<hash16>.partial`, opened with `O_NOFOLLOW`),
 * is hashed as it is written, fsynced, verified, then linked into place (renamed when `overwrite`).
 * @param options - The directory, address and limits ({@link FileReceiverOptions}).
 * @returns A {@link FileReceiver}; call `listen()`.
 * @throws {TypeError}/{RangeError} (synchronously) for a bad option or a missing directory.
 * @see `sendFiles` for the other end, and the protocol in `file-transfer/protocol.ts`.
 * @example
 * const receiver = createFileReceiver({ directory: '/srv/inbox' });
 * receiver.on('file', ({ name, size }) => console.log(`got ${name}, ${size} bytes`));
 * const { port } = await receiver.listen();
 */
export function createFileReceiver(options: FileReceiverOptions): FileReceiver {
  return new FileReceiver(options);
}
