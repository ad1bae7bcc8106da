import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../src/temp.ts';

describe('tempDir', () => {
  let made = '';
  it('makes an empty directory for the test', async () => {
    made = await tempDir('testkit-temp-');
    expect(existsSync(made)).toBe(true);
  });

  it('removed the previous test’s directory when that test finished', () => {
    expect(made).not.toBe('');
    expect(existsSync(made)).toBe(false);
  });
});
