/**
 * Where received files land, safely: a partial file opened without following symlinks, a parent
 * chain checked with `lstat`, the SHA-256 computed as bytes are written, `fsync`, then an atomic
 * `link` (never overwrites) or `rename` (overwrite allowed) into place, and the mode masked.
 * Resume: a partial file is named after the file AND its hash, so a partial with the same name
 * and hash is the same file's beginning; its bytes are re-hashed and the sender sends the rest.
 */
import { constants } from 'node:fs';
import path from 'node:path';
import {
  ConnectionError,
  IntegrityError,
  quoteInput,
  type TcpUdpError,
  UnsafePathError,
} from '../errors.ts';
import {
  errnoOf,
  type FileTransferFs,
  type FileTransferHandle,
  type FileTransferHandleStats,
  quotePath,
  toFileSystemError,
} from './fs.ts';
import type { FileTransferReason, FileTransferStatus } from './protocol.ts';
import { checkSafeName } from './safe-path.ts';
import { createInlineSha256, createWorkerSha256, type Sha256Hasher } from './sha256-hasher.ts';

const { O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY } = constants;
const READ_CHUNK = 1024 * 1024;
/** How many existing files' hashes a receiver remembers (least recently used goes first). */
const KNOWN_FILES_MAX_LENGTH = 4096;

/** How the store is set up; see `FileReceiverOptions` for each one's meaning and default. */
export interface FileReceiverStoreOptions {
  root: string;
  fs: FileTransferFs;
  allowSubdirectories: boolean;
  overwrite: boolean;
  modeMask: number;
  maxComponentBytes: number;
  hashInWorkerFromBytes: number;
}

/** One announced file, as the store sees it. */
export interface IncomingFile {
  name: string;
  size: number;
  mode: number;
  /** Absent: announced before it was known; it comes after the body (see {@link Upload.finish}). */
  sha256?: string;
}

/** What to answer a file header with. */
export type StoreDecision =
  | { kind: 'skip'; path: string }
  | { kind: 'refuse'; reason: FileTransferReason; message: string; error?: TcpUdpError }
  | { kind: 'accept'; offset: number; upload: Upload };

/** What became of a finished upload. */
export interface UploadOutcome {
  status: FileTransferStatus;
  sha256: string;
  /** Why it failed, for the receiver's owner (`exists` has only a message). */
  error?: TcpUdpError;
  message: string;
}

/**
 * The partial file's name: hidden, and naming the hash so a resume finds only the same file.
 * A file announced without its hash (it follows the body) has sixteen zeros in its place.
 * @param base - The file's own name (the last component).
 * @param sha256 - Its SHA-256 in lowercase hex, if known.
 * @example partialFileName('cat.jpg', 'e3b0c442…') // '.cat.jpg.e3b0c44298fc1c14.partial'
 * @example partialFileName('cat.jpg') // '.cat.jpg.0000000000000000.partial'
 */
export function partialFileName(base: string, sha256?: string): string {
  return `.${base}.${(sha256 ?? '').slice(0, 16).padEnd(16, '0')}.partial`;
}

const isPartialName = (base: string): boolean => /^\..*\.[0-9a-f]{16}\.partial$/.test(base);

const refusal = (reason: FileTransferReason, error: TcpUdpError): StoreDecision => ({
  kind: 'refuse',
  reason,
  message: error.message,
  error,
});

/**
 * The file-system side of a receiver: decides, then writes, one file at a time per upload. A
 * `FileReceiver` uses one; another way in (an upload page) can use its own on the same folder,
 * with the same partial files, resume and atomic finish.
 * @example
 * const store = new FileReceiverStore({ root, fs: nodeFileTransferFs, allowSubdirectories: true,
 *   overwrite: false, modeMask: 0o775, maxComponentBytes: 229, hashInWorkerFromBytes: Infinity });
 * const decision = await store.prepare({ name: 'a/b.txt', size, mode: 0o644, sha256 });
 * if (decision.kind === 'accept') { await decision.upload.write(chunks); await decision.upload.finish(); }
 */
export class FileReceiverStore {
  /** The SHA-256 of existing files by `dev:ino`, valid while `size:mtime:ctime` is unchanged. */
  readonly #known = new Map<string, { version: string; sha256: Promise<string> }>();
  readonly #uid = process.getuid?.();
  readonly #directories: DirectorySyncs;

