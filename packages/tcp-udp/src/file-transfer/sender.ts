/**
 * The sending end of the file-transfer protocol (T8): `sendFiles` pushes files to a receiver, each
 * announced with its size, mode and SHA-256, streamed from disk with backpressure, and resumed
 * from wherever the receiver already has a verified-to-be-the-same partial file.
 *
 * Hashing: the receiver verifies every file end to end against the SHA-256 its sender declares.
 * When both hellos set `digestAfter`, a file whose hash is not given is announced without it and
 * hashed as it is sent, the hash following the body: one read of the file instead of two. A
 * receiver that has something under that name asks for the hash first (`digest-needed`: skip and
 * resume compare hashes), and only then is that file read once to hash it and announced again.
 * With an older receiver every file is hashed before it is announced. Pass `sha256` with a file
 * (known from an earlier send) to announce it with its hash without reading it.
 *
 * Pipelining: when the receiver's hello sets `pipelined`, the next file is announced as soon as a
 * body is out, without waiting for its verdict; the verdicts come in between the next files'
 * answers, in the bodies' order. Many small files then cost no round trip each.
 */

import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { checkInteger, TIMER_MAX_MS } from '@socketlab/internal';
import {
  ConnectionError,
  FileSystemError,
  IntegrityError,
  ProtocolError,
  RemoteError,
  type TcpUdpError,
} from '../errors.ts';
import { encodeFileTransferMessage } from './codec.ts';
import { toFileSystemError } from './fs.ts';
import {
  FILE_TRANSFER_HELLO_FLAGS,
  FILE_TRANSFER_VERSION,
  type FileTransferMessage,
} from './protocol.ts';
import { FileTransferStream } from './stream.ts';

/** One file to send: its path on disk, and optionally the name the receiver sees. */
export interface FileToSend {
  /** Where the file is on this machine. */
  path: string;
  /** The name sent to the receiver (`/` separates subdirectories). @default the path's base name */
  name?: string;
  /** The mode sent (the receiver masks it). @default the file's own permission bits */
  mode?: number;
  /** The SHA-256 in lowercase hex, if already known: saves one read of the file. */
  sha256?: string;
}

/** Progress of one file, reported as body bytes are handed to the socket. */
export interface FileSendProgress {
  /** The file's position in the list. */
  index: number;
  name: string;
  size: number;
  /** Where the body started (bytes the receiver already had). */
  offset: number;
  /** Bytes of the file the receiver has or will have once the socket drains: offset + sent. */
  done: number;
}

/** What became of one file. */
export interface FileSendResult {
  name: string;
  path: string;
  size: number;
  sha256: string;
  /**
   * `sent`: received and verified; `skipped`: the receiver already had it; `refused`: not sent
   * (see `error.remoteCode`); `failed`: sent but not kept (integrity, file system).
   */
  status: 'sent' | 'skipped' | 'refused' | 'failed';
  /** Where the body started (0 unless resumed). */
  offset: number;
  /** Body bytes that crossed the wire for this file. */
  bytesSent: number;
  /** For `refused`/`failed`: a {@link RemoteError} (reason in `remoteCode`) or {@link IntegrityError}. */
  error?: TcpUdpError;
}

/** Options of {@link sendFiles}. */
export interface SendFilesOptions {
  /** Called as body bytes go out (at most once per read chunk). */
  onProgress?: (progress: FileSendProgress) => void;
  /**
   * Called as a file is read to hash it before it is announced (a small file, a receiver that
   * asked for the hash, or one without `digestAfter`); `done` counts from 0 to `size`.
   */
  onHashProgress?: (progress: { index: number; name: string; size: number; done: number }) => void;
  /** How long to wait for the connection. @default 10000 */
  connectTimeoutMs?: number;
  /** How long to wait for each answer, and for each result once a body is sent. @default 60000 */
  answerTimeoutMs?: number;
  /** The size of each read from disk. @default 1 MiB */
  highWaterMark?: number;
  /**
   * Files from this size up are announced without their hash and hashed as they are sent, when
   * the receiver takes that (`digestAfter`); smaller ones are hashed first, which costs little,
   * and spares the receiver a look through the directory for each. `Infinity`: always hash first.
   * @default 1 MiB
   */
  digestAfterFromBytes?: number;
  /**
   * Opens the connection instead of a plain TCP connect to `host:port`: for an embedder that
   * speaks TLS or its own handshake first. It resolves with a connected socket on which the
   * receiver's protocol starts; `connectTimeoutMs` is then the function's own business.
   */
  connect?: () => Promise<net.Socket>;
}

