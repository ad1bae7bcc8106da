import { checkInteger } from '@socketlab/internal';
import { ProtocolError, quoteInput } from '../errors.ts';

/**
 * The TFTP opcodes: the first two bytes of every packet, big-endian.
 * @see RFC 1350 §5 (1–5), RFC 2347 (6, OACK)
 */
export const TFTP_OPCODES = { rrq: 1, wrq: 2, data: 3, ack: 4, error: 5, oack: 6 } as const;

/**
 * The TFTP error codes of an ERROR packet.
 * @see RFC 1350 Appendix ("Error Codes"), RFC 2347 (8)
 */
export const TFTP_ERROR_CODES = {
  notDefined: 0,
  fileNotFound: 1,
  accessViolation: 2,
  diskFull: 3,
  illegalOperation: 4,
  unknownTransferId: 5,
  fileExists: 6,
  noSuchUser: 7,
  optionsRefused: 8,
} as const;

/** The data block size of RFC 1350, used when no `blksize` option was agreed. */
export const DEFAULT_TFTP_BLKSIZE = 512;
/** The smallest `blksize` RFC 2348 allows. */
export const TFTP_MIN_BLKSIZE = 8;
/** The largest `blksize`: RFC 2348 allows 8 to 65464 octets, inclusive. */
export const TFTP_MAX_BLKSIZE = 65_464;

/** A transfer mode; `mail` (RFC 1350) is obsolete and refused. @see RFC 1350 §1 */
export type TftpMode = 'octet' | 'netascii';

/** Options of a request or OACK, in the order they were sent; names are lower-cased. */
export type TftpOptions = ReadonlyArray<readonly [name: string, value: string]>;

/** One TFTP packet. */
export type TftpPacket =
  | {
      readonly op: 'rrq' | 'wrq';
      readonly filename: string;
      /** Lower-cased as received (`octet`, `netascii`, `mail`, or anything a peer sent). */
      readonly mode: string;
      readonly options: TftpOptions;
    }
  | { readonly op: 'data'; readonly block: number; readonly data: Uint8Array }
  | { readonly op: 'ack'; readonly block: number }
  | { readonly op: 'error'; readonly code: number; readonly message: string }
  | { readonly op: 'oack'; readonly options: TftpOptions };

const OP_BY_CODE = new Map(Object.entries(TFTP_OPCODES).map(([name, code]) => [code, name]));
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Encodes one packet.
 * @throws {RangeError} for a block or code outside 0..65535, or a string holding NUL;
 *   {TypeError} for a block or code that is not an integer.
 * @example encodeTftpPacket({ op: 'ack', block: 1 }); // <00 04 00 01>
 */
export function encodeTftpPacket(packet: TftpPacket): Buffer {
  const op = Buffer.alloc(2);
  op.writeUInt16BE(TFTP_OPCODES[packet.op]);
  switch (packet.op) {
    case 'rrq':
    case 'wrq':
      return Buffer.concat([
        op,
        cString(packet.filename, 'filename'),
        cString(packet.mode, 'mode'),
        ...optionBytes(packet.options),
      ]);
    case 'oack':
      return Buffer.concat([op, ...optionBytes(packet.options)]);
    case 'data':
      return Buffer.concat([op, u16(packet.block, 'block'), packet.data]);
    case 'ack':
      return Buffer.concat([op, u16(packet.block, 'block')]);
    case 'error':
      return Buffer.concat([op, u16(packet.code, 'code'), cString(packet.message, 'message')]);
  }
}

/**
 * Decodes one datagram as a TFTP packet. Checks structure only; what a packet means in a
 * transfer is for the state machine.
 * @throws {ProtocolError} `TCPUDP_ERR_TRUNCATED` for a packet shorter than its fixed fields or a
 *   string missing its NUL; `TCPUDP_ERR_MALFORMED` for an unknown opcode, a string that is not
 *   UTF-8, an option without a value, or an empty or repeated option name.
 * @example decodeTftpPacket(Buffer.from('0001612e747874006f6374657400', 'hex')); // RRQ a.txt octet
 */
