/**
 * The browser upload protocol, spoken over one WebSocket per file at {@link UPLOAD_PATH}. Pure:
 * no Node imports, so the page (web/src/) bundles this same file.
 *
 *   page → receiver  text   {"type":"begin","id","name","size","code"?}
 *   receiver → page  text   {"type":"ready","offset","chunkBytes","windowBytes"}
 *   page → receiver  binary the file's bytes from `offset` on, in order, at most `chunkBytes` each
 *   receiver → page  text   {"type":"ack","received"} after each binary message is written
 *   page → receiver  text   {"type":"end","sha256"} once `size` bytes are sent
 *   receiver → page  text   {"type":"done","name","size","sha256"} once verified and in place
 *   receiver → page  text   {"type":"error","code","message"}, then a close (1008, or 1011)
 *
 * The page keeps at most `windowBytes` sent but not acknowledged (backpressure). `id` is the
 * page's stable name for one file (a SHA-256 of its name, size, date and first bytes): a
 * partial upload is kept under it, and a later `begin` with the same id continues from `offset`.
 */

/** Where the receiver accepts upload WebSockets. */
export const UPLOAD_PATH = '/upload';
/** The largest binary message (one slice of a file) the receiver accepts: 1 MiB. */
export const MAX_CHUNK_BYTES = 1024 * 1024;
/** The slice the page sends: 512 KiB. */
export const DEFAULT_CHUNK_BYTES = 512 * 1024;
/** How many bytes the page may have sent and not had acknowledged: eight slices (4 MiB). */
export const DEFAULT_WINDOW_BYTES = 8 * DEFAULT_CHUNK_BYTES;
/** The largest text message: a `begin` with a 4096-byte name and a code fits well. */
export const MAX_CONTROL_BYTES = 16 * 1024;
/** The longest code phrase accepted, in characters. */
export const MAX_CODE_LENGTH = 256;

/** Every stable error code of the browser upload; the README lists what each means. */
export const WEB_TRANSFER_ERROR_CODES = [
  /** A message is not JSON, not a known type, or a field is missing or of the wrong kind. */
  'FT_WEB_ERR_BAD_MESSAGE',
  /** Messages in the wrong order: bytes before `begin`, more bytes than `size`, `end` too early. */
  'FT_WEB_ERR_PROTOCOL',
  /** The receiver needs a code phrase and none, or a wrong one, came. */
  'FT_WEB_ERR_CODE',
  /** The name would write outside the receiver's folder, or is not a plain file name. */
  'FT_WEB_ERR_UNSAFE_NAME',
  /** A file of that name is already there and the receiver does not overwrite. */
  'FT_WEB_ERR_EXISTS',
  /** The file is larger than the receiver's `maxFileBytes`. */
  'FT_WEB_ERR_TOO_LARGE',
  /** The received bytes' SHA-256 is not the page's: nothing was kept. */
  'FT_WEB_ERR_INTEGRITY',
  /** A newer connection took this upload over (the page was reloaded). */
  'FT_WEB_ERR_TAKEN_OVER',
  /** The receiver's disk refused (full, read-only, …): the partial file is kept. */
  'FT_WEB_ERR_IO',
] as const;

/** One of {@link WEB_TRANSFER_ERROR_CODES}. */
export type WebTransferErrorCode = (typeof WEB_TRANSFER_ERROR_CODES)[number];

/** A failure of the browser upload, with a stable `code`: check the code, never the message. */
export class WebTransferError extends Error {
  override name = 'WebTransferError';
  constructor(
    readonly code: WebTransferErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** What the page sends as text. */
export type ClientMessage =
  | { type: 'begin'; id: string; name: string; size: number; code?: string }
  | { type: 'end'; sha256: string };

/** What the receiver sends (always text). */
export type ServerMessage =
  | { type: 'ready'; offset: number; chunkBytes: number; windowBytes: number }
  | { type: 'ack'; received: number }
  | { type: 'done'; name: string; size: number; sha256: string }
  | { type: 'error'; code: WebTransferErrorCode; message: string };

/** `GET /api/info`: what the page needs before it uploads. */
export interface ReceiverInfo {
  codeRequired: boolean;
  maxFileBytes: number;
}

/** One entry of `GET /api/files`. */
export interface ReceivedFile {
  name: string;
  size: number;
  modified: string;
}

const HEX64 = /^[0-9a-f]{64}$/;

function bad(message: string): WebTransferError {
  return new WebTransferError('FT_WEB_ERR_BAD_MESSAGE', message);
}

/**
 * Parses one text message from the page.
 * @throws {WebTransferError} `FT_WEB_ERR_BAD_MESSAGE` for anything but a well-formed `begin` or `end`.
 * @example parseClientMessage('{"type":"end","sha256":"…64 hex…"}')
 */
export function parseClientMessage(text: string): ClientMessage {
  if (text.length > MAX_CONTROL_BYTES)
    throw bad(`a control message is over ${MAX_CONTROL_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bad(`not JSON: ${JSON.stringify(text.slice(0, 40))}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw bad('expected a JSON object with a "type"');
  }
  const m = value as Record<string, unknown>;
  if (m.type === 'begin') {
    const { id, name, size, code } = m;
    if (typeof id !== 'string' || !HEX64.test(id)) throw bad('begin: "id" must be 64 hex digits');
    if (typeof name !== 'string' || name.length === 0) throw bad('begin: "name" must be a string');
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw bad('begin: "size" must be a whole number of bytes, 0 or more');
    }
    if (code !== undefined && (typeof code !== 'string' || code.length > MAX_CODE_LENGTH)) {
      throw bad(`begin: "code" must be a string of at most ${MAX_CODE_LENGTH} characters`);
    }
    return code === undefined
      ? { type: 'begin', id, name, size }
      : { type: 'begin', id, name, size, code };
  }
  if (m.type === 'end') {
    if (typeof m.sha256 !== 'string' || !HEX64.test(m.sha256)) {
      throw bad('end: "sha256" must be 64 lowercase hex digits');
    }
    return { type: 'end', sha256: m.sha256 };
  }
  throw bad(`unknown message type ${JSON.stringify(String(m.type).slice(0, 20))}`);
}

/**
 * Parses one message from the receiver (the page's and the Node uploader's side).
 * @throws {WebTransferError} `FT_WEB_ERR_BAD_MESSAGE` when it is not a known message.
 */
export function parseServerMessage(text: string): ServerMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bad('the receiver sent something that is not JSON');
  }
  const m = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const num = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  switch (m.type) {
    case 'ready':
      if (num(m.offset) && num(m.chunkBytes) && num(m.windowBytes)) return m as ServerMessage;
      break;
    case 'ack':
      if (num(m.received)) return m as ServerMessage;
      break;
    case 'done':
      if (typeof m.name === 'string' && num(m.size) && typeof m.sha256 === 'string') {
        return m as ServerMessage;
      }
      break;
    case 'error':
      if (typeof m.code === 'string' && typeof m.message === 'string') return m as ServerMessage;
      break;
  }
  throw bad(`the receiver sent an unknown message: ${text.slice(0, 60)}`);
}
