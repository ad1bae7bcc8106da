/**
 * The app's handshake before stage 2's file-transfer protocol, as pure encoders and checkers.
 * Each message is `length u32 BE | JSON in UTF-8`, at most {@link HANDSHAKE_MAX_BYTES}.
 *
 * ```
 * sender                                      receiver
 *                                        ◄──  greeting {app, version, nonce (32 random bytes, hex)}
 * hello {proof, directories, files, bytes} ──►   proof = HMAC-SHA256(code, context | nonce)
 *                                        ◄──  welcome {}            then stage 2's protocol
 *                                         or  denied {code, message}, then close
 * ```
 */
import { FtError, type FtErrorCode } from '../errors.ts';

/** The handshake's version, in the greeting. */
export const HANDSHAKE_VERSION = 1;
/** The app's name in the greeting: a sender knows at once it reached the right program. */
export const HANDSHAKE_APP = 'socketlab-ft';
/** The largest handshake message: room for many folder names, not for a flood. */
export const HANDSHAKE_MAX_BYTES = 4 * 1024 * 1024;
/** The most folders one hello may list. */
export const HANDSHAKE_MAX_DIRECTORIES = 100_000;

/** The receiver's first words. */
export interface Greeting {
  type: 'greeting';
  app: string;
  version: number;
  nonce: string;
}

/** The sender's answer: its proof of the code, and what it is about to send. */
export interface SenderHello {
  type: 'hello';
  proof: string;
  /** Every folder to create (empty ones included), `/`-separated, parents first. */
  directories: string[];
  /** How many files and bytes follow (for the receiver's overall progress). */
  files: number;
  bytes: number;
}

/** The receiver's verdict. */
export type Verdict = { type: 'welcome' } | { type: 'denied'; code: FtErrorCode; message: string };

/** Any handshake message. */
export type HandshakeMessage = Greeting | SenderHello | Verdict;

/** Encodes one message as `length u32 BE | JSON`. */
export function encodeHandshake(message: HandshakeMessage): Buffer {
  const json = Buffer.from(JSON.stringify(message), 'utf8');
  if (json.length > HANDSHAKE_MAX_BYTES) {
    throw new RangeError(
      `a handshake message of ${json.length} bytes is over ${HANDSHAKE_MAX_BYTES}`,
    );
  }
  const head = Buffer.alloc(4);
  head.writeUInt32BE(json.length);
  return Buffer.concat([head, json]);
}

const bad = (what: string): FtError => new FtError('FT_ERR_HANDSHAKE', `bad handshake: ${what}`);

/**
 * Decodes the message at the start of `bytes`: `undefined` when more bytes are needed.
 * @throws {FtError} `FT_ERR_HANDSHAKE` for a length over the limit or bytes that are not JSON.
 */
export function decodeHandshake(bytes: Buffer): { value: unknown; bytesRead: number } | undefined {
  if (bytes.length < 4) return undefined;
  const length = bytes.readUInt32BE(0);
  if (length > HANDSHAKE_MAX_BYTES) {
    throw bad(
      `a message declares ${length} bytes, over the limit of ${HANDSHAKE_MAX_BYTES} (not a socketlab-ft peer?)`,
    );
  }
  if (bytes.length < 4 + length) return undefined;
  try {
    return {
      value: JSON.parse(bytes.subarray(4, 4 + length).toString('utf8')),
      bytesRead: 4 + length,
    };
  } catch (cause) {
    throw new FtError('FT_ERR_HANDSHAKE', 'bad handshake: a message is not JSON', { cause });
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** Checks a receiver's greeting. @throws {FtError} `FT_ERR_HANDSHAKE` */
export function checkGreeting(value: unknown): Greeting {
  if (!isRecord(value) || value.type !== 'greeting' || value.app !== HANDSHAKE_APP) {
    throw bad('the other end is not a socketlab-ft receiver');
  }
  if (value.version !== HANDSHAKE_VERSION) {
    throw bad(
      `the receiver speaks version ${String(value.version)}, this sender ${HANDSHAKE_VERSION}`,
    );
  }
  if (typeof value.nonce !== 'string' || !/^[0-9a-f]{64}$/.test(value.nonce)) {
    throw bad('the greeting has no 32-byte nonce');
  }
  return { type: 'greeting', app: HANDSHAKE_APP, version: HANDSHAKE_VERSION, nonce: value.nonce };
}

/** Checks a sender's hello (names are checked later, against the folder). @throws {FtError} */
export function checkSenderHello(value: unknown): SenderHello {
  if (!isRecord(value) || value.type !== 'hello') throw bad("expected the sender's hello");
  const { proof, directories, files, bytes } = value;
  if (typeof proof !== 'string' || !/^[0-9a-f]{64}$/.test(proof))
    throw bad('the proof is not 32 bytes of hex');
  if (!Array.isArray(directories) || directories.length > HANDSHAKE_MAX_DIRECTORIES) {
    throw bad(`directories must be a list of at most ${HANDSHAKE_MAX_DIRECTORIES} names`);
  }
  if (!directories.every((d) => typeof d === 'string'))
    throw bad('every directory must be a string');
  if (!isCount(files) || !isCount(bytes)) throw bad('files and bytes must be whole numbers');
  return { type: 'hello', proof, directories: directories as string[], files, bytes };
}

/** Checks a receiver's verdict. @throws {FtError} `FT_ERR_HANDSHAKE` */
export function checkVerdict(value: unknown): Verdict {
  if (isRecord(value) && value.type === 'welcome') return { type: 'welcome' };
  if (isRecord(value) && value.type === 'denied' && typeof value.message === 'string') {
    const code =
      typeof value.code === 'string' && value.code.startsWith('FT_ERR_')
        ? value.code
        : 'FT_ERR_HANDSHAKE';
    return { type: 'denied', code: code as FtErrorCode, message: value.message.slice(0, 1000) };
  }
  throw bad('expected welcome or denied from the receiver');
}
