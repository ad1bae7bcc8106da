import { thrownBy } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_JSON_MAX_DEPTH,
  decodeJson,
  encodeJson,
  LimitExceededError,
  SerializationError,
} from '../../src/index.ts';
import { findJsonSyntaxError } from '../../src/serialization/json-syntax.ts';

describe('encodeJson', () => {
  it('writes plain data as JSON.stringify does', () => {
    const value = {
      id: 7,
      temp: 21.5,
      ok: true,
      name: 'kitchen',
      tags: ['a', null],
      at: new Date(0),
    };
    expect(encodeJson(value)).toBe(JSON.stringify(value));
    expect(encodeJson({ skipped: undefined, kept: 1 })).toBe('{"kept":1}');
  });

  it.each([
    {
      name: 'NaN',
      value: { temp: Number.NaN },
      message: /^\$\.temp is NaN, which JSON cannot carry/,
    },
    { name: 'Infinity', value: [1, Number.POSITIVE_INFINITY], message: /^\$\[1\] is Infinity/ },
    { name: 'a bigint', value: { big: 1n }, message: /^\$\.big is a bigint, .*as a string/ },
    {
      name: 'a Map',
      value: { m: new Map([[1, 2]]) },
      message: /^\$\.m is a Map, which JSON\.stringify would write as \{\}/,
    },
    { name: 'a Set', value: [new Set()], message: /^\$\[0\] is a Set/ },
    { name: 'a function', value: { f: () => 1 }, message: /^\$\.f is a function/ },
    { name: 'undefined in an array', value: [undefined], message: /^\$\[0\] is undefined/ },
    { name: 'undefined at the top', value: undefined, message: /^\$ is undefined/ },
    { name: 'a symbol', value: { s: Symbol('x') }, message: /^\$\.s is a symbol/ },
  ])('refuses $name, naming its path', ({ value, message }) => {
    const err = thrownBy(() => encodeJson(value));
    expect(err).toBeInstanceOf(SerializationError);
    expect((err as SerializationError).code).toBe('TCPUDP_ERR_SERIALIZATION');
    expect(err.message).toMatch(message);
  });

  it('stops at maxDepth, which also ends a cycle', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const err = thrownBy(() => encodeJson(cyclic));
    expect(err).toBeInstanceOf(LimitExceededError);
    expect((err as LimitExceededError).code).toBe('TCPUDP_ERR_LIMIT_EXCEEDED');
    expect(err.message).toMatch(/deeper than maxDepth 64 \(or the value has a cycle\)/);
    expect(encodeJson([[1]], { maxDepth: 2 })).toBe('[[1]]');
    expect(thrownBy(() => encodeJson([[[1]]], { maxDepth: 2 }))).toBeInstanceOf(LimitExceededError);
  });

  it('refuses text longer than maxBytes, counted in UTF-8 bytes', () => {
    expect(encodeJson('é', { maxBytes: 4 })).toBe('"é"');
    const err = thrownBy(() => encodeJson('éé', { maxBytes: 5 })) as LimitExceededError;
    expect(err.code).toBe('TCPUDP_ERR_FRAME_TOO_LARGE');
    expect(err.limit).toBe(5);
    expect(err.actual).toBe(6);
  });

  it.each([
    [0, RangeError],
    [-1, RangeError],
    [1.5, TypeError],
    [Number.NaN, TypeError],
  ])('refuses the limit %s with a %o', (limit, type) => {
    expect(() => encodeJson(1, { maxBytes: limit })).toThrow(type);
    expect(() => decodeJson('1', { maxDepth: limit })).toThrow(type);
  });
});

