/**
 * The options of a file receiver, their defaults and checks, and the events it emits. Pure: the
 * receiver (`file-transfer/receiver.ts`) resolves its options here once, synchronously.
 */
import { checkInteger } from '@socketlab/internal';
import type { FileSystemError, TcpUdpError } from '../errors.ts';
import type { FileTransferFs } from './fs.ts';
import type { FileTransferReason, FileTransferStatus } from './protocol.ts';

/** Options of {@link createFileReceiver}. Every limit has a default; all are checked at once. */
export interface FileReceiverOptions {
  /** The directory files are written into (must exist). Required. */
  directory: string;
  /** The address to listen on. @default '127.0.0.1' */
  host?: string;
  /** The port to listen on; 0 lets the kernel choose. @default 0 */
  port?: number;
  /** Accept names with `/` (subdirectories are created, never followed if symlinks). @default false */
  allowSubdirectories?: boolean;
  /** Replace an existing file of the same name (atomically, by `rename`). @default false */
  overwrite?: boolean;
  /**
   * ANDed with the mode the sender declares. The default drops setuid, setgid, sticky and the
   * world-write bit; widen it only if you trust every sender. @default 0o775
   */
  modeMask?: number;
  /** The largest file accepted, in bytes. @default 16 GiB */
  maxFileBytes?: number;
  /** The most files one session may announce; past it the session ends. @default 10000 */
  maxFilesPerSession?: number;
  /** The most body bytes one session may announce in all. @default 64 GiB */
  maxSessionBytes?: number;
  /** The most sessions at once; one more is told `busy` and closed. @default 16 */
  maxSessions?: number;
  /**
   * The most sessions at once from one IP address, so one host cannot take every slot; one more
   * is told `busy` and closed. @default 4
   */
  maxSessionsPerPeer?: number;
  /**
   * Bytes read from senders and not yet written to disk, across all sessions. When it is
   * reached, sessions that hold buffered bytes stop reading until it drops (one that holds none
   * may always read). Bounds the receiver's memory below `maxSessions` × `highWaterMark`.
   * @default 32 MiB
   */
  maxBufferedBytes?: number;
  /** How long a whole control message may take to arrive (hello, each header, end). @default 10000 */
  headerTimeoutMs?: number;
  /**
   * After asking a sender for a file's hash (`digest-needed`), the header may take this much
   * longer per byte of the file: the sender reads the whole file to hash it, and a 16 GiB file
   * does not hash in `headerTimeoutMs`. The least rate a sender's disk and CPU are trusted with.
   * @default 32 MiB (per second)
   */
  minHashBytesPerSecond?: number;
  /** How long a body may go without a single byte. @default 30000 */
  idleTimeoutMs?: number;
  /**
   * The least rate a body must arrive at, in bytes per second averaged over each
   * `bodyRateWindowMs` (as Apache's `mod_reqtimeout` `MinRate`): a sender trickling a byte now
   * and then restarts the idle timer but not this one, and is cut with `timeout`. A window in
   * which the receiver itself paused reading (a slow disk) is not judged. 0: off. @default 1024
   */
  minBodyBytesPerSecond?: number;
  /** The window `minBodyBytesPerSecond` is averaged over. @default 10000 */
  bodyRateWindowMs?: number;
  /** The longest name component, in bytes: 255 (`NAME_MAX`) minus the partial name's 26. @default 229 */
  maxComponentBytes?: number;
  /**
   * Files at least this large are hashed on a worker thread, off the event loop (chunks are
   * transferred, not copied). It helps only when a core is idle: on a busy two-core machine it
   * measured slower than hashing inline (more CPU in all), so it is off unless you set it.
   * 0: every file. @default Number.MAX_SAFE_INTEGER (off)
   */
  hashInWorkerFromBytes?: number;
  /**
   * File headers one session may send per second, on average (bursts of up to as many). Past it,
   * the receiver answers later rather than sooner: a sender that pipelines thousands of headers
   * is paced, one that waits for each answer never notices. @default 1000
   */
  maxFileHeadersPerSecond?: number;
  /** Bytes buffered per session before the socket is paused. @default 4 MiB */
  highWaterMark?: number;
  /** The file-system operations (tests inject failures here). @default node:fs/promises */
  fs?: FileTransferFs;
}

/** Which session an event comes from. */
export interface FileReceiverSessionRef {
  /** `host:port` of the sender. */
  peer: string;
}

