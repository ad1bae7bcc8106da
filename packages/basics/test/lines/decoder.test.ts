import { cutAt, everySplit, fromHex } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLineDecoder } from '../../src/lines/decoder.ts';

const toHex = (lines: readonly Uint8Array[]): string[] =>
  lines.map((line) => Buffer.from(line).toString('hex'));

/** Feeds `pieces` to a fresh decoder as a socket would deliver them, then ends the stream. */
function decode(pieces: readonly Uint8Array[], maxLineBytes: number) {
  const decoder = createLineDecoder({ maxLineBytes });
  const lines: Buffer[] = [];
  for (const piece of pieces) decoder.push(piece, lines);
  const overflowBytes = decoder.overflowBytes;
  const rest = decoder.end();
  return { lines: toHex(lines), rest: rest.toString('hex'), overflowBytes };
}

describe('createLineDecoder', () => {
  // The contract, fixture by fixture; each one is also fed at every split and byte by byte, so a
  // CRLF cut between its CR and its LF is in every CRLF fixture.
  it.each([
    { name: 'one line', wire: '68656c6c6f 0a', lines: ['68656c6c6f'], rest: '' },
    { name: 'an empty line', wire: '0a', lines: [''], rest: '' },
    { name: 'CRLF: the CR is dropped', wire: '61 0d0a 62 0a', lines: ['61', '62'], rest: '' },
    { name: 'an empty CRLF line', wire: '0d0a', lines: [''], rest: '' },
    { name: 'one CR dropped, not two', wire: '61 0d0d0a', lines: ['610d'], rest: '' },
    { name: 'a lone CR inside a line is data', wire: '61 0d 62 0a', lines: ['610d62'], rest: '' },
    {
      name: 'LF CR: the CR starts the next line',
      wire: '61 0a 0d 62 0a',
      lines: ['61', '0d62'],
      rest: '',
    },
    { name: 'binary bytes', wire: '00ff80 0a', lines: ['00ff80'], rest: '' },
    { name: 'an unterminated last line', wire: '61 0a 6263', lines: ['61'], rest: '6263' },
    { name: 'a final CR with no LF stays', wire: '61 0d', lines: [], rest: '610d' },
    { name: 'nothing at all', wire: '', lines: [], rest: '' },
  ])('decodes $name the same at every split', ({ wire, lines, rest }) => {
    for (const pieces of everySplit(fromHex(wire))) {
      expect(decode(pieces, 16)).toEqual({ lines, rest, overflowBytes: 0 });
    }
  });

  it('drops the CR of a CRLF cut between its CR and its LF, even at the limit', () => {
    expect(decode([fromHex('616263 0d'), fromHex('0a')], 3)).toEqual({
      lines: ['616263'],
      rest: '',
      overflowBytes: 0,
    });
    expect(decode([fromHex('61 0d'), fromHex('0a 62 0d'), fromHex('0a')], 3).lines).toEqual([
      '61',
      '62',
    ]);
  });

  it.each([
    { name: 'a line of exactly the limit', wire: '616263 0a', lines: ['616263'] },
    { name: 'a CRLF line of exactly the limit', wire: '616263 0d0a', lines: ['616263'] },
  ])('accepts $name (the limit does not count the line ending)', ({ wire, lines }) => {
    for (const pieces of everySplit(fromHex(wire))) {
      expect(decode(pieces, 3)).toEqual({ lines, rest: '', overflowBytes: 0 });
    }
  });

  it.each([
    { name: 'a line one byte over', wire: '61 0a 61626364 0a 65 0a', overflowBytes: 4 },
    { name: 'a CRLF line one byte over', wire: '61 0a 61626364 0d0a 65 0a', overflowBytes: 4 },
    { name: 'a line that never ends', wire: '61 0a 616263646566', overflowBytes: 4 },
    { name: 'CR CR past the limit', wire: '61 0a 6162630d0d', overflowBytes: 4 },
  ])('overflows on $name, after the lines before it, at every split', ({ wire }) => {
    for (const pieces of everySplit(fromHex(wire))) {
      const result = decode(pieces, 3);
      expect(result.lines).toEqual(['61']);
      expect(result.rest).toBe('');
      expect(result.overflowBytes).toBeGreaterThan(3);
    }
  });

  it('refuses a never-ending line as soon as it passes the limit, not when it ends', () => {
    const decoder = createLineDecoder({ maxLineBytes: 256 });
    const chunk = Buffer.alloc(100, 0x61);
    let pushed = 0;
    while (!decoder.overflow && pushed < 1_000) {
      decoder.push(chunk);
      pushed++;
    }
    expect(pushed).toBe(3); // 200 bytes are fine, the third chunk makes 300
    expect(decoder.overflowBytes).toBe(300);
    expect(decoder.bufferedBytes).toBe(0); // nothing is kept for a peer to be dropped
    expect(decoder.push(Buffer.from('ok\n'))).toEqual([]); // and nothing more is taken
  });

  it('counts overflowBytes without a final CR, as the limit does', () => {
    const decoder = createLineDecoder({ maxLineBytes: 3 });
    decoder.push(fromHex('616263640d'));
    expect(decoder.overflowBytes).toBe(4);
  });

  it('waits on the limit plus one byte when that byte is a CR (the LF may come)', () => {
    const decoder = createLineDecoder({ maxLineBytes: 3 });
    expect(decoder.push(fromHex('6162630d'))).toEqual([]);
    expect(decoder.overflow).toBe(false);
    expect(decoder.bufferedBytes).toBe(4);
    expect(toHex(decoder.push(fromHex('0a')))).toEqual(['616263']);
  });

  it('returns a line inside one chunk as a view of it (no copy)', () => {
    const chunk = Buffer.from('abc\ndef\r\n');
    const [first, second] = createLineDecoder({ maxLineBytes: 16 }).push(chunk);
    expect(first?.buffer).toBe(chunk.buffer);
    expect(second?.toString()).toBe('def');
  });

  it.each([
    [-1, RangeError],
    [1.5, TypeError],
    [Number.NaN, TypeError],
    [2 ** 53, RangeError],
  ])('refuses maxLineBytes %s', (maxLineBytes, error) => {
    expect(() => createLineDecoder({ maxLineBytes })).toThrow(error);
  });

  it('gives the same lines for any stream cut anywhere (property)', () => {
    const bytes = fc.uint8Array({ maxLength: 80 }).map((b) =>
      // Plenty of CR and LF, so endings are often cut in two.
      Buffer.from(b.map((x) => (x % 4 === 0 ? 0x0a : x % 4 === 1 ? 0x0d : x))),
    );
    fc.assert(
      fc.property(bytes, fc.array(fc.nat(), { maxLength: 6 }), (stream, cuts) => {
        expect(decode(cutAt(stream, cuts), 8)).toEqual(decode([stream], 8));
      }),
      { seed: 20_261_204, numRuns: 500 },
    );
  });
});
