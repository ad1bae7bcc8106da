/**
 * The app's sending end: connects (TCP or TLS with a pinned fingerprint), proves the code phrase,
 * announces the folders, then lets stage 2's `sendFiles` stream the files over that same
 * connection; the receiver resumes any partial. Hashing is stage 2's: a large file is hashed as
 * it is sent (its hash follows the body), and read first only when the receiver needs the hash
 * to skip or resume it (with progress, `onHash`); a hash remembered from an earlier send is
 * announced without reading the file.
 */
import { once } from 'node:events';
import { stat } from 'node:fs/promises';
import net from 'node:net';
import { type FileSendProgress, type FileSendResult, sendFiles } from '@socketlab/tcp-udp';
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
  const stats = [];
  for (const file of plan.files) {
    if (signal?.aborted) throw stopped();
    const fileStats = options.hashCache ? await stat(file.path) : undefined;
    const sha256 = fileStats && options.hashCache?.get(fileStats);
    stats.push(fileStats);
    files.push({
      path: file.path,
      name: file.name,
      mode: file.mode,
      ...(sha256 ? { sha256 } : {}),
    });
  }
  const results = await sendFiles(options.host, options.port, files, {
    answerTimeoutMs: timeoutMs,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    onHashProgress: ({ index, done }) => {
      const file = plan.files[index];
      if (file) options.onHash?.(file, done);
    },
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
  // What the receiver verified (or already had) is remembered for the next send of that file.
  for (const [index, result] of results.entries()) {
    const fileStats = stats[index];
    if (fileStats && (result.status === 'sent' || result.status === 'skipped')) {
      options.hashCache?.set(fileStats, result.sha256);
    }
  }
  await options.hashCache?.save();
  return results;
}
