// Shared with every area of this package; not part of the public API (see @socketlab/internal).
export { quoteInput } from '@socketlab/internal';

/**
 * Every stable error code `@socketlab/tcp-udp` raises. Codes never change meaning; the package
 * README lists each with what causes it and what to do.
 */
export const TCPUDP_ERROR_CODES = [
  /** A frame (or line, or datagram) is longer than the configured maximum. */
  'TCPUDP_ERR_FRAME_TOO_LARGE',
  /** Bytes that cannot be a frame: a varint past 10 bytes, a bad tag, a bad header. */
  'TCPUDP_ERR_MALFORMED',
  /** The stream ended in the middle of a frame. */
  'TCPUDP_ERR_TRUNCATED',
  /** The peer broke the protocol: an unexpected packet, opcode or state. */
  'TCPUDP_ERR_PROTOCOL',
  /** A configured limit other than frame size: connections, files, window, buffered bytes. */
  'TCPUDP_ERR_LIMIT_EXCEEDED',
  /** No answer in time for one step (connect, idle, request). */
  'TCPUDP_ERR_TIMEOUT',
  /** Every retry was used and no answer came. */
  'TCPUDP_ERR_RETRIES_EXHAUSTED',
  /** The connection could not be made or broke (refused, reset, unreachable). */
  'TCPUDP_ERR_CONNECTION',
  /** The channel is closed (or closing) and cannot send or receive any more. */
  'TCPUDP_ERR_CLOSED',
  /** The peer reported an error of its own (a TFTP ERROR packet, a file-transfer refusal). */
  'TCPUDP_ERR_REMOTE',
  /** A value does not fit a serialization schema, or bytes do not decode with it. */
  'TCPUDP_ERR_SERIALIZATION',
  /** Received data does not match its checksum (SHA-256). */
  'TCPUDP_ERR_INTEGRITY',
  /** A path from the network would land outside the receiver's directory, or is not a safe name. */
  'TCPUDP_ERR_UNSAFE_PATH',
  /** The file system refused: disk full, no permission, missing directory. `cause` has the errno. */
  'TCPUDP_ERR_FILE_SYSTEM',
] as const;

/** One of {@link TCPUDP_ERROR_CODES}. */
export type TcpUdpErrorCode = (typeof TCPUDP_ERROR_CODES)[number];

/** The base of every error `@socketlab/tcp-udp` raises: check `code`, never the message. */
export class TcpUdpError extends Error {
  override name = 'TcpUdpError';
  constructor(
    readonly code: TcpUdpErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Bytes from the peer that break the protocol: malformed, truncated or out of place. */
export class ProtocolError extends TcpUdpError {
  override name = 'ProtocolError';
  constructor(
    code: 'TCPUDP_ERR_MALFORMED' | 'TCPUDP_ERR_TRUNCATED' | 'TCPUDP_ERR_PROTOCOL',
    message: string,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
  }
}

/** A peer asked for more than a configured limit allows. `limit` is that limit, `actual` what came. */
export class LimitExceededError extends TcpUdpError {
  override name = 'LimitExceededError';
  constructor(
    code: 'TCPUDP_ERR_FRAME_TOO_LARGE' | 'TCPUDP_ERR_LIMIT_EXCEEDED',
    message: string,
    readonly limit: number,
    readonly actual: number,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
  }
}

/** Something did not happen in time. `timeoutMs` is the bound that ran out. */
export class TimeoutError extends TcpUdpError {
  override name = 'TimeoutError';
  constructor(
    code: 'TCPUDP_ERR_TIMEOUT' | 'TCPUDP_ERR_RETRIES_EXHAUSTED',
    message: string,
    readonly timeoutMs: number,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
  }
}

/** The connection failed, broke, or is already closed. `cause` keeps the socket's own error. */
export class ConnectionError extends TcpUdpError {
  override name = 'ConnectionError';
  constructor(
    code: 'TCPUDP_ERR_CONNECTION' | 'TCPUDP_ERR_CLOSED',
    message: string,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
  }
}

/** The peer reported an error: `remoteCode` and `remoteMessage` are what it sent. */
export class RemoteError extends TcpUdpError {
  override name = 'RemoteError';
  constructor(
    message: string,
    readonly remoteCode: number | string,
    readonly remoteMessage: string,
    options?: ErrorOptions,
  ) {
    super('TCPUDP_ERR_REMOTE', message, options);
  }
}

/** A value does not fit a schema, or bytes do not decode with it. */
export class SerializationError extends TcpUdpError {
  override name = 'SerializationError';
  constructor(message: string, options?: ErrorOptions) {
    super('TCPUDP_ERR_SERIALIZATION', message, options);
  }
}

/** Received bytes do not hash to what the sender declared. */
export class IntegrityError extends TcpUdpError {
  override name = 'IntegrityError';
  constructor(
    message: string,
    readonly expected: string,
    readonly actual: string,
    options?: ErrorOptions,
  ) {
    super('TCPUDP_ERR_INTEGRITY', message, options);
  }
}

/** A name from the network that is not safe to use as a path. `input` is quoted and truncated. */
export class UnsafePathError extends TcpUdpError {
  override name = 'UnsafePathError';
  readonly input: string;
  constructor(message: string, input: string, options?: ErrorOptions) {
    super('TCPUDP_ERR_UNSAFE_PATH', message, options);
    this.input = input.length > 100 ? `${input.slice(0, 100)}…` : input;
  }
}

/** The file system refused (ENOSPC, EACCES, EROFS, ENOENT, …). `errno` is the system code. */
export class FileSystemError extends TcpUdpError {
  override name = 'FileSystemError';
  constructor(
    message: string,
    readonly errno: string | undefined,
    options?: ErrorOptions,
  ) {
    super('TCPUDP_ERR_FILE_SYSTEM', message, options);
  }
}
