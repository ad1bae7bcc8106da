/**
 * An incremental reader of one HTTP/1.1 head (a request's on the server, a response's on the
 * client): bytes in, "need more" (`undefined`) or the parsed head plus the bytes that followed it.
 * Those bytes are not HTTP: after a 101 they are the first WebSocket frames.
 *
 * Line endings are strict: every line ends in CRLF. A bare LF or a bare CR is rejected the moment
 * it arrives rather than tolerated (RFC 9112 §2.2 lets a recipient accept a bare LF, but a
 * WebSocket peer is a program, and one that sends bare LFs is either broken or probing for a
 * parser that disagrees with a proxy's). Folded lines (obs-fold) are rejected (RFC 9112 §5.2).
 *
 * @see RFC 9112 §2 (message format), §3 (request line), §4 (status line), §5 (field lines)
 */
import { checkInteger } from '@socketlab/internal';
import { quoteInput, WebSocketError } from '../errors.ts';
import { isFieldValue, isToken } from './http-syntax.ts';

/** The default `maxHeadBytes`: 8 KiB, counting the request or status line and the final CRLF CRLF. */
export const DEFAULT_MAX_HEAD_BYTES = 8 * 1024;
/** The default `maxHeaders`: how many header field lines a head may have. */
export const DEFAULT_MAX_HEADERS = 100;

/** Limits of a head reader. */
export interface HeadReaderOptions {
  /** The most bytes a head may take, through its final CRLF CRLF. @default 8192 */
  readonly maxHeadBytes?: number;
  /** The most header field lines a head may have. @default 100 */
  readonly maxHeaders?: number;
}

/** What a request head and a response head share. */
export interface HttpHead {
  /** The HTTP version of the start line: `HTTP/1.1` is `{ major: 1, minor: 1 }`. */
  readonly version: { readonly major: number; readonly minor: number };
  /**
   * The header fields by lowercase name; field lines repeated under one name are joined with
   * `", "` in order (RFC 9110 §5.3). Names that may appear only once are rejected when repeated.
   */
  readonly headers: ReadonlyMap<string, string>;
  /** Every field line in order, name as sent, value trimmed (for `Set-Cookie` and the curious). */
  readonly rawHeaders: readonly (readonly [string, string])[];
}

/** A parsed request head: `GET /chat HTTP/1.1` and its fields. */
export interface HttpRequestHead extends HttpHead {
  /** The method, case-sensitive as HTTP says (`GET`, not `get`). */
  readonly method: string;
  /** The request target as sent (`/chat?room=1`). */
  readonly target: string;
}

/** A parsed response head: `HTTP/1.1 101 Switching Protocols` and its fields. */
export interface HttpResponseHead extends HttpHead {
  /** The three-digit status code. */
  readonly status: number;
  /** The reason phrase, possibly empty; it means nothing to a program. */
  readonly statusText: string;
}

/** A complete head and what followed it. */
export interface HeadResult<Head> {
  readonly head: Head;
  /** The bytes after the head's final CRLF CRLF in the chunk that completed it (a view, maybe empty). */
  readonly rest: Buffer;
  /** How many bytes the head took, through its final CRLF CRLF. */
  readonly headBytes: number;
}

/** Reads one head from a byte stream. */
export interface HeadReader<Head> {
  /**
   * Feeds the next chunk. Returns `undefined` while the head is incomplete, then the result once.
   * @throws {WebSocketError} `WEBSOCKET_ERR_HANDSHAKE` when the head is malformed or over a limit;
   *   every later call throws the same error.
   * @throws {Error} when called again after the head was complete.
   */
  push(chunk: Uint8Array): HeadResult<Head> | undefined;
  /**
   * Says the stream ended. @throws {WebSocketError} `WEBSOCKET_ERR_HANDSHAKE` when it ended
   * before the head was complete.
   */
  end(): void;
  /** How many bytes of an incomplete head are held. */
  readonly bufferedBytes: number;
}

const CR = 0x0d;
const LF = 0x0a;

/** Fields a request may carry only once. @see RFC 9112 §3.2 (Host), RFC 6455 §11.3.1, §11.3.5, RFC 6454 §7.3 */
const REQUEST_SINGLE = [
  'host',
  'sec-websocket-key',
  'sec-websocket-version',
  'origin',
  'content-length',
];
/** Fields a response may carry only once. @see RFC 6455 §11.3.3 */
const RESPONSE_SINGLE = ['sec-websocket-accept', 'content-length'];

