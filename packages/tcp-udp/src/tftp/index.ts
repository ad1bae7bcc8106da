/**
 * TFTP (RFC 1350/2347/2348/2349): packet codec, lock-step transfers, a server and a client.
 *
 * Other areas import this area only through this file. It exports what the package entry
 * makes public and what sibling areas need; `src/index.ts` chooses the public names.
 */
export {
  type TftpGetOptions,
  type TftpGetResult,
  type TftpPutOptions,
  type TftpPutResult,
  tftpGet,
  tftpGetFile,
  tftpPut,
} from './client.ts';
export type { TftpEndpoint } from './machine.ts';
export {
  DEFAULT_TFTP_BLKSIZE,
  decodeTftpPacket,
  encodeTftpPacket,
  TFTP_ERROR_CODES,
  TFTP_MAX_BLKSIZE,
  TFTP_MIN_BLKSIZE,
  TFTP_OPCODES,
  type TftpMode,
  type TftpOptions,
  type TftpPacket,
} from './packet.ts';
export {
  createTftpServer,
  type TftpServer,
  type TftpServerOptions,
  type TftpServerStats,
} from './server.ts';
