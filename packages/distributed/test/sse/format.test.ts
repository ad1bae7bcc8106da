import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatSseComment,
  formatSseEvent,
  formatSseRetry,
  type SseParsed,
  SseParser,
} from '../../src/sse/index.ts';

/** Everything `text` makes the parser hand out, fed in one piece. */
const parse = (text: string | Uint8Array): SseParsed[] => new SseParser().feed(text);

/** The same, fed one UTF-16 unit (or one byte) at a time. */
function parseSplit(chunks: readonly (string | Uint8Array)[]): SseParsed[] {
  const parser = new SseParser();
  return chunks.flatMap((chunk) => parser.feed(chunk));
}

describe('formatSseEvent', () => {
  it.each([
    [{ data: 'hello' }, 'data: hello\n\n'],
    [{ data: '' }, 'data: \n\n'],
    [{ id: '7', event: 'price', data: '12.5' }, 'id: 7\nevent: price\ndata: 12.5\n\n'],
    [{ data: 'a\nb\r\nc\rd' }, 'data: a\ndata: b\ndata: c\ndata: d\n\n'],
    [{ data: 'x', retryMs: 2500 }, 'retry: 2500\ndata: x\n\n'],
    [{ data: ' leading space' }, 'data:  leading space\n\n'],
    [{ data: 'trailing\n' }, 'data: trailing\ndata: \n\n'],
  ])('writes %j as %j', (event, text) => {
    expect(formatSseEvent(event)).toBe(text);
  });

  it.each([
    ['event', { event: 'x\ndata: forged', data: '1' }],
    ['event', { event: 'x\r', data: '1' }],
    ['id', { id: '1\n\nevent: forged', data: '1' }],
    ['id', { id: '1\r2', data: '1' }],
    ['id', { id: '1\0', data: '1' }],
  ])('refuses a line break in the %s (no field or event can be forged)', (field, event) => {
    expect(() => formatSseEvent(event)).toThrow(
      expect.objectContaining({
        code: 'DISTRIBUTED_ERR_PAYLOAD',
        message: expect.stringContaining(`an SSE ${field} must be one line`),
      }),
    );
  });

  it('keeps data that looks like fields inside data lines', () => {
    const hostile = 'ok\n\nevent: admin\nid: 999\nretry: 1\ndata: forged';
    expect(parse(formatSseEvent({ id: '1', data: hostile }))).toEqual([
      { type: 'event', event: 'message', data: hostile, lastEventId: '1' },
    ]);
  });

  it('writes retry and comments', () => {
    expect(formatSseRetry(3000)).toBe('retry: 3000\n');
    expect(() => formatSseRetry(-1)).toThrow(RangeError);
    expect(() => formatSseRetry(1.5)).toThrow(RangeError);
    expect(formatSseComment('ping')).toBe(': ping\n\n');
    expect(formatSseComment('a\ndata: x')).toBe(': a\n: data: x\n\n');
    expect(parse(formatSseComment('a\ndata: x'))).toEqual([
      { type: 'comment', text: 'a' },
      { type: 'comment', text: 'data: x' },
    ]);
  });
});

describe('SseParser (the WHATWG algorithm)', () => {
  it('reads events, names, ids that persist, comments and retry', () => {
    const text =
      ': hello\nretry: 1500\nid: 1\nevent: a\ndata: one\n\ndata: two\ndata: lines\n\nid\ndata: three\n\n';
    expect(parse(text)).toEqual([
      { type: 'comment', text: 'hello' },
      { type: 'retry', ms: 1500 },
      { type: 'event', event: 'a', data: 'one', lastEventId: '1' },
      { type: 'event', event: 'message', data: 'two\nlines', lastEventId: '1' },
      { type: 'event', event: 'message', data: 'three', lastEventId: '' },
    ]);
  });

  it('accepts CRLF, CR and LF line ends, a BOM, no space after the colon, and ignores unknown fields', () => {
    expect(parse('\uFEFFdata:a\r\n\r\ndata: b\r\rfoo: bar\ndata\n\n')).toEqual([
      { type: 'event', event: 'message', data: 'a', lastEventId: '' },
      { type: 'event', event: 'message', data: 'b', lastEventId: '' },
      { type: 'event', event: 'message', data: '', lastEventId: '' },
    ]);
  });

  it('dispatches nothing for an event without data, or without its blank line yet', () => {
    expect(parse('event: a\n\nid: 5\n\ndata: pending\n')).toEqual([]);
    const parser = new SseParser();
    parser.feed('id: 5\n\n');
    expect(parser.lastEventId).toBe('5');
  });

  it('ignores an id with NUL and a retry that is not digits', () => {
    expect(parse('id: 1\n\nid: 2\0\nretry: 1e3\ndata: x\n\n')).toEqual([
      { type: 'event', event: 'message', data: 'x', lastEventId: '1' },
    ]);
  });

  it('gives the same events byte by byte, with CRLF and multi-byte characters cut anywhere', () => {
    const text = 'id: é1\r\nevent: ✓\r\ndata: 🌍 a\r\ndata: b\r\n\r\n: c\r\r';
    const whole = parse(text);
    expect(whole).toEqual([
      { type: 'event', event: '✓', data: '🌍 a\nb', lastEventId: 'é1' },
      { type: 'comment', text: 'c' },
    ]);
    const bytes = new TextEncoder().encode(text);
    expect(parseSplit([...bytes].map((b) => Uint8Array.of(b)))).toEqual(whole);
    expect(parseSplit([...text])).toEqual(whole);
  });

  it('refuses a line past maxLineLength', () => {
    const parser = new SseParser({ maxLineLength: 10 });
    expect(parser.feed('data: 1234\n')).toEqual([]);
    expect(() => parser.feed('data: 12345678')).toThrow(
      expect.objectContaining({ code: 'DISTRIBUTED_ERR_LIMIT' }),
    );
  });

  it('round-trips any event through format and parse, fed in any pieces (property)', () => {
    const line = fc.string({ unit: 'binary' }).filter((s) => !/[\r\n\0]/.test(s));
    fc.assert(
      fc.property(
        fc.record({
          id: line,
          event: line.filter((s) => s !== ''),
          data: fc.string({ unit: 'binary' }),
        }),
        fc.array(fc.nat(), { maxLength: 6 }),
        ({ id, event, data }, cuts) => {
          const text = formatSseEvent({ id, event, data });
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const pieces = [0, ...points, text.length]
            .slice(1)
            .map((end, i, ends) => text.slice(i === 0 ? 0 : ends[i - 1], end));
          expect(parseSplit(pieces)).toEqual([
            {
              type: 'event',
              event,
              data: data.replace(/\r\n|\r/g, '\n'),
              // A leading BOM is only dropped at the stream's start, and ids here never lead.
              lastEventId: id,
            },
          ]);
        },
      ),
      { numRuns: 150 },
    );
  });
});
