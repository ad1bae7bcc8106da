export { FT_ERROR_CODES, FtError, type FtErrorCode } from './errors.ts';
export {
  CODE_PHRASE_WORDS,
  CODE_WORDS,
  checkCodeProof,
  codeProof,
  generateCodePhrase,
  normalizeCodePhrase,
} from './handshake/code-phrase.ts';
export { handshakeAsReceiver, handshakeAsSender } from './handshake/connection.ts';
export {
  HANDSHAKE_MAX_BYTES,
  HANDSHAKE_MAX_DIRECTORIES,
  HANDSHAKE_VERSION,
  type SenderHello,
} from './handshake/messages.ts';
export {
  checkReceivedName,
  makeReceivedDirectories,
  RECEIVER_MAX_COMPONENT_BYTES,
} from './receiver/directories.ts';
export {
  FtReceiver,
  type FtReceiverEvents,
  type FtReceiverOptions,
  type FtSessionSummary,
  startFtReceiver,
} from './receiver/ft-receiver.ts';
export { receivedFilePaths } from './receiver/layout.ts';
export { createReceivedFileStore, type ReceivedFileStoreOptions } from './receiver/store.ts';
export {
  HASH_CACHE_MIN_BYTES,
  type HashCache,
  openHashCache,
} from './sender/hash-cache.ts';
export { type PlannedFile, planTransfer, type TransferPlan } from './sender/plan.ts';
export { type SendPlanOptions, sendPlan } from './sender/send.ts';
export {
  fingerprintOf,
  ftHome,
  loadOrCreateIdentity,
  type ReceiverIdentity,
} from './tls/certificate.ts';
export { type ConnectTlsOptions, connectTls } from './tls/connect.ts';
export * from './web/index.ts';
