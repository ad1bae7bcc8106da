/**
 * The pure codec of the file-transfer protocol (T8): control messages to bytes and back,
 * incrementally. The layout is drawn in `file-transfer/protocol.ts`.
 */
import { checkInteger } from '@socketlab/internal';
import { LimitExceededError, ProtocolError, quoteInput } from '../errors.ts';
import {
  type DecodedFileTransferMessage,
  FILE_TRANSFER_HEADER_BYTES,
  FILE_TRANSFER_MAGIC,
  FILE_TRANSFER_MAX_FILE_BYTES,
  FILE_TRANSFER_MAX_MESSAGE_BYTES,
  FILE_TRANSFER_MAX_NAME_BYTES,
  FILE_TRANSFER_MAX_PAYLOAD_BYTES,
  FILE_TRANSFER_REASONS,
  FILE_TRANSFER_STATUSES,
  type FileTransferMessage,
  type FileTransferReason,
  FILE_TRANSFER_TYPES as TYPES,
} from './protocol.ts';

const SHA256_HEX = /^[0-9a-f]{64}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const byCode = <T extends string>(table: Record<T, number>, code: number): T | undefined =>
  (Object.keys(table) as T[]).find((key) => table[key] === code);

function textBytes(text: string, max: number, what: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > max) {
    throw new RangeError(`${what} is ${bytes.length} bytes of UTF-8; at most ${max} fit`);
  }
  return bytes;
}

function u64(value: number, what: string): Buffer {
  checkInteger(what, value, 0);
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(value));
  return out;
}

/**
 * A human-readable message cut to fit its field: at most {@link FILE_TRANSFER_MAX_MESSAGE_BYTES}
 * bytes of UTF-8, cut at a character boundary and ended with `…` when cut. A message that quotes
 * a peer's name can be longer than the field; the verdict must still go out, never an error.
 * @example fitMessage('x'.repeat(2000)).length // 1024: 'x' × 1021, then '…' (3 bytes)
 */
export function fitMessage(message: string): Buffer {
  const bytes = Buffer.from(message, 'utf8');
  if (bytes.length <= FILE_TRANSFER_MAX_MESSAGE_BYTES) return bytes;
  const marker = Buffer.from('…', 'utf8');
  let end = FILE_TRANSFER_MAX_MESSAGE_BYTES - marker.length;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1; // not inside a character
  return Buffer.concat([bytes.subarray(0, end), marker]);
}

function withMessage(code: number, message: string): Buffer {
  const text = fitMessage(message);
  const head = Buffer.alloc(3);
  head.writeUInt8(code, 0);
  head.writeUInt16BE(text.length, 1);
  return Buffer.concat([head, text]);
}

const NO_HASH = '0'.repeat(64);

/** A hash a sender announces: 64 lowercase hex digits, and not all zeros (that means "after the body"). */
function checkAnnouncedHash(sha256: string): void {
  if (!SHA256_HEX.test(sha256)) throw new TypeError('sha256 must be 64 lowercase hex');
  if (sha256 === NO_HASH) {
    throw new RangeError('the all-zero sha256 is reserved: on the wire it means "after the body"');
  }
}

function payloadOf(message: FileTransferMessage): Buffer {
  switch (message.type) {
    case 'hello':
      return Buffer.from([
        ...Buffer.from(FILE_TRANSFER_MAGIC),
        message.version & 0xff,
        (message.flags ?? 0) & 0xff,
      ]);
    case 'file': {
      if (message.sha256 !== undefined) checkAnnouncedHash(message.sha256);
      checkInteger('mode', message.mode, 0, 0o7777);
      const name = textBytes(message.name, FILE_TRANSFER_MAX_NAME_BYTES, 'the name');
      const rest = Buffer.alloc(2 + 32 + 2); // the hash stays 32 zero bytes when it follows the body
      rest.writeUInt16BE(message.mode, 0);
      if (message.sha256 !== undefined) Buffer.from(message.sha256, 'hex').copy(rest, 2);
      rest.writeUInt16BE(name.length, 34);
      return Buffer.concat([u64(message.size, 'size'), rest, name]);
    }
    case 'accept':
      return u64(message.offset, 'offset');
    case 'skip':
    case 'end':
      return Buffer.alloc(0);
    case 'refuse':
    case 'error':
      return withMessage(FILE_TRANSFER_REASONS[message.reason], message.message);
    case 'digest':
      checkAnnouncedHash(message.sha256);
      return Buffer.from(message.sha256, 'hex');
    case 'result': {
      if (!SHA256_HEX.test(message.sha256)) throw new TypeError('sha256 must be 64 lowercase hex');
      const status = Buffer.from([FILE_TRANSFER_STATUSES[message.status]]);
      const tail = withMessage(0, message.message).subarray(1);
      return Buffer.concat([status, Buffer.from(message.sha256, 'hex'), tail]);
    }
  }
}

