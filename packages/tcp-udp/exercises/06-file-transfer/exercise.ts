// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter

/** The largest file the receiver accepts: 10 MiB. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;
/** The longest header line, `\n` included. */
export const MAX_HEADER_BYTES = 512;

/** How long a sender may send nothing, mid-header or mid-body, before it is dropped: 30 s. */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/** Options of startFileReceiver. */
export interface FileReceiverOptions {
  /**
   * Drop a sender that sends no byte for this long, in ms (the clock restarts with every chunk):
   * answer `ERR timeout …`, close, and keep no file. @default DEFAULT_IDLE_TIMEOUT_MS
   */
  idleTimeoutMs?: number;
}

/** What startFileReceiver resolves with: the port it listens on, and a way to stop it. */
export interface RunningFileReceiver {
  port: number;
  /** Stops accepting, closes open connections, resolves once the server is closed. */
  close(): Promise<void>;
}

/** A parsed header line. */
export interface FileHeader {
  name: string;
  size: number;
  sha256: string;
}

/**
 * True when `name` may be created in the receiver's directory: 1 to 255 characters from
 * `A-Z a-z 0-9 . _ -`, not starting with `.`, not ending with `.`, and not a Windows device name
 * (CON, PRN, AUX, NUL, COM1–COM9, LPT1–LPT9, in any case, with or without an extension).
 * @example isSafeName('report.pdf') // true;  isSafeName('../x') // false
 */
export function isSafeName(name: string): boolean {
  // TODO: one regular expression for the allowed characters, one for the device names.
  throw new Error('not implemented yet: read exercises/06-file-transfer/README.md');
}

/**
 * Parses a header line `name size sha256hex` (the `\n` already removed).
 * @throws {Error} whose message starts with the reason word: `bad-header`, `unsafe-name` or
 *   `too-large` (the receiver sends it as `ERR <message>`).
 * @example parseHeader('a.txt 5 2cf24d…') // { name: 'a.txt', size: 5, sha256: '2cf24d…' }
 */
export function parseHeader(line: string): FileHeader {
  // TODO: exactly three fields separated by single spaces; size in plain decimal (no sign, no
  // leading zero, no exponent); sha256 is 64 lowercase hex digits; then isSafeName; then the size.
  throw new Error('not implemented yet: read exercises/06-file-transfer/README.md');
}

/**
 * Starts a receiver on `host:port` that saves files into `directory`, one file per connection,
 * many connections at once, following the protocol in the README exactly. A sender silent for
 * `options.idleTimeoutMs` is answered `ERR timeout …` and dropped, and leaves no file behind.
 * @example const { port, close } = await startFileReceiver('/tmp/inbox');
 */
export async function startFileReceiver(
  directory: string,
  port = 0,
  host = '127.0.0.1',
  options: FileReceiverOptions = {},
): Promise<RunningFileReceiver> {
  // TODO: net.createServer; per connection: buffer until '\n' (at most MAX_HEADER_BYTES), parse,
  // refuse (ERR …) or open `.<name>.partial` with the 'wx' flag and answer READY; then hash and
  // write exactly `size` bytes (pause the socket while a write is pending); then verify, link the
  // partial to `<name>`, remove the partial, answer OK <sha256>. A sender that vanishes leaves
  // no `<name>`.
  // TODO: an idle timer per connection, restarted by every chunk: when it fires (mid-header or
  // mid-body), remove the partial file, answer ERR timeout <text>, and close.
  throw new Error('not implemented yet: read exercises/06-file-transfer/README.md');
}

/**
 * Sends one file: hashes it, sends the header, waits for READY, streams the bytes (respecting
 * backpressure), and resolves with the SHA-256 once the receiver answers `OK <sha256>`.
 * @throws {Error} with the receiver's `ERR …` line in its message when it refuses or rejects.
 * @example const sha256 = await sendFile('127.0.0.1', port, 'photo.jpg');
 */
export async function sendFile(
  host: string,
  port: number,
  file: string,
  name?: string,
): Promise<string> {
  // TODO: createHash('sha256') over createReadStream(file); stat for the size; net.connect;
  // write the header; read one line; if READY, write the file (wait for 'drain' when write()
  // returns false); read the last line; resolve or reject.
  throw new Error('not implemented yet: read exercises/06-file-transfer/README.md');
}