describe('decodeJson', () => {
  it('parses text and UTF-8 bytes, ignoring a byte order mark in bytes', () => {
    expect(decodeJson('{"a":[1,"é"]}')).toEqual({ a: [1, 'é'] });
    expect(decodeJson(new Uint8Array(Buffer.from('{"a":"é"}')))).toEqual({ a: 'é' });
    expect(decodeJson(new Uint8Array([0xef, 0xbb, 0xbf, 0x31]))).toBe(1);
  });

  it.each([
    { text: '{"id":}', at: 'character 6', line: 1, column: 7 },
    { text: '{"a":1}x', at: 'character 7', line: 1, column: 8 },
    { text: '[1,]', at: 'character 3', line: 1, column: 4 },
    { text: '{"a":1,}', at: 'character 7', line: 1, column: 8 },
    { text: '{a:1}', at: 'character 1', line: 1, column: 2 },
    { text: '"\\x"', at: 'character 1', line: 1, column: 2 },
    { text: '"a\tb"', at: 'character 2', line: 1, column: 3 },
    { text: '01', at: 'character 1', line: 1, column: 2 },
    { text: "{'a':1}", at: 'character 1', line: 1, column: 2 },
    { text: 'NaN', at: 'character 0', line: 1, column: 1 },
    { text: '[1,\n 2,\n 3,,]', at: 'character 11', line: 3, column: 4 },
    { text: '', at: 'the end of the input', line: 1, column: 1 },
    { text: '[1, 2', at: 'the end of the input', line: 1, column: 6 },
    { text: '"abc', at: 'the end of the input', line: 1, column: 5 },
  ])('locates the error in $text', ({ text, at, line, column }) => {
    const err = thrownBy(() => decodeJson(text));
    expect(err).toBeInstanceOf(SerializationError);
    expect(err.message).toContain(`invalid JSON at ${at} (line ${line}, column ${column})`);
    expect(err.cause).toBeInstanceOf(SyntaxError);
    // The caret stands under the offending character of the snippet.
    const [, snippet, caret] = err.message.split('\n');
    expect(caret?.indexOf('^')).toBeGreaterThanOrEqual(2);
    expect(snippet?.length).toBeGreaterThanOrEqual((caret?.length ?? 0) - 1);
  });

  it('refuses input over maxBytes before reading it', () => {
    const err = thrownBy(() => decodeJson('"abcdef"', { maxBytes: 7 })) as LimitExceededError;
    expect(err).toBeInstanceOf(LimitExceededError);
    expect(err.code).toBe('TCPUDP_ERR_FRAME_TOO_LARGE');
    expect(err.limit).toBe(7);
    const bytes = thrownBy(() =>
      decodeJson(new Uint8Array(8), { maxBytes: 7 }),
    ) as LimitExceededError;
    expect(bytes.actual).toBe(8);
    expect(decodeJson('"abcde"', { maxBytes: 7 })).toBe('abcde');
  });

  it('refuses nesting deeper than maxDepth before parsing, ignoring brackets in strings', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const err = thrownBy(() => decodeJson(deep)) as LimitExceededError;
    expect(err.code).toBe('TCPUDP_ERR_LIMIT_EXCEEDED');
    expect(err.limit).toBe(DEFAULT_JSON_MAX_DEPTH);
    expect(err.message).toMatch(/deeper than maxDepth 64 at character 64/);
    expect(decodeJson('{"a":"[[[[\\"[["}', { maxDepth: 1 })).toEqual({ a: '[[[["[[' });
    expect(thrownBy(() => decodeJson('{"a":[]}', { maxDepth: 1 }))).toBeInstanceOf(
      LimitExceededError,
    );
  });

  it.each([
    ['a stray continuation byte', [0x22, 0x80, 0x22]],
    ['an overlong slash', [0x22, 0xc0, 0xaf, 0x22]],
    ['a cut sequence', [0x22, 0xe2, 0x82, 0x22]],
  ])('refuses invalid UTF-8: %s', (_name, bytes) => {
    const err = thrownBy(() => decodeJson(new Uint8Array(bytes)));
    expect(err).toBeInstanceOf(SerializationError);
    expect(err.message).toMatch(/not valid UTF-8/);
  });

  it('returns the value only when validate accepts its shape', () => {
    type Reading = { id: number };
    const isReading = (v: unknown): v is Reading =>
      typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'number';
    const reading: Reading = decodeJson('{"id":7}', { validate: isReading });
    expect(reading.id).toBe(7);
    const err = thrownBy(() => decodeJson('{"id":"7"}', { validate: isReading }));
    expect(err).toBeInstanceOf(SerializationError);
    expect(err.message).toMatch(/does not have the expected shape: "\{\\"id\\":\\"7\\"\}"/);
    const boom = new Error('boom');
    const throwing = (_v: unknown): _v is Reading => {
      throw boom;
    };
    const wrapped = thrownBy(() => decodeJson('{}', { validate: throwing }));
    expect(wrapped).toBeInstanceOf(SerializationError);
    expect(wrapped.cause).toBe(boom);
  });

  it('round-trips any JSON value, and locates an error in any corrupted text (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
        const text = encodeJson(value);
        expect(decodeJson(text)).toEqual(JSON.parse(text));
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (text) => {
        let parsed = true;
        try {
          JSON.parse(text);
        } catch {
          parsed = false;
        }
        try {
          decodeJson(text, { maxDepth: 1000 });
          expect(parsed).toBe(true);
        } catch (err) {
          expect(parsed).toBe(false);
          expect(err).toBeInstanceOf(SerializationError);
          expect((err as Error).message).toMatch(
            /^invalid JSON at (character \d+|the end of the input)/,
          );
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('findJsonSyntaxError', () => {
  const parses = (text: string): boolean => {
    try {
      JSON.parse(text);
      return true;
    } catch {
      return false;
    }
  };

  it('agrees with JSON.parse on valid JSON with one character changed (property)', () => {
    const edited = fc
      .tuple(
        fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v, null, 1)),
        fc.nat(),
        fc.constantFrom(
          '',
          '"',
          ',',
          ':',
          '[',
          ']',
          '{',
          '}',
          '\\',
          '0',
          '-',
          '.',
          'e',
          ' ',
          'x',
          '\n',
        ),
      )
      .map(([text, at, char]) => {
        const i = at % (text.length + 1);
        return text.slice(0, i) + char + text.slice(i + 1);
      });
    fc.assert(
      fc.property(edited, (text) => {
        expect(findJsonSyntaxError(text) === -1, JSON.stringify(text)).toBe(parses(text));
      }),
      { numRuns: 2000 },
    );
  });
});
