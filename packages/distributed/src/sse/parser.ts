/**
 * An incremental `text/event-stream` parser, written from the WHATWG algorithm, for clients that
 * have no `EventSource` (a Node service, a test): bytes in, in any chunking, events out.
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */
import { DistributedError } from '../errors.ts';

/** What the parser hands out, in stream order. */
export type SseParsed =
  | {
      readonly type: 'event';
      /** The event name; `message` when the event had none. */
      readonly event: string;
      readonly data: string;
      /** The last event id seen so far (ids persist across events, as in the browser). */
      readonly lastEventId: string;
    }
  | { readonly type: 'comment'; readonly text: string }
  | { readonly type: 'retry'; readonly ms: number };

/** The default bound on one line, in characters. */
export const DEFAULT_SSE_MAX_LINE_LENGTH = 1024 * 1024;

/**
 * Feed it chunks (bytes, decoded as UTF-8 across chunk boundaries, or strings); it returns what
 * each chunk completed. Lines end at CRLF, LF or CR (a CR at the end of a chunk waits for the next
 * to see whether an LF follows); a leading BOM is dropped; unknown fields are ignored; an event is
 * dispatched at a blank line, and only if it had data.
 * @throws {DistributedError} `DISTRIBUTED_ERR_LIMIT` from `feed` when a line passes
 *   `maxLineLength` (a hostile or broken server): stop reading that stream.
 * @example
 * ```ts
 * const parser = new SseParser();
 * for await (const chunk of response.body) for (const item of parser.feed(chunk)) console.log(item);
 * ```
 */
export class SseParser {
  readonly #decoder = new TextDecoder('utf-8');
  readonly #maxLineLength: number;
  #buffer = '';
  #started = false;
  #skipLf = false;
  #data: string[] = [];
  #event = '';
  #id = '';

  constructor({ maxLineLength = DEFAULT_SSE_MAX_LINE_LENGTH }: { maxLineLength?: number } = {}) {
    this.#maxLineLength = maxLineLength;
  }

  /** The id the browser would send as `Last-Event-ID` now. */
  get lastEventId(): string {
    return this.#id;
  }

  feed(chunk: string | Uint8Array): SseParsed[] {
    let text = typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true });
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.#skipLf && text.startsWith('\n')) text = text.slice(1);
    this.#skipLf = false;
    const out: SseParsed[] = [];
    let rest = this.#buffer + text;
    for (;;) {
      const end = rest.search(/[\r\n]/);
      if (end === -1) break;
      if (rest[end] === '\r' && end === rest.length - 1) {
        // A CR at the very end: the line ends here, and an LF opening the next chunk is part of it.
        this.#skipLf = true;
        this.#line(rest.slice(0, end), out);
        rest = '';
        break;
      }
      this.#line(rest.slice(0, end), out);
      rest = rest.slice(end + (rest.startsWith('\r\n', end) ? 2 : 1));
    }
    if (rest.length > this.#maxLineLength)
      throw new DistributedError(
        'DISTRIBUTED_ERR_LIMIT',
        `an SSE line passed ${this.#maxLineLength} characters without ending`,
      );
    this.#buffer = rest;
    return out;
  }

  #line(line: string, out: SseParsed[]): void {
    if (line.length > this.#maxLineLength)
      throw new DistributedError(
        'DISTRIBUTED_ERR_LIMIT',
        `an SSE line of ${line.length} characters passed ${this.#maxLineLength}`,
      );
    if (line === '') {
      if (this.#data.length > 0)
        out.push({
          type: 'event',
          event: this.#event || 'message',
          data: this.#data.join('\n'),
          lastEventId: this.#id,
        });
      this.#data = [];
      this.#event = '';
      return;
    }
    const colon = line.indexOf(':');
    if (colon === 0) {
      out.push({ type: 'comment', text: line.slice(1).replace(/^ /, '') });
      return;
    }
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') this.#data.push(value);
    else if (field === 'event') this.#event = value;
    else if (field === 'id') {
      if (!value.includes('\0')) this.#id = value;
    } else if (field === 'retry' && /^\d+$/.test(value))
      out.push({ type: 'retry', ms: Number(value) });
  }
}
