import { describe, expect, it } from 'vitest';
import { RealtimeError } from '../../../src/realtime/errors.ts';
import { generateApiKey, hashApiKey, verifyApiKey } from '../../../src/realtime/index.ts';

const reasonOf = (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'accepted',
    (error: RealtimeError) => {
      expect(error).toBeInstanceOf(RealtimeError);
      return error.data.reason;
    },
  );

describe('API keys', () => {
  const key = generateApiKey();
  const store = new Map([
    [hashApiKey(generateApiKey()), { subject: 'someone-else' }],
    [hashApiKey(key), { subject: 'build-bot', scopes: ['publish'] }],
  ]);

  it('makes 32 random bytes, base64url, and stores only a SHA-256 hash', () => {
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generateApiKey()).not.toBe(key);
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect([...store.keys()].join()).not.toContain(key);
  });

  it('finds the principal of a known key in a Map', async () => {
    expect(await verifyApiKey(key, store)).toEqual({ subject: 'build-bot', scopes: ['publish'] });
  });

  it('finds it through a lookup function, and checks the hash it returns', async () => {
    const lookup = (hash: string) =>
      hash === hashApiKey(key) ? { hash, subject: 'db-user' } : undefined;
    expect(await verifyApiKey(key, lookup)).toEqual({ subject: 'db-user' });
    expect(await reasonOf(verifyApiKey('nope', lookup))).toBe('unknown-api-key');
    // A lookup that answers for the wrong hash (a bug, a LIKE query) is not trusted.
    const sloppy = () => ({ hash: hashApiKey('other'), subject: 'x' });
    expect(await reasonOf(verifyApiKey(key, sloppy))).toBe('unknown-api-key');
  });

  it.each([
    ['an unknown key', 'not-a-key', 'unknown-api-key'],
    [
      'a key with one character changed',
      `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`,
      'unknown-api-key',
    ],
    ['an empty key', '', 'malformed'],
    ['a number', 12345, 'malformed'],
    ['an array', [key], 'malformed'],
    ['a 513-character key', 'k'.repeat(513), 'malformed'],
  ])('refuses %s', async (_name, presented, reason) => {
    expect(await reasonOf(verifyApiKey(presented, store))).toBe(reason);
  });
});