interface Prepared {
  file: FileToSend;
  name: string;
  size: number;
  mode: number;
  /** Known before sending: given, or hashed because the receiver asked. */
  sha256?: string;
}

async function prepare(file: FileToSend | string): Promise<Prepared> {
  const entry = typeof file === 'string' ? { path: file } : file;
  if (typeof entry?.path !== 'string') throw new TypeError('each file needs a path');
  const stats = await stat(entry.path).catch((error: unknown) => {
    throw toFileSystemError(`reading ${entry.path}`, error);
  });
  if (!stats.isFile()) throw new TypeError(`${entry.path} is not a regular file`);
  const name = entry.name ?? path.basename(entry.path);
  const mode = entry.mode ?? stats.mode & 0o7777;
  const { sha256 } = entry;
  // Encoding checks every field (name length, mode, hash shape) before anything is sent.
  const known = sha256 === undefined ? {} : { sha256 };
  encodeFileTransferMessage({ type: 'file', name, size: stats.size, mode, ...known });
  return { file: entry, name, size: stats.size, mode, ...known };
}

/**
 * The SHA-256 of a file, in lowercase hex, read in 1 MiB chunks.
 * @param onBytes - Called after each chunk with the bytes hashed so far.
 * @throws {FileSystemError} `TCPUDP_ERR_FILE_SYSTEM` when it cannot be read.
 * @example await sha256OfFile('photo.jpg') // 'e3b0c442…'
 */
export async function sha256OfFile(
  file: string,
  onBytes?: (done: number) => void,
): Promise<string> {
  const hash = createHash('sha256');
  let done = 0;
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
      hash.update(chunk as Buffer);
      done += (chunk as Buffer).length;
      onBytes?.(done);
    }
  } catch (error) {
    throw toFileSystemError(`hashing ${file}`, error);
  }
  return hash.digest('hex');
}

