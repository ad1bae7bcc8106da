/**
 * The receiving folder's store, set up as `socketlab-ft receive` sets up its own: stage 2's
 * `FileReceiverStore` with subfolders allowed and the receiver's defaults. Every way in (the
 * command, the browser upload page) that writes through one gets the same on-disk layout: a
 * hidden partial per file (see `layout.ts`), resumed from where it stopped, hashed as written,
 * verified, fsynced, then linked (or with `overwrite`, renamed) into place.
 */
import { realpath } from 'node:fs/promises';
import { FileReceiverStore, type FileTransferFs, nodeFileTransferFs } from '@socketlab/tcp-udp';
import { RECEIVER_MAX_COMPONENT_BYTES } from './directories.ts';

/** Options of {@link createReceivedFileStore}. */
export interface ReceivedFileStoreOptions {
  /** The receiving folder (must exist; symlinks in its own path are resolved once). */
  directory: string;
  /** Replace an existing file with other content. @default false */
  overwrite?: boolean;
  /** ANDed with each file's mode. @default 0o775 */
  modeMask?: number;
  /** The file-system operations (tests inject a full disk here). @default node:fs/promises */
  fs?: FileTransferFs;
}

/**
 * A store for the receiving folder, the same as `socketlab-ft receive` writes with.
 * @example
 * const store = await createReceivedFileStore({ directory: '/srv/inbox' });
 * const decision = await store.prepare({ name: 'photos/cat.jpg', size, mode: 0o644, sha256 });
 * // 'skip' (already there), 'refuse' (reason, message) or 'accept' (offset, upload)
 */
export async function createReceivedFileStore(
  options: ReceivedFileStoreOptions,
): Promise<FileReceiverStore> {
  return new FileReceiverStore({
    root: await realpath(options.directory),
    fs: options.fs ?? nodeFileTransferFs,
    allowSubdirectories: true,
    overwrite: options.overwrite ?? false,
    modeMask: options.modeMask ?? 0o775,
    maxComponentBytes: RECEIVER_MAX_COMPONENT_BYTES,
    hashInWorkerFromBytes: Number.MAX_SAFE_INTEGER,
  });
}