  constructor(readonly options: FileReceiverStoreOptions) {
    this.#directories = new DirectorySyncs(options.fs);
  }

  /**
   * Makes every link into `dir` made before the call durable (fsyncs the folder). Uploads that
   * finish together share one sync (see {@link DirectorySyncs}).
   * @throws the file system's error, unchanged.
   */
  syncDirectory(dir: string): Promise<void> {
    return this.#directories.sync(dir);
  }

  /**
   * Checks the name and the directory, and opens (or reopens, to resume) the partial file.
   * @param gone - True once the sender has gone: a resume's re-hash stops there.
   * @throws {FileSystemError} `TCPUDP_ERR_FILE_SYSTEM` when the file system refuses.
   * @throws {ConnectionError} `TCPUDP_ERR_CLOSED` when the sender went away during a re-hash.
   */
  async prepare(file: IncomingFile, gone: () => boolean = () => false): Promise<StoreDecision> {
    const { fs, root } = this.options;
    let components: string[];
    try {
      components = checkSafeName(file.name, {
        allowSubdirectories: this.options.allowSubdirectories,
        maxComponentBytes: this.options.maxComponentBytes,
      });
    } catch (error) {
      return refusal('unsafe-name', error as TcpUdpError);
    }
    const base = components[components.length - 1] as string;
    if (isPartialName(base)) {
      return refusal(
        'unsafe-name',
        unsafe(`${quoteInput(base)} is reserved for partial files`, file.name),
      );
    }
    // Every directory between root and the file: a real directory, never a symlink.
    let dir = root;
    for (const component of components.slice(0, -1)) {
      dir = path.join(dir, component);
      const stats = await lstatOrUndefined(fs, dir);
      if (!stats) {
        await fs.mkdir(dir, { mode: 0o755 }).catch((error: unknown) => {
          if (errnoOf(error) !== 'EEXIST')
            throw toFileSystemError(`creating ${quotePath(dir)}`, error);
        });
        const made = await lstatOrUndefined(fs, dir);
        if (!made?.isDirectory())
          return refusal('unsafe-name', unsafe(`${quotePath(dir)} is not a directory`, file.name));
      } else if (stats.isSymbolicLink() || !stats.isDirectory()) {
        return refusal(
          'unsafe-name',
          unsafe(`${quotePath(dir)} is a symlink or not a directory`, file.name),
        );
      }
    }
    const finalPath = path.join(dir, base);
    const existing = await lstatOrUndefined(fs, finalPath);
    const hashless = path.join(dir, partialFileName(base));
    if (file.sha256 === undefined) {
      // Nothing to compare a file or a partial with: whether to skip, refuse or resume needs the
      // hash, which the sender sends with the file when asked.
      if (existing || (await hasPartial(fs, dir, base))) {
        const message = `${quoteInput(file.name)} has a file or a partial file here already: announce it with its hash`;
        return { kind: 'refuse', reason: 'digest-needed', message };
      }
    } else if (existing) {
      if (existing.isSymbolicLink()) {
        return refusal(
          'unsafe-name',
          unsafe('a symlink has that name; it is never followed', file.name),
        );
      }
      if (existing.isFile()) {
        const found = await this.#compareExisting(finalPath, file);
        if (found === 'same') return { kind: 'skip', path: finalPath };
        if (found !== 'other') return found;
      }
      if (!this.options.overwrite || !existing.isFile()) {
        const message = `${quoteInput(file.name)} already exists with other content (the receiver does not overwrite)`;
        return { kind: 'refuse', reason: 'exists', message };
      }
    }
    const partialPath = path.join(dir, partialFileName(base, file.sha256));
    let partial = await lstatOrUndefined(fs, partialPath);
    if (!partial && file.sha256 !== undefined && (await lstatOrUndefined(fs, hashless))?.isFile()) {
      // A body announced without its hash and cut short: most likely this file's beginning (the
      // same sender, sending again). It is taken over and resumed; the end-to-end check decides,
      // and an `integrity` result removes it.
      await fs.rename(hashless, partialPath).catch((error: unknown) => {
        if (errnoOf(error) !== 'ENOENT')
          throw toFileSystemError(`renaming ${quotePath(hashless)}`, error);
      });
      partial = await lstatOrUndefined(fs, partialPath);
    }
    if (partial && !partial.isFile()) {
      return refusal(
        'unsafe-name',
        unsafe('the partial file is a symlink or not a file', file.name),
      );
    }
    const hash =
      file.size >= this.options.hashInWorkerFromBytes ? createWorkerSha256() : createInlineSha256();
    let handle: FileTransferHandle | undefined;
    let offset = 0;
    try {
      handle = partial
        ? await fs.open(partialPath, O_RDWR | O_NOFOLLOW | O_NONBLOCK)
        : await fs.open(partialPath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
      // Checked on the open file, not on a name that may be swapped between a check and the open.
      const stats = await handle.stat();
      const why = notOwnFile(stats, this.#uid);
      if (why) {
        hash.close();
        await handle.close().catch(() => {});
        return refusal('unsafe-name', unsafe(`the partial file is ${why}`, file.name));
      }
      if (stats.size > file.size) await handle.truncate(0);
      else if (stats.size > 0) offset = await rehash(handle, stats.size, hash, gone);
    } catch (error) {
      hash.close();
      await handle?.close().catch(() => {});
      if (error instanceof ConnectionError) throw error;
      if (errnoOf(error) === 'ELOOP' || errnoOf(error) === 'EEXIST') {
        return refusal('unsafe-name', unsafe('the partial file changed under us', file.name));
      }
      throw toFileSystemError(`opening ${quotePath(partialPath)}`, error);
    }
    return {
      kind: 'accept',
      offset,
      upload: new Upload(this, file, handle, hash, offset, partialPath, finalPath),
    };
  }

  /**
   * Is the regular file under the final name the announced one? Cheap checks first (is it ours,
   * one link, the same size?); the SHA-256 only when they pass, and at most once while the file
   * is unchanged (same device, inode, size, mtime and ctime), however many headers name it.
   */
  async #compareExisting(
    finalPath: string,
    file: IncomingFile,
  ): Promise<'same' | 'other' | StoreDecision> {
    let handle: FileTransferHandle;
    try {
      handle = await this.options.fs.open(finalPath, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return 'other';
      if (errnoOf(error) === 'ELOOP') {
        return refusal('unsafe-name', unsafe('a symlink has that name', file.name));
      }
      throw toFileSystemError(`opening ${quotePath(finalPath)}`, error);
    }
    try {
      const stats = await handle.stat();
      const why = notOwnFile(stats, this.#uid);
      if (why) {
        return refusal('unsafe-name', unsafe(`the file under that name is ${why}`, file.name));
      }
      if (stats.size !== file.size) return 'other';
      return (await this.#hashOnce(handle, stats)) === file.sha256 ? 'same' : 'other';
    } catch (error) {
      throw toFileSystemError(`reading ${quotePath(finalPath)}`, error);
    } finally {
      await handle.close().catch(() => {});
    }
  }

  #hashOnce(handle: FileTransferHandle, stats: FileTransferHandleStats): Promise<string> {
    const id = `${stats.dev}:${stats.ino}`;
    const version = `${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
    const known = this.#known.get(id);
    if (known?.version === version) {
      this.#known.delete(id); // most recently used last
      this.#known.set(id, known);
      return known.sha256;
    }
    const sha256 = (async () => {
      const hash = createInlineSha256();
      try {
        await rehash(handle, stats.size, hash);
        return await hash.digest();
      } finally {
        hash.close();
      }
    })();
    this.#known.delete(id);
    this.#known.set(id, { version, sha256 });
    sha256.catch(() => this.#known.get(id)?.sha256 === sha256 && this.#known.delete(id));
    if (this.#known.size > KNOWN_FILES_MAX_LENGTH) {
      this.#known.delete(this.#known.keys().next().value as string);
    }
    return sha256;
  }
}

/**
 * Why an open file must not be written or trusted, or `undefined` when it may: only a regular
 * file with exactly one link, owned by the receiver's user. A hard link planted under a partial
 * or final name would otherwise let a sender write (or learn the hash of) a file elsewhere.
 * @param uid - The receiver's user id; `undefined` where there is none (Windows).
 */
export function notOwnFile(
  stats: FileTransferHandleStats,
  uid: number | undefined,
): string | undefined {
  if (!stats.isFile()) return 'not a regular file';
  if (stats.nlink !== 1) {
    return `a hard link (${stats.nlink} names for one file): it would change under its other names too`;
  }
  if (uid !== undefined && stats.uid !== uid) {
    return `owned by user ${stats.uid}, not by the receiver's user ${uid}`;
  }
  return undefined;
}

/** One file being received: write, then finish (verify and commit) or abandon. */
export class Upload {
  #position: number;
  /** Bytes known to be on disk: the resumed part and every byte a write reported written. */
  #written: number;
  #failure: TcpUdpError | undefined;
  #closed = false;

  constructor(
    readonly store: FileReceiverStore,
    readonly file: IncomingFile,
    readonly handle: FileTransferHandle,
    readonly hash: Sha256Hasher,
    readonly offset: number,
    readonly partialPath: string,
    readonly finalPath: string,
  ) {
    this.#position = offset;
    this.#written = offset;
  }

  /** Bytes of the file on disk so far (resumed part included). */
  get position(): number {
    return this.#position;
  }

  /**
   * Writes one batch and hashes it. Inline, the hash runs here while libuv's thread pool writes,
   * so the two overlap; on a worker, the chunks are handed over once written (the worker takes
   * their memory). After a write error the rest is hashed and dropped.
   * @throws {FileSystemError} when the disk or the quota is full (`ENOSPC`, `EDQUOT`): no later
   *   byte could be kept, so the body stops there; {@link abandon} keeps what was written.
   */
  async write(chunks: Buffer[]): Promise<void> {
    const length = chunks.reduce((sum, c) => sum + c.length, 0);
    const writing = this.#failure ? undefined : this.#writeAll(chunks, this.#position, length);
    if (!this.hash.transfers) this.hash.update(chunks);
    this.#position += length;
    await writing;
    if (this.#failure && isNoSpace(this.#failure)) throw this.#failure;
    if (this.hash.transfers) this.hash.update(chunks);
  }

  async #writeAll(chunks: Buffer[], position: number, length: number): Promise<void> {
    try {
      let done = 0;
      for (let tries = 0; done < length && tries < 1000; tries++) {
        const rest = done === 0 ? chunks : [Buffer.concat(chunks).subarray(done)];
        const { bytesWritten } = await this.handle.writev(rest, position + done);
        done += bytesWritten;
        this.#written = position + done;
      }
      if (done < length) throw Object.assign(new Error('short writes'), { code: 'EIO' });
    } catch (error) {
      this.#failure ??= toFileSystemError(`writing ${quotePath(this.partialPath)}`, error);
    }
  }

  /**
   * Syncs, verifies the SHA-256 and moves the file into place. Never throws.
   * @param declared - The hash the sender declared: the announced one unless it came after the
   *   body. A file announced without one and finished without one fails as `integrity`.
   */
  async finish(declared: string | undefined = this.file.sha256): Promise<UploadOutcome> {
    const { fs, overwrite, modeMask } = this.store.options;
    let sha256: string;
    try {
      sha256 = await this.hash.digest();
    } catch (cause) {
      const error = toFileSystemError('hashing the received bytes', cause);
      return this.#drop('file-system', '0'.repeat(64), error);
    } finally {
      this.hash.close();
    }
    if (this.#failure) return this.#drop('file-system', sha256, this.#failure);
    if (sha256 !== declared) {
      const message = `${quoteInput(this.file.name)}: the bytes received hash to ${sha256}, the sender declared ${declared ?? 'none'}; the partial file was removed`;
      return this.#drop('integrity', sha256, new IntegrityError(message, declared ?? '', sha256));
    }
    try {
      await this.handle.chmod(this.file.mode & modeMask);
      await this.handle.sync();
      await this.#close();
      if (overwrite) await fs.rename(this.partialPath, this.finalPath);
      else {
        await fs.link(this.partialPath, this.finalPath);
        await fs.unlink(this.partialPath);
      }
      await this.store.syncDirectory(path.dirname(this.finalPath));
      return { status: 'verified', sha256, message: '' };
    } catch (error) {
      if (errnoOf(error) === 'EEXIST') {
        await this.abandon(false);
        const message = `${quoteInput(this.file.name)} appeared while it was being received; not overwritten`;
        return { status: 'exists', sha256, message };
      }
      return this.#drop(
        'file-system',
        sha256,
        toFileSystemError(`saving ${quotePath(this.finalPath)}`, error),
      );
    }
  }

  /**
   * Closes the partial file, keeping it for a resume (`keep`: cut to the bytes known written, so
   * a resume re-hashes only a true beginning of the file) or removing it. Never throws.
   */
  async abandon(keep: boolean): Promise<void> {
    this.hash.close();
    if (keep && !this.#closed) await this.handle.truncate(this.#written).catch(() => {});
    await this.#close();
    if (!keep) await this.store.options.fs.unlink(this.partialPath).catch(() => {});
  }

  async #drop(
    status: FileTransferStatus,
    sha256: string,
    error: TcpUdpError,
  ): Promise<UploadOutcome> {
    await this.abandon(false);
    return { status, sha256, error, message: error.message };
  }

  async #close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.handle.close().catch(() => {});
  }
}

/** Whether a failure is a full disk or quota: the sender may resume once space is freed. */
export function isNoSpace(error: unknown): boolean {
  const errno = (error as { errno?: unknown } | null)?.errno;
  return errno === 'ENOSPC' || errno === 'EDQUOT';
}

function unsafe(why: string, name: string): UnsafePathError {
  return new UnsafePathError(`unsafe file name ${quoteInput(name)}: ${why}`, name);
}

async function lstatOrUndefined(fs: FileTransferFs, file: string) {
  try {
    return await fs.lstat(file);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw toFileSystemError(`looking at ${quotePath(file)}`, error);
  }
}

async function rehash(
  handle: FileTransferHandle,
  size: number,
  hash: Sha256Hasher,
  gone: () => boolean = () => false,
): Promise<number> {
  let position = 0;
  while (position < size) {
    if (gone()) {
      throw new ConnectionError(
        'TCPUDP_ERR_CLOSED',
        'the sender went away while its partial file was re-hashed for a resume',
      );
    }
    // A fresh buffer each time: a worker hasher takes the memory of what it is given.
    const buffer = Buffer.allocUnsafeSlow(Math.min(READ_CHUNK, size - position));
    const { bytesRead } = await handle.read(
      buffer,
      0,
      Math.min(buffer.length, size - position),
      position,
    );
    if (bytesRead === 0) break;
    hash.update([bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead)]);
    position += bytesRead;
  }
  return position;
}

/**
 * Whether `dir` holds a partial file of `base`, under any hash: one pass over the directory (a
 * file announced without its hash could be the beginning of any of them). Without `readdir`, yes.
 */
async function hasPartial(fs: FileTransferFs, dir: string, base: string): Promise<boolean> {
  if (!fs.readdir) return true;
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (error) {
    throw toFileSystemError(`listing ${quotePath(dir)}`, error);
  }
  const prefix = `.${base}.`;
  return names.some(
    (name) => name.length === prefix.length + 24 && name.startsWith(prefix) && isPartialName(name),
  );
}

async function syncDirectory(fs: FileTransferFs, dir: string): Promise<void> {
  const handle = await fs.open(dir, O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Folder syncs shared between files finishing at once (group commit): a sync covers every link
 * made in the folder before it began, so a caller that arrives while one runs waits for the next
 * one, which starts when the running one ends and serves everyone who arrived meanwhile. One
 * file alone costs one sync, as before; a hundred finishing together cost two.
 */
class DirectorySyncs {
  readonly #syncs = new Map<string, { running: Promise<void>; next?: Promise<void> }>();

  constructor(readonly fs: FileTransferFs) {}

  /** Resolves once a sync of `dir` that began after this call has ended. */
  sync(dir: string): Promise<void> {
    const state = this.#syncs.get(dir);
    if (state === undefined) return this.#start(dir);
    // The running sync may have begun before our link: the next one covers it.
    state.next ??= state.running.then(
      () => this.#start(dir),
      () => this.#start(dir),
    );
    return state.next;
  }

  #start(dir: string): Promise<void> {
    const running = syncDirectory(this.fs, dir).finally(() => {
      const state = this.#syncs.get(dir);
      if (state?.running === running && state.next === undefined) this.#syncs.delete(dir);
    });
    this.#syncs.set(dir, { running });
    return running;
  }
}