/**
 * Encodes one control message as `type u8 | length u32 BE | payload`.
 * @throws {RangeError}/{TypeError} for a value that does not fit its field (a name over 4096
 *   bytes, a size past 2^53 − 1, a mode past 0o7777, a hash that is not 64 lowercase hex digits).
 * @example encodeFileTransferMessage({ type: 'accept', offset: 0 }) // 03 00000008 0000000000000000
 */
export function encodeFileTransferMessage(message: FileTransferMessage): Buffer {
  const payload = payloadOf(message);
  const head = Buffer.alloc(FILE_TRANSFER_HEADER_BYTES);
  head.writeUInt8(TYPES[message.type], 0);
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

const malformed = (what: string, bytes: Uint8Array): ProtocolError =>
  new ProtocolError(
    'TCPUDP_ERR_MALFORMED',
    `not a file-transfer message: ${what} (bytes: ${quoteInput(bytes, 40)})`,
  );

/** Reads `reason/status u8 | len u16 | text`, which must end exactly at the payload's end. */
function readText(payload: Buffer, at: number, raw: Uint8Array): string {
  if (payload.length < at + 2) throw malformed('the message is cut short', raw);
  const length = payload.readUInt16BE(at);
  if (length > FILE_TRANSFER_MAX_MESSAGE_BYTES || payload.length !== at + 2 + length) {
    throw malformed(`a text field of ${length} bytes does not fit the payload`, raw);
  }
  try {
    return utf8.decode(payload.subarray(at + 2));
  } catch (cause) {
    throw new ProtocolError('TCPUDP_ERR_MALFORMED', 'a text field is not valid UTF-8', { cause });
  }
}

function readSize(payload: Buffer, at: number, what: string): number {
  const value = payload.readBigUInt64BE(at);
  if (value > BigInt(FILE_TRANSFER_MAX_FILE_BYTES)) {
    throw new LimitExceededError(
      'TCPUDP_ERR_LIMIT_EXCEEDED',
      `the ${what} ${value} is past the protocol's limit of 2^53-1 bytes`,
      FILE_TRANSFER_MAX_FILE_BYTES,
      Number(value),
    );
  }
  return Number(value);
}

function reasonOf(code: number | undefined, raw: Uint8Array): FileTransferReason {
  const reason = byCode(FILE_TRANSFER_REASONS, code ?? -1);
  if (!reason) throw malformed(`unknown reason code ${code}`, raw);
  return reason;
}

function decodePayload(type: number, payload: Buffer, raw: Uint8Array): FileTransferMessage {
  const exactly = (n: number): void => {
    if (payload.length !== n) throw malformed(`type ${type} needs ${n} payload bytes`, raw);
  };
  switch (type) {
    case TYPES.hello:
      exactly(6);
      if (payload.subarray(0, 4).toString('latin1') !== FILE_TRANSFER_MAGIC) {
        throw malformed(`a hello must start with ${FILE_TRANSFER_MAGIC}`, raw);
      }
      return payload[5]
        ? { type: 'hello', version: payload[4] ?? 0, flags: payload[5] }
        : { type: 'hello', version: payload[4] ?? 0 };
    case TYPES.file: {
      if (payload.length < 44) throw malformed('a file header is cut short', raw);
      const size = readSize(payload, 0, 'size');
      const mode = payload.readUInt16BE(8);
      if (mode > 0o7777) throw malformed(`mode 0o${mode.toString(8)} is past 0o7777`, raw);
      const nameLength = payload.readUInt16BE(42);
      if (nameLength > FILE_TRANSFER_MAX_NAME_BYTES || payload.length !== 44 + nameLength) {
        throw malformed(`a name of ${nameLength} bytes does not fit the header`, raw);
      }
      let name: string;
      try {
        name = utf8.decode(payload.subarray(44));
      } catch (cause) {
        throw new ProtocolError('TCPUDP_ERR_MALFORMED', 'the file name is not valid UTF-8', {
          cause,
        });
      }
      const sha256 = payload.subarray(10, 42).toString('hex');
      return sha256 === NO_HASH
        ? { type: 'file', name, size, mode }
        : { type: 'file', name, size, mode, sha256 };
    }
    case TYPES.digest: {
      exactly(32);
      const sha256 = payload.toString('hex');
      if (sha256 === NO_HASH) throw malformed('a digest of 32 zero bytes', raw);
      return { type: 'digest', sha256 };
    }
    case TYPES.accept:
      exactly(8);
      return { type: 'accept', offset: readSize(payload, 0, 'offset') };
    case TYPES.skip:
      exactly(0);
      return { type: 'skip' };
    case TYPES.end:
      exactly(0);
      return { type: 'end' };
    case TYPES.refuse:
    case TYPES.error: {
      const reason = reasonOf(payload[0], raw);
      const message = readText(payload, 1, raw);
      return type === TYPES.refuse
        ? { type: 'refuse', reason, message }
        : { type: 'error', reason, message };
    }
    case TYPES.result: {
      if (payload.length < 35) throw malformed('a result is cut short', raw);
      const status = byCode(FILE_TRANSFER_STATUSES, payload[0] ?? -1);
      if (!status) throw malformed(`unknown result status ${payload[0]}`, raw);
      const sha256 = payload.subarray(1, 33).toString('hex');
      return { type: 'result', status, sha256, message: readText(payload, 33, raw) };
    }
    default:
      throw malformed(`unknown message type 0x${type.toString(16).padStart(2, '0')}`, raw);
  }
}

/**
 * Decodes the control message at the start of `bytes`, incrementally: `undefined` means "need
 * more bytes" (short input is normal), never an error.
 * @param bytes - What has arrived so far (not yet consumed).
 * @throws {ProtocolError} `TCPUDP_ERR_MALFORMED` for an unknown type, a bad magic, a payload whose
 *   fields do not add up to its length, a bad reason code or invalid UTF-8.
 * @throws {LimitExceededError} `TCPUDP_ERR_FRAME_TOO_LARGE` as soon as the 5-byte header declares
 *   a payload over {@link FILE_TRANSFER_MAX_PAYLOAD_BYTES}; `TCPUDP_ERR_LIMIT_EXCEEDED` for a
 *   size or offset past 2^53 − 1.
 * @example
 * const decoded = decodeFileTransferMessage(received);
 * if (decoded) handle(decoded.message), (received = received.subarray(decoded.bytesRead));
 */
export function decodeFileTransferMessage(
  bytes: Uint8Array,
): DecodedFileTransferMessage | undefined {
  if (bytes.length >= 1 && !byCode(TYPES, bytes[0] ?? -1)) {
    throw malformed(
      `unknown message type 0x${(bytes[0] ?? 0).toString(16).padStart(2, '0')}`,
      bytes,
    );
  }
  if (bytes.length < FILE_TRANSFER_HEADER_BYTES) return undefined;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = buf.readUInt32BE(1);
  if (length > FILE_TRANSFER_MAX_PAYLOAD_BYTES) {
    throw new LimitExceededError(
      'TCPUDP_ERR_FRAME_TOO_LARGE',
      `a file-transfer message declares ${length} payload bytes; at most ${FILE_TRANSFER_MAX_PAYLOAD_BYTES} are allowed`,
      FILE_TRANSFER_MAX_PAYLOAD_BYTES,
      length,
    );
  }
  const total = FILE_TRANSFER_HEADER_BYTES + length;
  if (buf.length < total) return undefined;
  const payload = buf.subarray(FILE_TRANSFER_HEADER_BYTES, total);
  return {
    message: decodePayload(buf[0] ?? 0, payload, bytes.subarray(0, total)),
    bytesRead: total,
  };
}