type StartLine<Head> = (
  line: string,
  fail: (what: string) => never,
) => Omit<Head, keyof HttpHead> & {
  version: HttpHead['version'];
};

class Reader<Head extends HttpHead> implements HeadReader<Head> {
  private readonly chunks: Buffer[] = [];
  private total = 0;
  private lineLength = 0;
  private lines = 0;
  private sawCR = false;
  private done = false;
  private failed: WebSocketError | undefined;

  constructor(
    private readonly what: string,
    private readonly single: readonly string[],
    private readonly startLine: StartLine<Head>,
    private readonly maxHeadBytes: number,
    private readonly maxHeaders: number,
  ) {}

  get bufferedBytes(): number {
    return this.done ? 0 : this.total;
  }

  private fail(what: string): never {
    this.failed = new WebSocketError('WEBSOCKET_ERR_HANDSHAKE', `${this.what}: ${what}`);
    throw this.failed;
  }

  push(chunk: Uint8Array): HeadResult<Head> | undefined {
    if (this.failed) throw this.failed;
    if (this.done) throw new Error(`${this.what}: push() after the head was complete`);
    const data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let i = 0; i < data.length; i++) {
      const byte = data[i] as number;
      if (++this.total > this.maxHeadBytes) {
        this.fail(
          `the head is longer than maxHeadBytes (${this.maxHeadBytes}) without its final empty line`,
        );
      }
      if (this.sawCR) {
        if (byte !== LF)
          this.fail(`a CR not followed by LF at byte ${this.total - 2}; lines end in CRLF`);
        this.sawCR = false;
        if (this.lineLength === 0) {
          if (this.lines === 0)
            this.fail('the head starts with an empty line; expected a start line');
          this.chunks.push(data.subarray(0, i + 1));
          return this.finish(data.subarray(i + 1));
        }
        this.lineLength = 0;
        if (++this.lines - 1 > this.maxHeaders) {
          this.fail(`more than maxHeaders (${this.maxHeaders}) header fields`);
        }
      } else if (byte === CR) {
        this.sawCR = true;
      } else if (byte === LF) {
        this.fail(`a bare LF at byte ${this.total - 1}; lines end in CRLF`);
      } else {
        this.lineLength++;
      }
    }
    this.chunks.push(Buffer.from(data));
    return undefined;
  }

  end(): void {
    if (this.failed) throw this.failed;
    if (this.done) return;
    this.fail(
      this.total === 0
        ? 'the stream ended before any byte of the head'
        : `the stream ended after ${this.total} bytes, before the empty line that ends the head`,
    );
  }

  private finish(rest: Buffer): HeadResult<Head> {
    const headBytes = this.total;
    const text = Buffer.concat(this.chunks).toString('latin1');
    this.chunks.length = 0;
    const lines = text.slice(0, -4).split('\r\n');
    const start = this.startLine(lines[0] as string, (what) => this.fail(what));
    const headers = new Map<string, string>();
    const rawHeaders: [string, string][] = [];
    for (const line of lines.slice(1)) {
      if (line[0] === ' ' || line[0] === '\t') {
        this.fail(
          `a folded header line (obs-fold) ${quoteInput(line, 40)}; send each field on one line`,
        );
      }
      const colon = line.indexOf(':');
      const name = colon < 0 ? line : line.slice(0, colon);
      if (colon < 0) this.fail(`header line ${quoteInput(line, 40)} has no ':'`);
      if (!isToken(name)) {
        this.fail(
          /[ \t]$/.test(name)
            ? `whitespace between header name ${quoteInput(name.trimEnd())} and ':'`
            : `header name ${quoteInput(name, 40)} is not an HTTP token`,
        );
      }
      const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
      if (!isFieldValue(value)) {
        this.fail(
          `the value of header ${name} holds a control character: ${quoteInput(value, 40)}`,
        );
      }
      const key = name.toLowerCase();
      const previous = headers.get(key);
      if (previous !== undefined && this.single.includes(key)) {
        this.fail(`header ${name} appears more than once; it may appear once`);
      }
      headers.set(key, previous === undefined ? value : `${previous}, ${value}`);
      rawHeaders.push([name, value]);
    }
    this.done = true;
    return { head: { ...start, headers, rawHeaders } as unknown as Head, rest, headBytes };
  }
}

