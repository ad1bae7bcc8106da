import path from 'node:path';
import { thrownBy } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UnsafePathError } from '../../src/errors.ts';
import {
  checkSafeName,
  resolveSafePath,
  type UnsafePathReason,
} from '../../src/file-transfer/safe-path.ts';

const ROOT = '/srv/inbox';

describe('checkSafeName', () => {
  it.each([
    ['a.txt', false, ['a.txt']],
    ['.hidden', false, ['.hidden']],
    ['état été.txt', false, ['état été.txt']],
    ['console', false, ['console']],
    ['conx.txt', false, ['conx.txt']],
    ['com10', false, ['com10']],
    ['lpt0', false, ['lpt0']],
    ['photos/cat.jpg', true, ['photos', 'cat.jpg']],
    ['a/b/c/d', true, ['a', 'b', 'c', 'd']],
    ['x'.repeat(255), false, ['x'.repeat(255)]],
  ] as [string, boolean, string[]][])(
    'accepts %j (subdirectories: %s)',
    (name, allowSubdirectories, parts) => {
      expect(checkSafeName(name, { allowSubdirectories })).toEqual(parts);
    },
  );

  it.each([
    ['', 'empty'],
    ['../../etc/passwd', 'parent'],
    ['..', 'parent'],
    ['.', 'parent'],
    ['a/../b', 'parent'],
    ['a/./b', 'parent'],
    ['/etc/passwd', 'absolute'],
    ['C:/Windows/win.ini', 'absolute'],
    ['c:evil', 'absolute'],
    ['a//b', 'empty-component'],
    ['a/', 'empty-component'],
    ['a\0b', 'control-character'],
    ['a\nb', 'control-character'],
    ['a\x7fb', 'control-character'],
    ['a\u0085b', 'control-character'],
    ['..\\..\\boot.ini', 'backslash'],
    ['a\\b', 'backslash'],
    ['NUL', 'device-name'],
    ['nul', 'device-name'],
    ['Con', 'device-name'],
    ['prn.txt', 'device-name'],
    ['AUX.tar.gz', 'device-name'],
    ['com1', 'device-name'],
    ['COM9.log', 'device-name'],
    ['lpt1', 'device-name'],
    ['LPT9', 'device-name'],
    ['docs/nul.txt', 'device-name'],
    ['name.', 'trailing-dot-or-space'],
    ['name ', 'trailing-dot-or-space'],
    ['dir./x', 'trailing-dot-or-space'],
    ['x'.repeat(256), 'too-long'],
    ['é'.repeat(128), 'too-long'], // 256 bytes of UTF-8 in 128 characters
    [`${'a/'.repeat(2048)}b`, 'too-long'],
    ['photos/cat.jpg', 'subdirectory'],
  ] as [string, UnsafePathReason][])('refuses %j: %s', (name, reason) => {
    const allowSubdirectories = reason !== 'subdirectory';
    const thrown = thrownBy(() => checkSafeName(name, { allowSubdirectories }), `checking ${name}`);
    expect(thrown).toBeInstanceOf(UnsafePathError);
    expect(thrown).toMatchObject({ code: 'TCPUDP_ERR_UNSAFE_PATH', reason });
    expect(thrown.message).toContain('unsafe file name');
  });

  it('refuses traversal even before it looks at subdirectories', () => {
    expect(() => checkSafeName('../x')).toThrow(expect.objectContaining({ reason: 'parent' }));
  });

  it('honours smaller limits, and rejects bad ones synchronously', () => {
    expect(() => checkSafeName('abcd', { maxComponentBytes: 3 })).toThrow(UnsafePathError);
    expect(() => checkSafeName('a/b/c', { allowSubdirectories: true, maxNameBytes: 4 })).toThrow(
      UnsafePathError,
    );
    expect(() => checkSafeName('a', { maxComponentBytes: 0 })).toThrow(RangeError);
    expect(() => checkSafeName('a', { maxNameBytes: 1.5 })).toThrow(TypeError);
  });

  it('maps an accepted name inside the root', () => {
    expect(resolveSafePath(ROOT, 'a/b.txt', { allowSubdirectories: true })).toBe(
      '/srv/inbox/a/b.txt',
    );
    expect(() => resolveSafePath(ROOT, '../inbox2/x')).toThrow(UnsafePathError);
  });

  it('resolves every accepted name strictly inside the root (fast-check)', () => {
    const piece = fc.constantFrom(
      '..',
      '.',
      '',
      '/',
      '\\',
      'a',
      'b.c',
      ' ',
      '\0',
      'nul',
      'C:',
      '~',
      '%2e',
    );
    const name = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.array(piece, { maxLength: 8 }).map((p) => p.join('')),
    );
    fc.assert(
      fc.property(name, (candidate) => {
        let full: string;
        try {
          full = resolveSafePath(ROOT, candidate, { allowSubdirectories: true });
        } catch (error) {
          expect(error).toBeInstanceOf(UnsafePathError);
          return;
        }
        const relative = path.relative(ROOT, full);
        expect(relative.startsWith('..') || path.isAbsolute(relative) || relative === '').toBe(
          false,
        );
        expect(full.startsWith(`${ROOT}/`)).toBe(true);
        expect(candidate.split('/')).not.toContain('..');
      }),
      { seed: 8, numRuns: 2000 },
    );
  });
});
