/**
 * The `text/event-stream` format, written by hand: a pure encoder for one event, and the checks
 * that keep an event name or id from smuggling a line break (which would let whoever chose it
 * forge a field, or a whole event, in every client's stream).
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */
import { quoteInput } from '@socketlab/internal';
import { DistributedError } from '../errors.ts';

/** One event to send. */
export interface SseEvent {
  /** The payload; line breaks (CRLF, CR or LF) become several `data:` lines, joined by LF again in the browser. */
  readonly data: string;
  /** The event name (`addEventListener(name)` in the browser); none means `message`. No CR, LF. */
  readonly event?: string | undefined;
  /** The id the browser echoes in `Last-Event-ID` when it reconnects. No CR, LF or NUL. */
  readonly id?: string;
  /** The reconnection delay the browser should use from now on, in milliseconds. */
  readonly retryMs?: number;
}

/** Throws `DISTRIBUTED_ERR_PAYLOAD` unless `value` is one line of text (and, for an id, no NUL). */
function checkField(field: 'event' | 'id', value: string): void {
  // WHATWG: a line ends at CR, LF or CRLF; an id holding NUL is ignored by the browser.
  if (/[\r\n]/.test(value) || (field === 'id' && value.includes('\0')))
    throw new DistributedError(
      'DISTRIBUTED_ERR_PAYLOAD',
      `an SSE ${field} must be one line${field === 'id' ? ' without NUL' : ''}, got ${quoteInput(value, 60)}`,
    );
}

/**
 * The bytes of one event, ending with the blank line that dispatches it:
 * `id: 7\nevent: price\ndata: line 1\ndata: line 2\n\n`. Fields are written `name: value` (the one
 * space after the colon is removed by the parser, so a value that itself starts with a space
 * keeps it).
 * @throws {DistributedError} `DISTRIBUTED_ERR_PAYLOAD` when `event` or `id` holds CR or LF (or
 *   `id` NUL): refused, never escaped, since no escape exists in the format.
 * @throws {RangeError} when `retryMs` is not an integer ≥ 0.
 * @example formatSseEvent({ id: '1', data: 'a\nb' }) // 'id: 1\ndata: a\ndata: b\n\n'
 */
export function formatSseEvent(event: SseEvent): string {
  let out = '';
  if (event.id !== undefined) {
    checkField('id', event.id);
    out += `id: ${event.id}\n`;
  }
  if (event.event !== undefined) {
    checkField('event', event.event);
    out += `event: ${event.event}\n`;
  }
  if (event.retryMs !== undefined) out += formatSseRetry(event.retryMs);
  for (const line of String(event.data).split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** `retry: <ms>\n`: sets the browser's reconnection delay. @throws {RangeError} unless an integer ≥ 0. */
export function formatSseRetry(retryMs: number): string {
  if (!Number.isSafeInteger(retryMs) || retryMs < 0)
    throw new RangeError(`retryMs must be an integer ≥ 0, got ${retryMs}`);
  return `retry: ${retryMs}\n`;
}

/**
 * A comment line, which every client ignores: what a heartbeat sends so proxies see traffic.
 * A line break in `text` starts a new comment line rather than a field.
 */
export function formatSseComment(text: string): string {
  return `${text
    .split(/\r\n|\r|\n/)
    .map((line) => `: ${line}\n`)
    .join('')}\n`;
}
