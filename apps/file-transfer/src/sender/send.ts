/**
 * The app's sending end: hashes each planned file (with progress), connects (TCP or TLS with a
 * pinned fingerprint), proves the code phrase, announces the folders, then lets stage 2's
 * `sendFiles` stream the files over that same connection; the receiver resumes any partial.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import net from 'node:net';
import {
  type FileSendProgress,
  type FileSendResult,
  FileSystemError,
  sendFiles,
} from '@socketlab/tcp-udp';
import { FtError } from '../errors.ts';
import { handshakeAsSender } from '../handshake/connection.ts';
import { type ConnectTlsOptions, connectTls } from '../tls/connect.ts';
import type { HashCache } from './hash-cache.ts';
import type { PlannedFile, TransferPlan } from './plan.ts';

/** Options of {@link sendPlan}. */
export interface SendPlanOptions {
  host: string;
  port: number;
  code: string;
  /** How long to wait for the connection and for each answer. @default 30000 */
  timeoutMs?: number;
  /** Speak TLS and check the receiver's certificate this way. */
  tls?: Omit<ConnectTlsOptions, 'host' | 'port' | 'timeoutMs'>;
  /** Hashing progress: bytes of `file` hashed so far. */
  onHash?: (file: PlannedFile, done: number) => void;
  /** Sending progress, from stage 2. */
  onProgress?: (progress: FileSendProgress) => void;
  /** Called once the receiver has accepted the code (the transfer starts). */
  onWelcome?: () => void;
  /** Stops the transfer (the connection is cut; the receiver keeps its partial files). */
  signal?: AbortSignal;
  /** Remembered hashes of large files: a second send (a resume) skips reading them first. */
  hashCache?: HashCache;
}

/**
 * The SHA-256 of a file in lowercase hex, reporting progress as it reads.
 * @throws {FileSystemError} `TCPUDP_ERR_FILE_SYSTEM` when it cannot be read.
 */
export async function hashFile(file: string, onBytes?: (done: number) => void): Promise<string> {
  const hash = createHash('sha256');
  let done = 0;
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
      hash.update(chunk as Buffer);
      done += (chunk as Buffer).length;
      onBytes?.(done);
    }
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).code;
    throw new FileSystemError(
      `cannot read ${JSON.stringify(file)} to hash it (${errno ?? (error as Error).message})`,
      errno,
      { cause: error },
    );
  }
  return hash.digest('hex');
}

async function connectTcp(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  const socket = net.connect({ host, port, noDelay: true });
  socket.on('error', () => {});
  const timer = setTimeout(
    () => socket.destroy(new Error(`no answer in ${timeoutMs} ms`)),
    timeoutMs,
  );
  try {
    await once(socket, 'connect');
    return socket;
  } catch (cause) {
    throw new FtError(
      'FT_ERR_CONNECTION',
      `cannot connect to ${host}:${port}: ${(cause as Error).message}`,
      { cause },
    );
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Sends a {@link TransferPlan} to a receiver and resolves with what became of each file.
 * @throws {FtError} `FT_ERR_WRONG_CODE`, `FT_ERR_UNSAFE_NAME` (the receiver refused the session),
 *   `FT_ERR_FINGERPRINT`, `FT_ERR_CONNECTION`, `FT_ERR_TIMEOUT`, `FT_ERR_HANDSHAKE`.
 * @throws stage 2's errors once files flow: `ConnectionError` when the connection drops (send
 *   again to resume), `RemoteError` when the receiver ends the session (`no-space`, `timeout` …).
 */
export async function sendPlan(
  plan: TransferPlan,
  options: SendPlanOptions,
): Promise<FileSendResult[]> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const { signal } = options;
  const stopped = (): FtError => new FtError('FT_ERR_CONNECTION', 'interrupted');
  const files = [];
  for (const file of plan.files) {
    if (signal?.aborted) throw stopped();
    const stats = options.hashCache ? await stat(file.path) : undefined;
    let sha256 = stats && options.hashCache?.get(stats);
    if (!sha256) {
      sha256 = await hashFile(file.path, (done) => options.onHash?.(file, done));
      if (stats) options.hashCache?.set(stats, sha256);
    }
    files.push({ path: file.path, name: file.name, mode: file.mode, sha256 });
  }
  await options.hashCache?.save();
  return sendFiles(options.host, options.port, files, {
    answerTimeoutMs: timeoutMs,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    connect: async () => {
      const socket = options.tls
        ? await connectTls({ ...options.tls, host: options.host, port: options.port, timeoutMs })
        : await connectTcp(options.host, options.port, timeoutMs);
      try {
        await handshakeAsSender(socket, options.code, timeoutMs, {
          directories: plan.directories,
          files: plan.files.length,
          bytes: plan.bytes,
        });
      } catch (error) {
        socket.destroy();
        throw error;
      }
      if (signal?.aborted) {
        socket.destroy();
        throw stopped();
      }
      signal?.addEventListener('abort', () => socket.destroy(), { once: true });
      options.onWelcome?.();
      // Stage 2's reader attaches to the socket as soon as this resolves; it flows after that.
      setImmediate(() => socket.resume());
      return socket;
    },
  });
}