export function decodeTftpPacket(datagram: Uint8Array): TftpPacket {
  if (datagram.length < 2)
    truncated(`a TFTP packet needs a 2-byte opcode, got ${datagram.length} bytes`);
  const bytes = Buffer.from(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  const code = bytes.readUInt16BE(0);
  const op = OP_BY_CODE.get(code as 1);
  switch (op) {
    case 'rrq':
    case 'wrq': {
      const strings = cStrings(bytes.subarray(2), op);
      const [filename, mode, ...rest] = strings;
      if (filename === undefined || mode === undefined) {
        truncated(`a ${op.toUpperCase()} needs a filename and a mode, each ending in NUL`);
      }
      return { op, filename, mode: mode.toLowerCase(), options: pairs(rest, op) };
    }
    case 'oack':
      return { op, options: pairs(cStrings(bytes.subarray(2), 'OACK'), 'OACK') };
    case 'data':
      if (bytes.length < 4) truncated(`a DATA packet needs 4 header bytes, got ${bytes.length}`);
      return { op, block: bytes.readUInt16BE(2), data: bytes.subarray(4) };
    case 'ack':
      if (bytes.length < 4) truncated(`an ACK packet needs 4 bytes, got ${bytes.length}`);
      return { op, block: bytes.readUInt16BE(2) };
    case 'error': {
      if (bytes.length < 4) truncated(`an ERROR packet needs 4 header bytes, got ${bytes.length}`);
      // Lenient: some peers leave out the message's final NUL.
      const rest = bytes.subarray(4);
      const end = rest.indexOf(0);
      return {
        op,
        code: bytes.readUInt16BE(2),
        message: text(end < 0 ? rest : rest.subarray(0, end), 'ERROR'),
      };
    }
    default:
      throw new ProtocolError(
        'TCPUDP_ERR_MALFORMED',
        `unknown TFTP opcode ${code} (expected 1 to 6)`,
      );
  }
}

function truncated(message: string): never {
  throw new ProtocolError('TCPUDP_ERR_TRUNCATED', message);
}

function text(bytes: Uint8Array, where: string): string {
  try {
    return utf8.decode(bytes);
  } catch (cause) {
    throw new ProtocolError('TCPUDP_ERR_MALFORMED', `a string in a TFTP ${where} is not UTF-8`, {
      cause,
    });
  }
}

/** Splits NUL-terminated strings; every string must end in NUL. */
function cStrings(bytes: Buffer, where: string): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < bytes.length) {
    const end = bytes.indexOf(0, at);
    if (end < 0) truncated(`a string in a TFTP ${where.toUpperCase()} does not end in NUL`);
    out.push(text(bytes.subarray(at, end), where.toUpperCase()));
    at = end + 1;
  }
  return out;
}

function pairs(strings: string[], where: string): TftpOptions {
  if (strings.length % 2 !== 0) {
    throw new ProtocolError(
      'TCPUDP_ERR_MALFORMED',
      `the TFTP ${where.toUpperCase()} option ${quoteInput(strings.at(-1))} has no value`,
    );
  }
  const out: (readonly [string, string])[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < strings.length; i += 2) {
    const name = (strings[i] ?? '').toLowerCase();
    if (name === '' || seen.has(name)) {
      throw new ProtocolError(
        'TCPUDP_ERR_MALFORMED',
        `the TFTP ${where.toUpperCase()} has an empty or repeated option name ${quoteInput(name)}`,
      );
    }
    seen.add(name);
    out.push([name, strings[i + 1] ?? '']);
  }
  return out;
}

function cString(value: string, what: string): Buffer {
  if (value.includes('\0')) throw new RangeError(`a TFTP ${what} cannot hold NUL`);
  return Buffer.from(`${value}\0`, 'utf8');
}

function optionBytes(options: TftpOptions): Buffer[] {
  return options.flatMap(([name, value]) => [
    cString(name, 'option name'),
    cString(value, 'option value'),
  ]);
}

function u16(value: number, what: string): Buffer {
  checkInteger(what, value, 0, 0xffff);
  const out = Buffer.alloc(2);
  out.writeUInt16BE(value);
  return out;
}
