import { describe, expect, it } from 'vitest';
import { checkUnixSocketPath, UNIX_MAX_PATH_BYTES, UNIX_SUN_PATH_BYTES } from '../../src/index.ts';

describe('checkUnixSocketPath', () => {
  it.each([
    { path: '/run/app.sock', abstract: false, bytes: 13 },
    { path: 'relative.sock', abstract: false, bytes: 13 },
    { path: `/${'x'.repeat(106)}`, abstract: false, bytes: 107 },
    { path: `/${'é'.repeat(53)}`, abstract: false, bytes: 107 },
    { path: '\0app', abstract: true, bytes: 4 },
    { path: `\0${'x'.repeat(107)}`, abstract: true, bytes: 108 },
  ])('accepts a $bytes-byte path (abstract: $abstract)', ({ path, abstract, bytes }) => {
    expect(checkUnixSocketPath(path, 'linux')).toEqual({ path, abstract, bytes });
  });

  it.each([
    {
      path: `/${'x'.repeat(107)}`,
      message:
        /is 108 bytes; sun_path holds 108 \(man 7 unix\), so the most is 107 plus the terminating NUL/,
    },
    { path: `/${'é'.repeat(54)}`, message: /is 109 bytes/ },
    { path: `/${'😀'.repeat(27)}`, message: /is 109 bytes/ },
    { path: `\0${'x'.repeat(108)}`, message: /name is 109 bytes; .* the most is 108\./ },
  ])('refuses a path past sun_path with a RangeError: $message', ({ path, message }) => {
    expect(() => checkUnixSocketPath(path, 'linux')).toThrow(RangeError);
    expect(() => checkUnixSocketPath(path, 'linux')).toThrow(message);
  });

  it.each([
    { path: '', message: /non-empty string/ },
    { path: 42, message: /non-empty string, got 42/ },
    { path: '/tmp/a\0b', message: /cannot contain a NUL byte/ },
    { path: '\0a\0b', message: /cannot contain a NUL byte/ },
    { path: '\0', message: /at least one character after/ },
  ])('refuses $path with a TypeError', ({ path, message }) => {
    expect(() => checkUnixSocketPath(path as string, 'linux')).toThrow(TypeError);
    expect(() => checkUnixSocketPath(path as string, 'linux')).toThrow(message);
  });

  it('refuses an abstract name outside Linux', () => {
    expect(() => checkUnixSocketPath('\0app', 'darwin')).toThrow(
      /exist only on Linux, not on darwin/,
    );
    expect(checkUnixSocketPath('/tmp/app.sock', 'darwin').abstract).toBe(false);
  });

  it('allows 103 bytes on macOS, whose sun_path is 104', () => {
    expect(checkUnixSocketPath(`/${'x'.repeat(102)}`, 'darwin').bytes).toBe(103);
    expect(() => checkUnixSocketPath(`/${'x'.repeat(103)}`, 'darwin')).toThrow(
      /sun_path holds 104 \(sys\/un\.h\)/,
    );
  });

  it('names the limits from man 7 unix', () => {
    expect(UNIX_SUN_PATH_BYTES).toBe(108);
    expect(UNIX_MAX_PATH_BYTES).toBe(107);
  });
});