const VERSION = /^HTTP\/(\d)\.(\d)$/;

function checkLimits(options: HeadReaderOptions): [number, number] {
  return [
    checkInteger('maxHeadBytes', options.maxHeadBytes ?? DEFAULT_MAX_HEAD_BYTES, 16),
    checkInteger('maxHeaders', options.maxHeaders ?? DEFAULT_MAX_HEADERS, 0),
  ];
}

/**
 * Creates a reader for one HTTP/1.1 request head, as a WebSocket server reads the opening
 * handshake. Names are matched case-insensitively; repeated fields are joined with `", "`, except
 * `Host`, `Sec-WebSocket-Key`, `Sec-WebSocket-Version`, `Origin` and `Content-Length`, which are
 * rejected when repeated.
 *
 * @param options - `maxHeadBytes` (@default 8192, at least 16), `maxHeaders` (@default 100).
 * @throws {RangeError} or {TypeError} for a bad option.
 * @see RFC 9112 §3, §5; RFC 6455 §4.2.1
 * @example
 * ```ts
 * const reader = createRequestHeadReader();
 * reader.push(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n')); // undefined (need more)
 * reader.push(Buffer.from('\r\n\x81', 'latin1')); // { head: { method: 'GET', … }, rest: <81>, headBytes: 27 }
 * ```
 */
export function createRequestHeadReader(
  options: HeadReaderOptions = {},
): HeadReader<HttpRequestHead> {
  const [maxHeadBytes, maxHeaders] = checkLimits(options);
  return new Reader<HttpRequestHead>(
    'HTTP request head',
    REQUEST_SINGLE,
    (line, fail) => {
      const parts = line.split(' ');
      if (parts.length !== 3) {
        fail(
          `request line ${quoteInput(line, 60)} is not "METHOD target HTTP/x.y" with single spaces`,
        );
      }
      const [method, target, version] = parts as [string, string, string];
      if (!isToken(method)) fail(`method ${quoteInput(method, 20)} is not an HTTP token`);
      if (!/^[\x21-\x7e]+$/.test(target)) {
        fail(`request target ${quoteInput(target, 60)} is empty or holds a non-visible character`);
      }
      const match = VERSION.exec(version);
      if (!match)
        return fail(`HTTP version ${quoteInput(version, 20)} is not HTTP/<digit>.<digit>`);
      return { method, target, version: { major: Number(match[1]), minor: Number(match[2]) } };
    },
    maxHeadBytes,
    maxHeaders,
  );
}

/**
 * Creates a reader for one HTTP/1.1 response head, as a WebSocket client reads the server's
 * answer. Fields are handled as in {@link createRequestHeadReader}, except that only
 * `Sec-WebSocket-Accept` and `Content-Length` are refused when repeated.
 *
 * @param options - `maxHeadBytes` (@default 8192, at least 16), `maxHeaders` (@default 100).
 * @throws {RangeError} or {TypeError} for a bad option.
 * @see RFC 9112 §4, §5; RFC 6455 §4.1
 * @example
 * ```ts
 * const reader = createResponseHeadReader();
 * const result = reader.push(Buffer.from('HTTP/1.1 101 Switching Protocols\r\n\r\n'));
 * result?.head.status; // 101
 * ```
 */
export function createResponseHeadReader(
  options: HeadReaderOptions = {},
): HeadReader<HttpResponseHead> {
  const [maxHeadBytes, maxHeaders] = checkLimits(options);
  return new Reader<HttpResponseHead>(
    'HTTP response head',
    RESPONSE_SINGLE,
    (line, fail) => {
      const match = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(line);
      if (!match) {
        return fail(
          `status line ${quoteInput(line, 60)} is not "HTTP/x.y <3-digit status> <reason>"`,
        );
      }
      const reason = match[3] ?? '';
      if (!isFieldValue(reason)) fail(`the reason phrase holds a control character`);
      const version = VERSION.exec(match[1] as string) as RegExpExecArray;
      return {
        status: Number(match[2]),
        statusText: reason,
        version: { major: Number(version[1]), minor: Number(version[2]) },
      };
    },
    maxHeadBytes,
    maxHeaders,
  );
}