/** The events of a {@link FileReceiver}. */
export interface FileReceiverEvents {
  /** A file was received, verified and moved into place. */
  file: [
    event: FileReceiverSessionRef & {
      name: string;
      path: string;
      size: number;
      sha256: string;
      resumedFrom: number;
    },
  ];
  /** A file was announced that is already here, identical: nothing was sent. */
  skipped: [event: FileReceiverSessionRef & { name: string; path: string }];
  /** A file was refused before its body (the sender was told why). */
  refused: [
    event: FileReceiverSessionRef & {
      name: string;
      reason: FileTransferReason;
      message: string;
      error?: TcpUdpError;
    },
  ];
  /** A body arrived but the file was not kept (integrity, file system, or the sender vanished). */
  failed: [
    event: FileReceiverSessionRef & {
      name: string;
      /** `no-space`: the disk filled up mid-body; the partial file is kept for a resume. */
      status: FileTransferStatus | 'disconnected' | 'no-space';
      message: string;
      error?: TcpUdpError;
    },
  ];
  /** A file-system failure, also reported as `refused` or `failed`: disk full, no permission, … */
  'file-system-error': [error: FileSystemError];
  /** Body bytes written for a file so far. */
  progress: [event: FileReceiverSessionRef & { name: string; received: number; size: number }];
  /** A session ended on an error (garbage, timeout, limit, disconnect); the server goes on. */
  'session-error': [error: TcpUdpError, ref: FileReceiverSessionRef];
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

function option(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  return checkInteger(name, value ?? fallback, min, max);
}

/** Every numeric option of a receiver, resolved: the given value or its default. */
export type FileReceiverLimits = Required<
  Omit<FileReceiverOptions, 'directory' | 'host' | 'fs' | 'allowSubdirectories' | 'overwrite'>
>;

/**
 * Resolves the numeric options of a receiver to their values or defaults, checking each.
 * @throws {TypeError} for a value that is not an integer; {RangeError} for one out of range.
 * @example resolveFileReceiverLimits({ directory: '.' }).maxSessions // 16
 */
export function resolveFileReceiverLimits(options: FileReceiverOptions): FileReceiverLimits {
  const max = Number.MAX_SAFE_INTEGER;
  return {
    port: option('port', options.port, 0, 0, 65_535),
    modeMask: option('modeMask', options.modeMask, 0o775, 0, 0o7777),
    maxFileBytes: option('maxFileBytes', options.maxFileBytes, 16 * GiB, 0, max),
    maxFilesPerSession: option('maxFilesPerSession', options.maxFilesPerSession, 10_000, 1, max),
    maxSessionBytes: option('maxSessionBytes', options.maxSessionBytes, 64 * GiB, 0, max),
    maxSessions: option('maxSessions', options.maxSessions, 16, 1, 100_000),
    maxSessionsPerPeer: option('maxSessionsPerPeer', options.maxSessionsPerPeer, 4, 1, 100_000),
    maxBufferedBytes: option(
      'maxBufferedBytes',
      options.maxBufferedBytes,
      32 * MiB,
      64 * 1024,
      max,
    ),
    minBodyBytesPerSecond: option(
      'minBodyBytesPerSecond',
      options.minBodyBytesPerSecond,
      1024,
      0,
      max,
    ),
    bodyRateWindowMs: option('bodyRateWindowMs', options.bodyRateWindowMs, 10_000, 1, 2 ** 31 - 1),
    headerTimeoutMs: option('headerTimeoutMs', options.headerTimeoutMs, 10_000, 1, 2 ** 31 - 1),
    minHashBytesPerSecond: option(
      'minHashBytesPerSecond',
      options.minHashBytesPerSecond,
      32 * 1024 * 1024,
      1,
      max,
    ),
    idleTimeoutMs: option('idleTimeoutMs', options.idleTimeoutMs, 30_000, 1, 2 ** 31 - 1),
    maxComponentBytes: option('maxComponentBytes', options.maxComponentBytes, 229, 1, 229),
    hashInWorkerFromBytes: option(
      'hashInWorkerFromBytes',
      options.hashInWorkerFromBytes,
      max,
      0,
      max,
    ),
    maxFileHeadersPerSecond: option(
      'maxFileHeadersPerSecond',
      options.maxFileHeadersPerSecond,
      1000,
      1,
      1_000_000,
    ),
    highWaterMark: option(
      'highWaterMark',
      options.highWaterMark,
      4 * 1024 * 1024,
      64 * 1024,
      2 ** 30,
    ),
  };
}
