/**
 * The file-system operations the file receiver uses, as a small interface with `node:fs/promises`
 * as the default, so tests (and embedders) can inject a full disk or a missing permission; and
 * the mapping of their errno codes to a {@link FileSystemError} that says what to do.
 */
import fs from 'node:fs/promises';
import { FileSystemError } from '../errors.ts';

/** The part of a `FileHandle` the receiver uses. */
export interface FileTransferHandle {
  read(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ bytesRead: number }>;
  writev(buffers: Uint8Array[], position?: number): Promise<{ bytesWritten: number }>;
  truncate(length?: number): Promise<void>;
  chmod(mode: number): Promise<void>;
  sync(): Promise<void>;
  /** `fstat(2)` of the open file: what the receiver checks before it reads or writes a byte. */
  stat(): Promise<FileTransferHandleStats>;
  close(): Promise<void>;
}

/**
 * What `fstat` must tell about an open file: its kind, size, number of links and owner (a file
 * is written only when it is a regular file with one link, owned by the receiver's user), and
 * its identity and change times (an existing file is hashed once while they stay the same).
 */
export interface FileTransferHandleStats {
  size: number;
  nlink: number;
  uid: number;
  dev: number;
  ino: number;
  mtimeMs: number;
  ctimeMs: number;
  isFile(): boolean;
}

/** What `lstat` must tell: the kind of entry (never following a symlink) and its size. */
export interface FileTransferStats {
  size: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

/** The file-system operations of the receiver. Every path is absolute. */
export interface FileTransferFs {
  /** `open(2)`: flags are numeric (`O_NOFOLLOW` included). */
  open(path: string, flags: number, mode?: number): Promise<FileTransferHandle>;
  lstat(path: string): Promise<FileTransferStats>;
  mkdir(path: string, options: { mode: number }): Promise<unknown>;
  /** `link(2)`: fails with `EEXIST` when `newPath` exists, which makes "never overwrite" atomic. */
  link(existingPath: string, newPath: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /**
   * `readdir(3)`: the names in a directory. Only to find a partial file for a file announced
   * without its hash; without it such a file is always asked for its hash first.
   */
  readdir?(path: string): Promise<string[]>;
}

/** The real file system: `node:fs/promises`. */
export const nodeFileTransferFs: FileTransferFs = {
  open: (p, flags, mode) => fs.open(p, flags, mode),
  lstat: (p) => fs.lstat(p),
  mkdir: (p, options) => fs.mkdir(p, options),
  link: (a, b) => fs.link(a, b),
  rename: (a, b) => fs.rename(a, b),
  unlink: (p) => fs.unlink(p),
  readdir: (p) => fs.readdir(p),
};

const ADVICE: Record<string, string> = {
  ENOSPC: 'the disk is full: free some space, or point the receiver at another directory',
  EDQUOT: 'the disk quota is used up: free some space or raise the quota',
  EACCES:
    "permission denied: check the directory's owner and mode (the receiver must be able to write it)",
  EPERM: "operation not permitted: check the directory's owner, mode and attributes (chattr +i?)",
  EROFS: 'the file system is read-only: remount it read-write or choose another directory',
  ENOENT: 'the directory does not exist (any more): create it or choose another',
  ENOTDIR: 'a part of the path is not a directory',
  EMFILE: 'too many open files in this process: raise the limit (ulimit -n) or lower maxSessions',
  EIO: 'an input/output error: the disk may be failing',
};

/**
 * A path quoted for a message, at most about 120 characters: a long one keeps its end (the part
 * that tells which file) after a `…`. Peers choose names, so every path in a message is bounded.
 * @example quotePath('/srv/inbox/a.txt') // '"/srv/inbox/a.txt"'
 */
export function quotePath(file: string, max = 120): string {
  return JSON.stringify(file.length > max ? `…${file.slice(file.length - max + 1)}` : file);
}

/** The `code` of a Node system error, if it has one. */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Wraps a file-system failure in a {@link FileSystemError} that says what failed and what to do.
 * @param what - What the receiver was doing, e.g. `writing "/srv/inbox/.a.partial"`.
 * @param error - The error from `node:fs` (its `code` becomes `errno`, it becomes `cause`).
 * @example toFileSystemError('writing x', Object.assign(new Error(), { code: 'ENOSPC' })).errno // 'ENOSPC'
 */
export function toFileSystemError(what: string, error: unknown): FileSystemError {
  if (error instanceof FileSystemError) return error;
  const errno = errnoOf(error);
  const advice =
    (errno && ADVICE[errno]) ?? `unexpected error: ${(error as Error)?.message ?? String(error)}`;
  return new FileSystemError(`${what} failed (${errno ?? 'no errno'}): ${advice}`, errno, {
    cause: error,
  });
}
