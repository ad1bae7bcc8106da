import { anyText, thrownBy } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeTextRecord,
  encodeTextRecord,
  LimitExceededError,
  parseTextRecord,
  SerializationError,
} from '../../src/index.ts';

describe('encodeTextRecord', () => {
  it.each([
    { record: { id: 7 }, line: 'id=7\n' },
    { record: { id: 7, ok: true, temp: 21.5 }, line: 'id=7 ok=true temp=21.5\n' },
    { record: { name: 'a b' }, line: 'name=a\\sb\n' },
    { record: { path: 'C:\\x' }, line: 'path=C:\\\\x\n' },
    { record: { s: 'l1\nl2\r\t' }, line: 's=l1\\nl2\\r\\t\n' },
    { record: { s: '\u0000\u001b\u007f' }, line: 's=\\x00\\x1b\\x7f\n' },
    { record: { s: 'k=v' }, line: 's=k=v\n' },
    { record: { s: '' }, line: 's=\n' },
    { record: { s: 'héllo 😀' }, line: 's=héllo\\s😀\n' },
    {
      record: { x: -0, y: Number.NaN, z: Number.NEGATIVE_INFINITY },
      line: 'x=-0 y=NaN z=-Infinity\n',
    },
    {
      record: { x: 0.1 + 0.2, y: 1e21, z: 5e-324 },
      line: 'x=0.30000000000000004 y=1e+21 z=5e-324\n',
    },
    { record: { big: 2n ** 64n }, line: 'big=18446744073709551616\n' },
  ])('writes $line', ({ record, line }) => {
    expect(encodeTextRecord(record)).toBe(line);
  });

  it.each([
    { record: { 'a b': 1 }, message: /text key "a b" must match/ },
    { record: { '': 1 }, message: /text key "" must match/ },
    { record: { ['k'.repeat(65)]: 1 }, message: /must match/ },
    { record: { a: null }, message: /text field "a" must be .* got null/ },
    { record: { a: { x: 1 } }, message: /got object/ },
    { record: {}, message: /at least one field/ },
  ])('refuses $record', ({ record, message }) => {
    const err = thrownBy(() => encodeTextRecord(record as never));
    expect(err).toBeInstanceOf(SerializationError);
    expect(err.message).toMatch(message);
  });
});

