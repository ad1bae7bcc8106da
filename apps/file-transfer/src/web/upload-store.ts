/**
 * Where browser uploads land: a hidden partial file per upload id (see `partialUploadName`),
 * opened without following symlinks; on resume its bytes are re-hashed and the page continues
 * after them; on `end` the SHA-256 is compared with the page's, the file synced, and put in
 * place atomically (`link`, which never replaces, or `rename` when overwriting). A partial is
 * kept when the connection drops or the disk fails, and removed only when its hash is wrong.
 */
import { createHash, type Hash } from 'node:crypto';
import { constants } from 'node:fs';
import nodeFs from 'node:fs/promises';
import path from 'node:path';
import {
  checkSafeName,
  type FileTransferFs,
  type FileTransferHandle,
  type FileTransferStats,
  nodeFileTransferFs,
} from '@socketlab/tcp-udp';
import { type ReceivedFile, WebTransferError } from './protocol.ts';

const { O_CREAT, O_NOFOLLOW, O_RDWR } = constants;
const REHASH_CHUNK = 1024 * 1024;

/** The partial file's name: hidden, and naming the upload id (stage 2's receiver names its own the same way). */
export function partialUploadName(name: string, id: string): string {
  return `.${name}.${id.slice(0, 16)}.partial`;
}

/** One file the page announced. */
export interface UploadRequest {
  id: string;
  name: string;
  size: number;
}

/** A finished, verified upload. */
export interface StoredFile {
  name: string;
  size: number;
  sha256: string;
  path: string;
}

/**
 * The file-system operations of the upload store: stage 2's receiver interface, with `lstat`
 * telling the modification time and `readdir` (the download list) required.
 */
export interface UploadStoreFs extends FileTransferFs {
  lstat(path: string): Promise<FileTransferStats & { mtimeMs: number }>;
  readdir(path: string): Promise<string[]>;
}

/** The real file system: `node:fs/promises`. */
export const nodeUploadStoreFs: UploadStoreFs = {
  ...nodeFileTransferFs,
  lstat: (p) => nodeFs.lstat(p),
  readdir: (p) => nodeFs.readdir(p),
};

const lstatOrUndefined = (
  fs: UploadStoreFs,
  p: string,
): Promise<(FileTransferStats & { mtimeMs: number }) | undefined> =>
  fs.lstat(p).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });

function ioError(what: string, cause: unknown): WebTransferError {
  const code = (cause as NodeJS.ErrnoException).code ?? 'error';
  return new WebTransferError('FT_WEB_ERR_IO', `${what}: ${code}; the partial file is kept`, {
    cause,
  });
}

/**
 * Checks a name from the page: one plain component (stage 2's `checkSafeName`), not hidden
 * (partial files are hidden), and returns it.
 * @throws {WebTransferError} `FT_WEB_ERR_UNSAFE_NAME`.
 */
export function checkUploadName(name: string): string {
  try {
    checkSafeName(name);
  } catch (cause) {
    throw new WebTransferError('FT_WEB_ERR_UNSAFE_NAME', (cause as Error).message, { cause });
  }
  if (name.startsWith('.')) {
    throw new WebTransferError(
      'FT_WEB_ERR_UNSAFE_NAME',
      `${JSON.stringify(name.slice(0, 60))} starts with a dot: hidden names are the receiver's partial files`,
    );
  }
  return name;
}

/** The folder uploads land in, and the uploads in progress by id (one writer per id). */
export class UploadStore {
  readonly #active = new Map<string, Upload>();
  /** Partial files opened or being re-hashed, not yet in `#active`. */
  readonly #opening = new Set<string>();

  constructor(
    readonly root: string,
    readonly overwrite: boolean,
    readonly maxFileBytes: number,
    /** The file-system operations (stage 2's interface; tests inject a full disk). */
    readonly fs: UploadStoreFs = nodeUploadStoreFs,
  ) {}

