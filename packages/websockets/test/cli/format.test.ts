import { describe, expect, it } from 'vitest';
import {
  formatClose,
  formatMessage,
  isNormalClose,
  parseHeaderArgument,
  webSocketUrl,
} from '../../src/cli/format.ts';

describe('socketlab-ws formats', () => {
  it.each([
    { data: Buffer.from('hé'), isBinary: false, line: 'hé' },
    { data: Buffer.alloc(0), isBinary: false, line: '' },
    { data: Buffer.alloc(0), isBinary: true, line: '<binary 0 bytes>' },
    { data: Buffer.from([0, 255]), isBinary: true, line: '<binary 2 bytes: 00ff>' },
    { data: Buffer.alloc(32, 1), isBinary: true, line: `<binary 32 bytes: ${'01'.repeat(32)}>` },
    { data: Buffer.alloc(33, 1), isBinary: true, line: `<binary 33 bytes: ${'01'.repeat(32)}…>` },
  ])('prints $line', ({ data, isBinary, line }) => {
    expect(formatMessage(data, isBinary)).toBe(line);
  });

  it.each([
    [1000, true],
    [1001, true],
    [1005, true],
    [1002, false],
    [1006, false],
    [1011, false],
    [4000, false],
  ])('treats close code %i as normal: %s', (code, normal) => {
    expect(isNormalClose(code)).toBe(normal);
  });

  it('formats a close with and without its reason', () => {
    expect(formatClose(1000, '')).toBe('code 1000');
    expect(formatClose(1002, 'bad "frame"')).toBe('code 1002 (reason "bad \\"frame\\"")');
  });

  it('brackets an IPv6 host in the URL', () => {
    expect(webSocketUrl('127.0.0.1', 80)).toBe('ws://127.0.0.1:80/');
    expect(webSocketUrl('::1', 8080)).toBe('ws://[::1]:8080/');
  });

  it.each([
    ['X-A: b', ['X-A', 'b']],
    ['X-A:b: c ', ['X-A', 'b: c']],
    ['Authorization:  Bearer t', ['Authorization', 'Bearer t']],
    ['nocolon', undefined],
    [': value', undefined],
  ])('parses --header %j', (text, parsed) => {
    expect(parseHeaderArgument(text)).toEqual(parsed);
  });
});
