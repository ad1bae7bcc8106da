/**
 * Safe, resumable file transfer over TCP (T8): sender, receiver, safe names, the injectable file system.
 *
 * Other areas import this area only through this file. It exports what the package entry
 * makes public and what sibling areas need; `src/index.ts` chooses the public names.
 */
export {
  type FileTransferFs,
  type FileTransferHandle,
  type FileTransferHandleStats,
  type FileTransferStats,
  nodeFileTransferFs,
  toFileSystemError,
} from './fs.ts';
export {
  FILE_TRANSFER_MAX_FILE_BYTES,
  FILE_TRANSFER_REASONS,
  FILE_TRANSFER_STATUSES,
  FILE_TRANSFER_VERSION,
  type FileTransferReason,
  type FileTransferStatus,
} from './protocol.ts';
export {
  createFileReceiver,
  FileReceiver,
} from './receiver.ts';
export type {
  FileReceiverEvents,
  FileReceiverLimits,
  FileReceiverOptions,
  FileReceiverSessionRef,
} from './receiver-options.ts';
export {
  FileReceiverStore,
  type FileReceiverStoreOptions,
  type IncomingFile,
  partialFileName,
  type StoreDecision,
  Upload,
  type UploadOutcome,
} from './receiver-store.ts';
export {
  checkSafeName,
  resolveSafePath,
  SAFE_NAME_MAX_COMPONENT_BYTES,
  SAFE_NAME_MAX_NAME_BYTES,
  type SafeNameOptions,
  type UnsafeNameError,
  type UnsafePathReason,
} from './safe-path.ts';
export {
  type FileSendProgress,
  type FileSendResult,
  type FileToSend,
  type SendFilesOptions,
  sendFiles,
  sha256OfFile,
} from './sender.ts';