  /** The partial files being written (or opened for a resume) right now: never stale. */
  partialsInUse(): string[] {
    return [...this.#opening, ...[...this.#active.values()].map((upload) => upload.partialPath)];
  }

  /**
   * Opens (or reopens) the partial file for `request`; a connection still writing the same id
   * is taken over (it fails with `FT_WEB_ERR_TAKEN_OVER` at its next message).
   * @throws {WebTransferError} `FT_WEB_ERR_UNSAFE_NAME`, `FT_WEB_ERR_EXISTS`,
   *   `FT_WEB_ERR_TOO_LARGE`, `FT_WEB_ERR_IO`.
   */
  async begin(request: UploadRequest): Promise<Upload> {
    const name = checkUploadName(request.name);
    if (request.size > this.maxFileBytes) {
      throw new WebTransferError(
        'FT_WEB_ERR_TOO_LARGE',
        `${request.size} bytes is more than this receiver takes (${this.maxFileBytes})`,
      );
    }
    const finalPath = path.join(this.root, name);
    await this.#checkFree(name, finalPath);
    const before = this.#active.get(request.id);
    if (before !== undefined) await before.release('taken-over');
    const partialPath = path.join(this.root, partialUploadName(name, request.id));
    let handle: FileTransferHandle | undefined;
    this.#opening.add(partialPath);
    try {
      handle = await this.fs.open(partialPath, O_RDWR | O_CREAT | O_NOFOLLOW, 0o600);
      const stats = await handle.stat();
      if (!stats.isFile()) throw new Error('not a regular file');
      const hash = createHash('sha256');
      let offset = stats.size;
      if (offset > request.size) {
        await handle.truncate(0);
        offset = 0;
      }
      await rehash(handle, offset, hash);
      const upload = new Upload(this, request, name, handle, hash, offset, partialPath, finalPath);
      this.#active.set(request.id, upload);
      return upload;
    } catch (error) {
      await handle?.close().catch(() => {});
      if ((error as NodeJS.ErrnoException).code === 'ELOOP') {
        throw new WebTransferError('FT_WEB_ERR_UNSAFE_NAME', 'the partial file is a symlink');
      }
      throw ioError(`opening the partial file for ${JSON.stringify(name)}`, error);
    } finally {
      this.#opening.delete(partialPath);
    }
  }

  /** Received files: the folder's regular files that are not hidden, by name. */
  async list(): Promise<ReceivedFile[]> {
    const names = await this.fs.readdir(this.root);
    const files: ReceivedFile[] = [];
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const stats = await lstatOrUndefined(this.fs, path.join(this.root, name));
      if (stats?.isFile()) {
        files.push({ name, size: stats.size, modified: new Date(stats.mtimeMs).toISOString() });
      }
    }
    return files.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** @internal Called by an upload once it no longer writes. */
  forget(id: string, upload: Upload): void {
    if (this.#active.get(id) === upload) this.#active.delete(id);
  }

  async #checkFree(name: string, finalPath: string): Promise<void> {
    const existing = await lstatOrUndefined(this.fs, finalPath);
    if (existing === undefined) return;
    if (existing.isSymbolicLink() || !existing.isFile()) {
      throw new WebTransferError(
        'FT_WEB_ERR_UNSAFE_NAME',
        `${JSON.stringify(name)} is a symlink or not a file in the receiver's folder`,
      );
    }
    if (!this.overwrite) {
      throw new WebTransferError(
        'FT_WEB_ERR_EXISTS',
        `${JSON.stringify(name)} is already there and this receiver does not overwrite: rename it and send it again`,
      );
    }
  }
}

/** Feeds the first `length` bytes of a partial file to `hash`. */
async function rehash(handle: FileTransferHandle, length: number, hash: Hash): Promise<void> {
  const buffer = Buffer.allocUnsafe(Math.min(REHASH_CHUNK, Math.max(length, 1)));
  let position = 0;
  while (position < length) {
    const { bytesRead } = await handle.read(
      buffer,
      0,
      Math.min(buffer.length, length - position),
      position,
    );
    if (bytesRead === 0) throw new Error('the partial file shrank while being read');
    hash.update(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
}

/** One upload in progress: writes in order at `received`, then verifies and puts the file in place. */
export class Upload {
  #operation: Promise<unknown> = Promise.resolve();
  #released: 'taken-over' | 'closed' | undefined;

  constructor(
    private readonly store: UploadStore,
    readonly request: UploadRequest,
    readonly name: string,
    private readonly handle: FileTransferHandle,
    private readonly hash: Hash,
    /** Bytes in the partial file (and hashed) so far. */
    public received: number,
    readonly partialPath: string,
    private readonly finalPath: string,
  ) {}

  /**
   * Appends `bytes` at `received`.
   * @throws {WebTransferError} `FT_WEB_ERR_PROTOCOL` past `size`, `FT_WEB_ERR_TAKEN_OVER`, `FT_WEB_ERR_IO`.
   */
  write(bytes: Uint8Array): Promise<number> {
    return this.#serial(async () => {
      if (this.received + bytes.length > this.request.size) {
        throw new WebTransferError(
          'FT_WEB_ERR_PROTOCOL',
          `more bytes than the ${this.request.size} announced for ${JSON.stringify(this.name)}`,
        );
      }
      let written = 0;
      try {
        while (written < bytes.length) {
          const { bytesWritten } = await this.handle.writev(
            [bytes.subarray(written)],
            this.received + written,
          );
          written += bytesWritten;
        }
      } catch (error) {
        throw ioError(`writing ${JSON.stringify(this.name)}`, error);
      }
      this.hash.update(bytes);
      this.received += bytes.length;
      return this.received;
    });
  }

  /**
   * Checks that all bytes came and their SHA-256 is `sha256`, syncs, and puts the file in place.
   * @throws {WebTransferError} `FT_WEB_ERR_PROTOCOL` (bytes missing), `FT_WEB_ERR_INTEGRITY`
   *   (the partial is removed), `FT_WEB_ERR_EXISTS` (the file appeared meanwhile; the partial is
   *   kept), `FT_WEB_ERR_IO`.
   */
  finish(sha256: string): Promise<StoredFile> {
    return this.#serial(async () => {
      if (this.received !== this.request.size) {
        throw new WebTransferError(
          'FT_WEB_ERR_PROTOCOL',
          `end after ${this.received} of ${this.request.size} bytes`,
        );
      }
      const actual = this.hash.digest('hex');
      this.#released = 'closed';
      this.store.forget(this.request.id, this);
      if (actual !== sha256) {
        await this.handle.close().catch(() => {});
        await this.store.fs.unlink(this.partialPath).catch(() => {});
        throw new WebTransferError(
          'FT_WEB_ERR_INTEGRITY',
          `${JSON.stringify(this.name)}: the receiver's SHA-256 is ${actual}, the page's ${sha256}; nothing was kept, send it again`,
        );
      }
      try {
        await this.handle.sync();
        await this.handle.close();
        const { fs } = this.store;
        if (this.store.overwrite) await fs.rename(this.partialPath, this.finalPath);
        else {
          await fs.link(this.partialPath, this.finalPath);
          await fs.unlink(this.partialPath);
        }
      } catch (error) {
        await this.handle.close().catch(() => {});
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new WebTransferError(
            'FT_WEB_ERR_EXISTS',
            `${JSON.stringify(this.name)} appeared while it was being received; the received copy is kept as a partial file`,
          );
        }
        throw ioError(`putting ${JSON.stringify(this.name)} in place`, error);
      }
      return { name: this.name, size: this.received, sha256: actual, path: this.finalPath };
    });
  }

  /** Stops writing once the current write is done and closes the partial file (kept on disk). */
  async release(why: 'taken-over' | 'closed' = 'closed'): Promise<void> {
    if (this.#released !== undefined) return;
    this.#released = why;
    this.store.forget(this.request.id, this);
    await this.#operation.catch(() => {});
    await this.handle.close().catch(() => {});
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#operation
      .catch(() => {})
      .then(() => {
        if (this.#released === 'taken-over') {
          throw new WebTransferError(
            'FT_WEB_ERR_TAKEN_OVER',
            `a newer connection continues ${JSON.stringify(this.name)} (was the page reloaded?)`,
          );
        }
        if (this.#released === 'closed') {
          throw new WebTransferError('FT_WEB_ERR_PROTOCOL', 'this upload is over');
        }
        return work();
      });
    this.#operation = run;
    return run;
  }
}
