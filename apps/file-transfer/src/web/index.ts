/**
 * The browser half of the file transfer: a receiver serving an upload page and the received
 * files, uploads over stage 4's WebSocket, resumable and SHA-256 verified.
 */
export {
  type UploadFileOptions,
  type UploadFileResult,
  uploadFile,
  uploadId,
} from './node-uploader.ts';
export {
  DEFAULT_CHUNK_BYTES,
  DEFAULT_WINDOW_BYTES,
  MAX_CHUNK_BYTES,
  type ReceivedFile,
  type ReceiverInfo,
  UPLOAD_PATH,
  WEB_TRANSFER_ERROR_CODES,
  WebTransferError,
  type WebTransferErrorCode,
} from './protocol.ts';
export {
  type AttachedWebReceiver,
  attachWebReceiver,
  defaultWebRoot,
  startWebReceiver,
  type WebReceiver,
  type WebReceiverOptions,
} from './server.ts';
export type { WebReceiverEvent } from './upload-session.ts';
export type { StoredFile, UploadStoreFs } from './upload-store.ts';