describe('parseTextRecord', () => {
  it.each([
    { line: 'id=7', fields: [['id', '7']] },
    { line: 'id=7\n', fields: [['id', '7']] },
    { line: 'id=7\r\n', fields: [['id', '7']] },
    {
      line: 'a=1 b= c=x\\sy',
      fields: [
        ['a', '1'],
        ['b', ''],
        ['c', 'x y'],
      ],
    },
    { line: 'a=\\x41\\x7f\\\\', fields: [['a', 'A\u007f\\']] },
    { line: '__proto__=1', fields: [['__proto__', '1']] },
  ])('reads $line', ({ line, fields }) => {
    expect([...parseTextRecord(line)]).toEqual(fields);
  });

  it.each([
    { line: '', column: 1, message: /expected key=value/ },
    { line: '\n', column: 1, message: /expected key=value/ },
    { line: 'id', column: 1, message: /expected key=value/ },
    { line: 'a=1  b=2', column: 5, message: /expected key=value/ },
    { line: ' a=1', column: 1, message: /expected key=value/ },
    { line: 'a=1 ', column: 5, message: /expected key=value/ },
    { line: 'a b=1', column: 1, message: /expected key=value/ },
    { line: '=1', column: 1, message: /key must match/ },
    { line: 'a/b=1', column: 1, message: /key must match/ },
    { line: 'a=1 a=2', column: 5, message: /repeated key "a"/ },
    { line: 'a=x\\q', column: 4, message: /unknown escape \\q/ },
    { line: 'a=x\\', column: 4, message: /unknown escape at the end of a value/ },
    { line: 'a=x\\ b=1', column: 4, message: /unknown escape at the end of a value/ },
    { line: 'a=\\x4', column: 3, message: /two hex digits/ },
    { line: 'a=\\x4g', column: 3, message: /two hex digits/ },
    { line: 'a=\\x4 b=1', column: 3, message: /two hex digits/ },
    { line: 'a=x\ty', column: 4, message: /raw control character/ },
    { line: 'a=1\nb=2', column: 4, message: /raw control character/ },
    { line: 'a=1\r', column: 4, message: /raw control character/ },
  ])('refuses $line at column $column', ({ line, column, message }) => {
    const err = thrownBy(() => parseTextRecord(line));
    expect(err).toBeInstanceOf(SerializationError);
    expect((err as SerializationError).code).toBe('TCPUDP_ERR_SERIALIZATION');
    expect(err.message).toContain(`bad text record at column ${column}:`);
    expect(err.message).toMatch(message);
  });

  it('enforces maxLineLength (not counting the newline) and maxFields', () => {
    expect(parseTextRecord('a=123\n', { maxLineLength: 5 }).get('a')).toBe('123');
    const long = thrownBy(() =>
      parseTextRecord('a=1234', { maxLineLength: 5 }),
    ) as LimitExceededError;
    expect(long).toBeInstanceOf(LimitExceededError);
    expect(long.code).toBe('TCPUDP_ERR_FRAME_TOO_LARGE');
    expect([long.limit, long.actual]).toEqual([5, 6]);
    expect(parseTextRecord('a=1 b=2', { maxFields: 2 }).size).toBe(2);
    const many = thrownBy(() =>
      parseTextRecord('a=1 b=2 c=3', { maxFields: 2 }),
    ) as LimitExceededError;
    expect(many.code).toBe('TCPUDP_ERR_LIMIT_EXCEEDED');
    expect(() => parseTextRecord('a=1', { maxFields: 0 })).toThrow(RangeError);
    expect(() => parseTextRecord('a=1', { maxLineLength: 1.5 })).toThrow(TypeError);
  });

  it('round-trips any record (property)', () => {
    const keyChars = [...'abcXYZ019_.-'];
    const key = fc
      .array(fc.constantFrom(...keyChars), { minLength: 1, maxLength: 12 })
      .map((chars) => chars.join(''));
    const value = fc.oneof(anyText(20), fc.boolean(), fc.double(), fc.bigInt());
    fc.assert(
      fc.property(fc.dictionary(key, value, { minKeys: 1, maxKeys: 8 }), (record) => {
        const line = encodeTextRecord(record);
        const back = parseTextRecord(line);
        // One comparison per record (expect() per field is what made this slow).
        const expected = Object.entries(record).map(([k, v]) => [
          k,
          typeof v === 'number' ? v : String(v),
        ]);
        const actual = [...back].map(([k, v]) => [
          k,
          typeof record[k] === 'number' ? Number(v) : v,
        ]);
        expect(line.indexOf('\n')).toBe(line.length - 1);
        expect(actual).toEqual(expected); // toEqual tells -0 from 0 and accepts NaN as NaN
      }),
      { numRuns: 200 },
    );
  });
});

describe('decodeTextRecord', () => {
  const schema = { id: 'int', temp: 'float', ok: 'bool', name: 'string' } as const;

  it('reads typed fields and ignores unknown ones', () => {
    const value = decodeTextRecord('id=7 temp=-0 ok=false name=a\\sb extra=1\n', schema);
    expect(value).toEqual({ id: 7, temp: -0, ok: false, name: 'a b' });
    expect(Object.is(value.temp, -0)).toBe(true);
    const typed: { id: number; ok: boolean } = value;
    expect(typed.id).toBe(7);
  });

  it.each([
    { line: 'temp=1 ok=true name=x', message: /has no field "id"/ },
    { line: 'id=07 temp=1 ok=true name=x', message: /"id" is not a valid int: "07"/ },
    { line: 'id=+7 temp=1 ok=true name=x', message: /"id" is not a valid int/ },
    { line: 'id=1.0 temp=1 ok=true name=x', message: /"id" is not a valid int/ },
    { line: 'id=9007199254740993 temp=1 ok=true name=x', message: /"id" is not a valid int/ },
    { line: 'id= temp=1 ok=true name=x', message: /"id" is not a valid int: ""/ },
    { line: 'id=1 temp=0x10 ok=true name=x', message: /"temp" is not a valid float: "0x10"/ },
    { line: 'id=1 temp=.5 ok=true name=x', message: /"temp" is not a valid float/ },
    { line: 'id=1 temp=1,5 ok=true name=x', message: /"temp" is not a valid float/ },
    { line: 'id=1 temp=inf ok=true name=x', message: /"temp" is not a valid float/ },
    { line: 'id=1 temp=1 ok=yes name=x', message: /"ok" is not a valid bool: "yes"/ },
    { line: 'id=1 temp=1 ok=TRUE name=x', message: /"ok" is not a valid bool/ },
  ])('refuses $line', ({ line, message }) => {
    const err = thrownBy(() => decodeTextRecord(line, schema));
    expect(err).toBeInstanceOf(SerializationError);
    expect(err.message).toMatch(message);
  });

  it('keeps a schema key named __proto__ as data', () => {
    const value = decodeTextRecord('__proto__=x', { ['__proto__']: 'string' });
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toBe('x');
  });
});