async function connect(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  const socket = net.connect({ host, port, noDelay: true });
  socket.on('error', () => {}); // surfaced by the stream and the writes
  const timer = setTimeout(
    () => socket.destroy(new Error(`no connection in ${timeoutMs} ms`)),
    timeoutMs,
  );
  try {
    await once(socket, 'connect');
    return socket;
  } catch (error) {
    throw new ConnectionError(
      'TCPUDP_ERR_CONNECTION',
      `cannot connect to ${host}:${port}: ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Sends files to a file receiver over one TCP connection and tells what became of each.
 * Each file is announced (with its hash when given, or when the receiver needs it first; see the
 * module's comment); the receiver answers accept-from-offset (a resume), skip (already there) or
 * refuse, and after a body (and its hash, if it was not announced), its verdict.
 * @param host - The receiver's address.
 * @param port - Its port.
 * @param files - Paths, or {@link FileToSend} entries with the name the receiver should use.
 * @returns One {@link FileSendResult} per file, in order.
 * @throws {TypeError}/{RangeError} for a bad argument, a file that is not a regular file, a name
 *   over 4096 bytes of UTF-8, a mode past 0o7777 or a `sha256` that is not 64 lowercase hex digits
 *   (all checked before connecting).
 * @throws {FileSystemError} `TCPUDP_ERR_FILE_SYSTEM` when a file cannot be read (or shrank).
 * @throws {ConnectionError} `TCPUDP_ERR_CONNECTION`/`TCPUDP_ERR_CLOSED` when the connection fails
 *   or drops; a file cut short stays as a partial on the receiver: send again to resume.
 * @throws {RemoteError} `TCPUDP_ERR_REMOTE` when the receiver ends the session (busy, timeout, …).
 * @throws {TimeoutError} `TCPUDP_ERR_TIMEOUT` when an answer does not come in time.
 * @example
 * const results = await sendFiles('127.0.0.1', 9000, ['a.txt', { path: 'b.bin', name: 'c.bin' }], {
 *   onProgress: ({ name, done, size }) => console.log(`${name}: ${done}/${size}`),
 * });
 */
export async function sendFiles(
  host: string,
  port: number,
  files: readonly (FileToSend | string)[],
  options: SendFilesOptions = {},
): Promise<FileSendResult[]> {
  if (!Array.isArray(files)) throw new TypeError('files must be an array');
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const answerTimeoutMs = options.answerTimeoutMs ?? 60_000;
  const highWaterMark = options.highWaterMark ?? 1024 * 1024;
  const digestAfterFromBytes = options.digestAfterFromBytes ?? 1024 * 1024;
  if (digestAfterFromBytes !== Number.POSITIVE_INFINITY) {
    checkInteger('digestAfterFromBytes', digestAfterFromBytes, 0);
  }
  checkInteger('connectTimeoutMs', connectTimeoutMs, 1, TIMER_MAX_MS);
  checkInteger('answerTimeoutMs', answerTimeoutMs, 1, TIMER_MAX_MS);
  checkInteger('highWaterMark', highWaterMark, 1);
  const prepared: Prepared[] = [];
  for (const file of files) prepared.push(await prepare(file));
  const socket = options.connect
    ? await options.connect()
    : await connect(host, port, connectTimeoutMs);
  const stream = new FileTransferStream(socket, 1024 * 1024);
  const send = (message: FileTransferMessage): void => {
    socket.write(encodeFileTransferMessage(message));
  };
  const answer = async (what: string): Promise<FileTransferMessage> => {
    try {
      const message = await stream.message(answerTimeoutMs, what);
      if (message.type === 'error')
        throw remote(message.reason, message.message, 'ended the session');
      return message;
    } catch (error) {
      throw explain(error, stream);
    }
  };
  try {
    send({
      type: 'hello',
      version: FILE_TRANSFER_VERSION,
      flags:
        FILE_TRANSFER_HELLO_FLAGS.noSpace |
        FILE_TRANSFER_HELLO_FLAGS.digestAfter |
        FILE_TRANSFER_HELLO_FLAGS.pipelined,
    });
    const hello = await answer("the receiver's hello");
    if (hello.type !== 'hello') throw unexpected('hello', hello);
    const digestAfter = ((hello.flags ?? 0) & FILE_TRANSFER_HELLO_FLAGS.digestAfter) !== 0;
    const pipelined = ((hello.flags ?? 0) & FILE_TRANSFER_HELLO_FLAGS.pipelined) !== 0;
    const results: FileSendResult[] = [];
    /** Files whose body went and whose verdict has not come, oldest first. */
    const awaiting: Array<{ index: number; sent: Omit<FileSendResult, 'status'> }> = [];
    const verdict = (result: FileTransferMessage): void => {
      const waiting = awaiting.shift();
      if (result.type !== 'result' || waiting === undefined)
        throw unexpected(waiting ? 'result' : 'an answer to the last file header', result);
      results[waiting.index] = judged(waiting.sent, result);
    };
    /** The next answer that is not a verdict: a pipelining receiver's results come in between. */
    const reply = async (what: string): Promise<FileTransferMessage> => {
      for (;;) {
        const message = await answer(awaiting.length > 0 ? `${what} (or a result)` : what);
        if (message.type !== 'result' || awaiting.length === 0) return message;
        verdict(message);
      }
    };
    const hashedFirst = (file: Prepared): boolean =>
      file.sha256 === undefined && (!digestAfter || file.size < digestAfterFromBytes);
    /** The next small file, read while this one's answer is on its way (a round trip saved). */
    let ahead: { index: number; read: Promise<Buffer> } | undefined;
    const readAhead = (index: number): void => {
      const next = prepared[index];
      if (next === undefined || !hashedFirst(next) || next.size > highWaterMark) return;
      const read = readWhole(next.file.path, next.size);
      read.catch(() => {}); // its failure is thrown where the bytes are needed
      ahead = { index, read };
    };
    for (const [index, file] of prepared.entries()) {
      const { name, size, mode } = file;
      /** A file that fits in one read is read once, whole: hashed, then sent from memory. */
      let whole: Buffer | undefined;
      const hashFirst = async (): Promise<string> => {
        if (size > highWaterMark) {
          return sha256OfFile(file.file.path, (done) =>
            options.onHashProgress?.({ index, name, size, done }),
          );
        }
        whole = await (ahead?.index === index ? ahead.read : readWhole(file.file.path, size));
        ahead = undefined;
        options.onHashProgress?.({ index, name, size, done: size });
        return createHash('sha256').update(whole).digest('hex');
      };
      if (hashedFirst(file)) file.sha256 = await hashFirst();
      send({ type: 'file', name, size, mode, ...(file.sha256 ? { sha256: file.sha256 } : {}) });
      if (pipelined) readAhead(index + 1);
      let answered = await reply(`an answer for ${JSON.stringify(name)}`);
      if (
        answered.type === 'refuse' &&
        answered.reason === 'digest-needed' &&
        file.sha256 === undefined
      ) {
        file.sha256 = await hashFirst();
        send({ type: 'file', name, size, mode, sha256: file.sha256 });
        answered = await reply(`an answer for ${JSON.stringify(name)}, announced with its hash`);
      }
      const announced = file.sha256;
      const base = {
        name,
        path: file.file.path,
        size,
        sha256: announced ?? '',
        offset: 0,
        bytesSent: 0,
      };
      if (answered.type === 'skip') {
        results[index] = { ...base, status: 'skipped' };
        continue;
      }
      if (answered.type === 'refuse') {
        results[index] = {
          ...base,
          status: 'refused',
          error: remote(answered.reason, answered.message, `refused ${JSON.stringify(name)}`),
        };
        continue;
      }
      if (answered.type !== 'accept') throw unexpected('accept, skip or refuse', answered);
      if (answered.offset > size)
        throw new ProtocolError(
          'TCPUDP_ERR_PROTOCOL',
          `the receiver asked to resume at ${answered.offset}, past the size ${size}`,
        );
      const offset = answered.offset;
      const hash = announced === undefined ? createHash('sha256') : undefined;
      const progress = (done: number): void =>
        options.onProgress?.({ index, name, size, offset, done });
      const sent = whole
        ? await sendWhole(socket, stream, whole, offset, progress)
        : await sendBody(socket, stream, file, offset, highWaterMark, hash, progress);
      const sha256 = announced ?? (hash as Hash).digest('hex');
      if (announced === undefined) send({ type: 'digest', sha256 });
      awaiting.push({ index, sent: { ...base, sha256, offset, bytesSent: sent } });
      // A receiver without `pipelined` takes the next header only after this verdict.
      if (!pipelined) verdict(await answer(`the result for ${JSON.stringify(name)}`));
    }
    send({ type: 'end' });
    const end = await reply('the end of the session');
    if (end.type !== 'end') throw unexpected('end', end);
    if (awaiting.length > 0) throw unexpected(`the results of ${awaiting.length} more files`, end);
    return results;
  } finally {
    socket.end();
    socket.destroy();
  }
}

/**
 * The first `size` bytes of a small file, in one buffer: what is hashed is what is sent, even if
 * the file changes meanwhile (as a large file's body is exactly the `size` bytes hashed).
 * @throws {FileSystemError} when it cannot be read or holds fewer than `size` bytes now.
 */
async function readWhole(file: string, size: number): Promise<Buffer> {
  const bytes = Buffer.allocUnsafe(size);
  let filled = 0;
  try {
    const handle = await open(file, 'r');
    try {
      while (filled < size) {
        const { bytesRead } = await handle.read(bytes, filled, size - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw toFileSystemError(`reading ${file}`, error);
  }
  if (filled < size)
    throw new FileSystemError(
      `${file} shrank before it was sent: ${filled} of ${size} bytes`,
      undefined,
    );
  return bytes;
}

/** Sends a body held in memory (a small file, read once) from `offset`, with backpressure. */
async function sendWhole(
  socket: net.Socket,
  stream: FileTransferStream,
  whole: Buffer,
  offset: number,
  progress: (done: number) => void,
): Promise<number> {
  const body = whole.subarray(offset);
  if (body.length === 0) return 0;
  if (!socket.write(body)) {
    await drainOrClose(socket);
    if (socket.destroyed)
      throw explain(
        new ConnectionError('TCPUDP_ERR_CLOSED', 'the connection closed during a body'),
        stream,
      );
  }
  progress(whole.length);
  return body.length;
}

async function sendBody(
  socket: net.Socket,
  stream: FileTransferStream,
  file: Prepared,
  offset: number,
  highWaterMark: number,
  hash: Hash | undefined,
  progress: (done: number) => void,
): Promise<number> {
  const count = file.size - offset;
  if (count === 0) return 0;
  let sent = 0;
  const reader = createReadStream(file.file.path, {
    start: offset,
    end: file.size - 1,
    highWaterMark,
  });
  try {
    for await (const chunk of reader) {
      const bytes = chunk as Buffer;
      sent += bytes.length;
      const flowing = socket.write(bytes);
      // Hashed while the kernel copies it out: the chunk is read-only from here on.
      hash?.update(bytes);
      if (!flowing) {
        await drainOrClose(socket);
        if (socket.destroyed)
          throw explain(
            new ConnectionError('TCPUDP_ERR_CLOSED', 'the connection closed during a body'),
            stream,
          );
      }
      progress(offset + sent);
    }
  } catch (error) {
    if (error instanceof ConnectionError || error instanceof RemoteError) throw error;
    socket.destroy();
    throw toFileSystemError(`reading ${file.file.path}`, error);
  }
  if (sent !== count) {
    socket.destroy();
    throw new FileSystemError(
      `${file.file.path} shrank while it was being sent: ${sent} of ${count} bytes`,
      undefined,
    );
  }
  return sent;
}

/**
 * Waits for `drain` (or `close`), removing both listeners afterwards. A socket already closed
 * (the receiver hung up while the next chunk was read from disk) settles at once: its `close`
 * has been emitted and will not come again.
 */
function drainOrClose(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) {
      resolve();
      return;
    }
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

/** A file's result from the receiver's verdict on it. */
function judged(
  sent: Omit<FileSendResult, 'status'>,
  result: Extract<FileTransferMessage, { type: 'result' }>,
): FileSendResult {
  const { name, sha256 } = sent;
  if (result.status === 'verified') return { ...sent, status: 'sent' };
  if (result.status === 'integrity') {
    const message = `the receiver found ${result.sha256} for ${JSON.stringify(name)}, we declared ${sha256}: the file changed while it was sent, or the receiver's kept partial file was another file's beginning or damaged (it is removed: send again)`;
    return { ...sent, status: 'failed', error: new IntegrityError(message, sha256, result.sha256) };
  }
  return {
    ...sent,
    status: 'failed',
    error: remote(result.status, result.message, `did not keep ${JSON.stringify(name)}`),
  };
}

function remote(reason: string, message: string, what: string): RemoteError {
  return new RemoteError(`the receiver ${what}: ${reason}: ${message}`, reason, message);
}

function unexpected(expected: string, got: FileTransferMessage): ProtocolError {
  return new ProtocolError(
    'TCPUDP_ERR_PROTOCOL',
    `expected ${expected} from the receiver, got ${got.type}`,
  );
}

/** A closed connection with an `error` message waiting explains itself with that message. */
function explain(error: unknown, stream: FileTransferStream): unknown {
  if (!(error instanceof ConnectionError)) return error;
  try {
    const pending = stream.pendingMessage();
    if (pending?.type === 'error')
      return remote(pending.reason, pending.message, 'ended the session');
  } catch {
    // garbage after the close: the connection error says enough
  }
  return error;
}
