import { everySplit } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cutCompleteLines, type SplitLinesResult, splitLines } from '../../src/lines/splitter.ts';

const EMPTY = Buffer.alloc(0);
const text = (buffers: readonly Uint8Array[]): string[] =>
  buffers.map((b) => Buffer.from(b).toString('latin1'));

/** Feeds `pieces` one after another, as a socket would deliver them. */
function feed(pieces: readonly Uint8Array[], max: number): SplitLinesResult & { all: Buffer[] } {
  let rest: Buffer = EMPTY;
  const all: Buffer[] = [];
  for (const piece of pieces) {
    const result = splitLines(rest, piece, max);
    all.push(...result.lines);
    if (result.overflow) return { ...result, all };
    rest = result.rest;
  }
  return { lines: all, rest, overflow: false, all };
}

describe('splitLines', () => {
  it.each([
    { name: 'an empty chunk', pending: '', chunk: '', lines: [], rest: '' },
    { name: 'a partial line', pending: '', chunk: 'hel', lines: [], rest: 'hel' },
    { name: 'one whole line', pending: '', chunk: 'hello\n', lines: ['hello\n'], rest: '' },
    { name: 'a line finished', pending: 'hel', chunk: 'lo\n', lines: ['hello\n'], rest: '' },
    {
      name: 'several lines and a tail',
      pending: '',
      chunk: 'a\nbb\n\nccc',
      lines: ['a\n', 'bb\n', '\n'],
      rest: 'ccc',
    },
    { name: 'a bare newline', pending: '', chunk: '\n', lines: ['\n'], rest: '' },
    { name: 'CRLF kept in the line', pending: '', chunk: 'x\r\n', lines: ['x\r\n'], rest: '' },
    {
      name: 'a NUL byte is ordinary',
      pending: '',
      chunk: 'a\u0000b\n',
      lines: ['a\u0000b\n'],
      rest: '',
    },
  ])('splits $name', ({ pending, chunk, lines, rest }) => {
    const result = splitLines(Buffer.from(pending, 'latin1'), Buffer.from(chunk, 'latin1'), 16);
    expect(text(result.lines)).toEqual(lines);
    expect(Buffer.from(result.rest).toString('latin1')).toBe(rest);
    expect(result.overflow).toBe(false);
  });

  it.each([
    { name: 'a finished line one byte too long', pending: '', chunk: 'abcde\n', lines: [] },
    { name: 'an unfinished line one byte too long', pending: 'abc', chunk: 'de', lines: [] },
    { name: 'a long line after a good one', pending: '', chunk: 'ok\nabcdefgh', lines: ['ok\n'] },
  ])('reports overflow for $name', ({ pending, chunk, lines }) => {
    const result = splitLines(Buffer.from(pending), Buffer.from(chunk), 4);
    expect(result.overflow).toBe(true);
    expect(text(result.lines)).toEqual(lines);
    expect(result.rest.length).toBe(0);
  });

  it('accepts a line of exactly maxLineBytes, finished or not', () => {
    expect(splitLines(EMPTY, Buffer.from('abcd\n'), 4).overflow).toBe(false);
    expect(splitLines(EMPTY, Buffer.from('abcd'), 4).overflow).toBe(false);
  });

  it('counts the limit without the CRLF, as the line decoder does, at every split', () => {
    for (const [wire, overflow] of [
      ['abcd\r\n', false],
      ['abcd\r', false], // the LF may come next
      ['abcd\r\r', true],
      ['abcde\r\n', true],
      ['ab\rd\n', false], // a CR inside the line is data: it counts
      ['abc\rd\n', true],
    ] as const) {
      for (const pieces of everySplit(Buffer.from(wire, 'latin1'))) {
        expect(feed(pieces, 4).overflow, JSON.stringify(wire)).toBe(overflow);
        let rest: Buffer = EMPTY;
        let cutOverflow = false;
        for (const piece of pieces) {
          const cut = cutCompleteLines(rest, piece, 4);
          rest = cut.rest;
          cutOverflow ||= cut.overflow;
        }
        expect(cutOverflow, JSON.stringify(wire)).toBe(overflow);
      }
    }
  });

  it.each([
    [0, RangeError],
    [-1, RangeError],
    [1.5, TypeError],
    [Number.NaN, TypeError],
    [Number.POSITIVE_INFINITY, RangeError],
    [2 ** 60, RangeError],
  ])('rejects maxLineBytes %s', (max, error) => {
    expect(() => splitLines(EMPTY, Buffer.from('x'), max)).toThrow(error);
  });

  it('gives the same lines for every split of the stream', () => {
    const stream = Buffer.from('one\ntwo\n\nthree\r\nfour');
    for (const pieces of everySplit(stream)) {
      const result = feed(pieces, 64);
      expect(text(result.all)).toEqual(['one\n', 'two\n', '\n', 'three\r\n']);
      expect(result.rest.toString()).toBe('four');
    }
  });

  it('does not let the leftover share memory with the chunk', () => {
    const chunk = Buffer.from('a\nrest');
    const { rest } = splitLines(EMPTY, chunk, 64);
    chunk.fill(0x21);
    expect(rest.toString()).toBe('rest');
  });

  // Bytes drawn mostly from a tiny alphabet so newlines are common.
  const streamBytes = fc.array(fc.constantFrom(0x0a, 0x61, 0x62, 0x0d, 0x00, 0xff), {
    maxLength: 200,
  });

  it('keeps every byte, in order, for any stream cut anywhere (property)', () => {
    fc.assert(
      fc.property(streamBytes, fc.array(fc.nat({ max: 200 }), { maxLength: 10 }), (bytes, cuts) => {
        const stream = Buffer.from(bytes);
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((x, y) => x - y);
        const pieces = [0, ...points, stream.length]
          .slice(0, -1)
          .map((start, i, all) => stream.subarray(start, all[i + 1] ?? stream.length));
        const max = 1_000;
        const result = feed(pieces, max);
        expect(result.overflow).toBe(false);
        expect(Buffer.concat([...result.all, result.rest]).equals(stream)).toBe(true);
        for (const line of result.all) {
          expect(line.indexOf(0x0a)).toBe(line.length - 1);
        }
        expect(result.rest.includes(0x0a)).toBe(false);
      }),
      { seed: 20_240_601, numRuns: 300 },
    );
  });

  it('overflows exactly when some line is longer than the limit (property)', () => {
    fc.assert(
      fc.property(streamBytes, fc.integer({ min: 1, max: 20 }), (bytes, max) => {
        const stream = Buffer.from(bytes);
        const segments = stream.toString('latin1').split('\n');
        // The limit rule of the line decoder: a final `\r` (of a `\r\n`, or maybe one) does not count.
        const longest = Math.max(...segments.map((s) => s.length - (s.endsWith('\r') ? 1 : 0)));
        const result = splitLines(EMPTY, stream, max);
        expect(result.overflow).toBe(longest > max);
        const byteByByte = feed(
          Array.from(stream, (_, i) => stream.subarray(i, i + 1)),
          max,
        );
        expect(byteByByte.overflow).toBe(result.overflow);
        expect(text(byteByByte.all)).toEqual(text(result.lines));
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});

describe('cutCompleteLines', () => {
  it.each([
    { name: 'a partial line', pending: '', chunk: 'hel', complete: '', rest: 'hel' },
    { name: 'a line finished', pending: 'hel', chunk: 'lo\nwor', complete: 'hello\n', rest: 'wor' },
    {
      name: 'lines and a tail',
      pending: 'a',
      chunk: '\nbb\n\nc',
      complete: 'a\nbb\n\n',
      rest: 'c',
    },
    { name: 'only the pending grows', pending: 'ab', chunk: 'c', complete: '', rest: 'abc' },
  ])('cuts $name', ({ pending, chunk, complete, rest }) => {
    const result = cutCompleteLines(Buffer.from(pending), Buffer.from(chunk), 16);
    expect(result.complete.toString()).toBe(complete);
    expect(result.rest.toString()).toBe(rest);
    expect(result.overflow).toBe(false);
  });

  it('keeps the lines before a long one, and nothing after', () => {
    const result = cutCompleteLines(Buffer.from('o'), Buffer.from('k\nabcdefgh\nlater\n'), 4);
    expect(result).toMatchObject({ overflow: true, rest: EMPTY });
    expect(result.complete.toString()).toBe('ok\n');
  });

  it('rejects maxLineBytes 0 with a RangeError', () => {
    expect(() => cutCompleteLines(EMPTY, Buffer.from('x'), 0)).toThrow(RangeError);
  });

  it('agrees with splitLines for any stream cut anywhere and any limit (property)', () => {
    const bytes = fc.array(fc.constantFrom(0x0a, 0x61, 0x62, 0x0d), { maxLength: 120 });
    fc.assert(
      fc.property(
        bytes,
        fc.array(fc.nat({ max: 120 }), { maxLength: 8 }),
        fc.integer({ min: 1, max: 12 }),
        (data, cuts, max) => {
          const stream = Buffer.from(data);
          const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort(
            (x, y) => x - y,
          );
          const pieces = [0, ...points, stream.length]
            .slice(0, -1)
            .map((start, i, all) => stream.subarray(start, all[i + 1] ?? stream.length));
          const expected = feed(pieces, max);
          const complete: Buffer[] = [];
          let rest: Buffer = EMPTY;
          let overflow = false;
          for (const piece of pieces) {
            const result = cutCompleteLines(rest, piece, max);
            complete.push(result.complete);
            rest = result.rest;
            overflow = result.overflow;
            if (overflow) break;
          }
          expect(overflow).toBe(expected.overflow);
          expect(Buffer.concat(complete).equals(Buffer.concat(expected.all))).toBe(true);
          expect(rest.equals(expected.rest)).toBe(true);
        },
      ),
      { seed: 90_210, numRuns: 400 },
    );
  });
});
