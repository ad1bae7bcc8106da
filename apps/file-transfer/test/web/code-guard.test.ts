// The code phrase guard: the right phrase passes, a wrong one is refused, and an address that
// guesses too often is refused even the right phrase until its wait is over.
import { describe, expect, it } from 'vitest';
import { CodeGuard } from '../../src/web/code-guard.ts';

const codeOf = (fn: () => void): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return `${(error as { code: string }).code}: ${(error as Error).message}`;
  }
};

describe('CodeGuard', () => {
  it('passes the right phrase and refuses a missing or wrong one', () => {
    const guard = new CodeGuard('amber-fox-7');
    expect(codeOf(() => guard.check('10.0.0.1', 'amber-fox-7'))).toBeUndefined();
    expect(codeOf(() => guard.check('10.0.0.1', undefined))).toMatch(/^FT_WEB_ERR_CODE: .*needs/);
    expect(codeOf(() => guard.check('10.0.0.1', 'amber-fox-8'))).toMatch(/^FT_WEB_ERR_CODE: wrong/);
  });

  it('makes an address that guesses too often wait, and only that address', () => {
    let now = 1_000_000;
    const guard = new CodeGuard('amber-fox-7', () => now);
    // Bounded: the bucket holds 5 guesses; the 6th empties it and starts the wait.
    for (let i = 0; i < 6; i++) {
      expect(codeOf(() => guard.check('10.0.0.1', `guess-${i}`))).toMatch(/wrong/);
    }
    expect(codeOf(() => guard.check('10.0.0.1', 'amber-fox-7'))).toMatch(/too many wrong/);
    // Missing codes (a page before the phrase is typed) are not guesses.
    expect(codeOf(() => guard.check('10.0.0.2', undefined))).toMatch(/needs/);
    expect(codeOf(() => guard.check('10.0.0.2', 'amber-fox-7'))).toBeUndefined();
    now += 3_000;
    expect(codeOf(() => guard.check('10.0.0.1', 'amber-fox-7'))).toBeUndefined();
  });
});
