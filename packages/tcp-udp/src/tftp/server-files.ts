/**
 * The TFTP server's file side: opening a file to serve and creating an uploaded one, never
 * outside the root (names checked by `resolveSafePath`, symlinks resolved and checked, the final
 * open with `O_NOFOLLOW`), and reading blocks through a window.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { UnsafePathError } from '../errors.ts';
import { resolveSafePath } from '../file-transfer/index.ts';
import { TFTP_ERROR_CODES } from './packet.ts';

/** Why a request is refused: the TFTP error code and message to send. Internal to the server. */
export class TftpRefusal extends Error {
  constructor(
    readonly tftpCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** Maps a failure of the checks or of the file system to the ERROR the client gets. */
export function tftpRefusalFor(err: unknown): TftpRefusal {
  if (err instanceof TftpRefusal) return err;
  if (err instanceof UnsafePathError) {
    return new TftpRefusal(TFTP_ERROR_CODES.accessViolation, 'Access violation: unsafe file name');
  }
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR')
    return new TftpRefusal(TFTP_ERROR_CODES.fileNotFound, 'File not found');
  if (code === 'EEXIST') return new TftpRefusal(TFTP_ERROR_CODES.fileExists, 'File already exists');
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new TftpRefusal(TFTP_ERROR_CODES.diskFull, 'Disk full or allocation exceeded');
  }
  return new TftpRefusal(TFTP_ERROR_CODES.accessViolation, 'Access violation');
}

async function inside(root: string, target: string, name: string): Promise<void> {
  const realRoot = await fs.realpath(root);
  if (target !== realRoot && !target.startsWith(realRoot + path.sep)) {
    throw new UnsafePathError('a symbolic link leads outside the root', name);
  }
}

/**
 * Opens `name` under `root` to serve it.
 * @throws {TftpRefusal} ERROR 2 for an unsafe name or a link out of the root, 1 for a missing
 *   file or a directory.
 */
export async function openTftpReadFile(
  root: string,
  name: string,
): Promise<{ file: fs.FileHandle; size: number }> {
  try {
    const full = resolveSafePath(root, name, { allowSubdirectories: true });
    const real = await fs.realpath(full);
    await inside(root, real, name);
    const file = await fs.open(real, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
    const stat = await file.stat();
    if (!stat.isFile()) {
      await file.close();
      throw new TftpRefusal(TFTP_ERROR_CODES.fileNotFound, 'not a regular file');
    }
    return { file, size: stat.size };
  } catch (err) {
    throw tftpRefusalFor(err);
  }
}

/** An upload being written: a hidden part file, linked under its name only when complete. */
export interface TftpUpload {
  /** Appends one block, in order (writes are chained). */
  write(chunk: Uint8Array): void;
  /** Waits for the writes, then links the part file under the final name (never overwriting). */
  commit(): Promise<void>;
  /** Removes the part file. */
  abort(): Promise<void>;
}

/**
 * Prepares an upload of `name` under `root`: the directory must exist inside the root and the
 * name must be free (TFTP has no overwrite: ERROR 6).
 * @throws {TftpRefusal} ERROR 2 (unsafe name), 1 (no such directory), 6 (file exists).
 */
export async function createTftpUpload(root: string, name: string): Promise<TftpUpload> {
  let part: string;
  let final: string;
  let file: fs.FileHandle;
  try {
    final = resolveSafePath(root, name, { allowSubdirectories: true });
    const dir = await fs.realpath(path.dirname(final));
    await inside(root, dir, name);
    final = path.join(dir, path.basename(final));
    const exists = await fs.lstat(final).then(
      () => true,
      () => false,
    );
    if (exists) throw new TftpRefusal(TFTP_ERROR_CODES.fileExists, 'File already exists');
    part = path.join(dir, `.${path.basename(final)}.${randomBytes(6).toString('hex')}.tftp-part`);
    file = await fs.open(
      part,
      fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW,
      0o644,
    );
  } catch (err) {
    throw tftpRefusalFor(err);
  }
  let chain = Promise.resolve();
  let failure: unknown;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await file.close();
  };
  return {
    write: (chunk) => {
      const copy = Buffer.from(chunk);
      chain = chain.then(() =>
        file.write(copy).then(
          () => {},
          (err: unknown) => {
            failure ??= err;
          },
        ),
      );
    },
    commit: async () => {
      await chain;
      try {
        if (failure) throw failure;
        await file.sync();
        await close();
        await fs.link(part, final); // fails with EEXIST rather than overwrite a file made meanwhile
      } catch (err) {
        throw tftpRefusalFor(err);
      } finally {
        await close().catch(() => {});
        await fs.rm(part, { force: true });
      }
    },
    abort: async () => {
      await chain;
      await close().catch(() => {});
      await fs.rm(part, { force: true });
    },
  };
}

/**
 * Reads blocks through a 64 KiB window: one file-system read serves many small blocks, instead
 * of a thread-pool round trip per 512-byte block.
 */
export function windowedReader(file: fs.FileHandle, windowBytes = 64 * 1024) {
  let start = 0;
  let data: Buffer = Buffer.alloc(0);
  return async (offset: number, length: number): Promise<Buffer> => {
    if (offset < start || offset + length > start + data.length) {
      data = await readAt(file, offset, Math.max(windowBytes, length));
      start = offset;
    }
    return data.subarray(offset - start, offset - start + length);
  };
}

async function readAt(file: fs.FileHandle, offset: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await file.read(buffer, filled, length - filled, offset + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}
