import {
  CompactSign,
  createLocalJWKSet,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { describe, expect, it } from 'vitest';
import { RealtimeError } from '../../../src/realtime/errors.ts';
import { type JwtVerifyOptions, verifyJwt } from '../../../src/realtime/index.ts';

const SECRET = 'a test secret that is at least thirty-two bytes long';
const NOW = Date.UTC(2026, 0, 1); // a fixed clock: tokens are signed for it
const nowS = NOW / 1000;
const base = { issuer: 'https://id.test', audience: 'chat', now: () => NOW };

function sign(
  key: Uint8Array | CryptoKey,
  alg: string,
  claims: JWTPayload = {},
  header = {},
): Promise<string> {
  return new SignJWT({
    sub: 'ada',
    iss: 'https://id.test',
    aud: 'chat',
    iat: nowS,
    exp: nowS + 60,
    ...claims,
  })
    .setProtectedHeader({ alg, ...header })
    .sign(key);
}
const secret = new TextEncoder().encode(SECRET);
const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

async function reasonOf(token: unknown, options: JwtVerifyOptions): Promise<string> {
  try {
    await verifyJwt(token, options);
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(RealtimeError);
    const e = error as RealtimeError;
    expect(e.code).toBe('REALTIME_ERR_AUTH');
    if (typeof token === 'string' && token.length > 0) {
      expect(e.message).not.toContain(token);
      expect(e.data.reason).not.toContain(token);
    }
    return e.data.reason;
  }
}

describe('verifyJwt with an HS256 secret', () => {
  const hs: JwtVerifyOptions = { ...base, algorithms: ['HS256'], key: SECRET };

  it('returns the claims of a valid token', async () => {
    const claims = await verifyJwt(await sign(secret, 'HS256', { role: 'admin' }), hs);
    expect(claims).toMatchObject({ sub: 'ada', aud: 'chat', role: 'admin', exp: nowS + 60 });
  });

  it.each([
    ['expired', { exp: nowS - 1 }],
    ['not-yet-valid', { nbf: nowS + 30 }],
    ['wrong-audience', { aud: 'billing' }],
    ['wrong-issuer', { iss: 'https://evil.test' }],
    ['claims-invalid', { sub: undefined }],
    ['claims-invalid', { exp: undefined }],
  ])('refuses a token whose claims make it %s', async (reason, claims) => {
    expect(await reasonOf(await sign(secret, 'HS256', claims as JWTPayload), hs)).toBe(reason);
  });

  it('accepts within the clock tolerance, and not beyond', async () => {
    const token = await sign(secret, 'HS256', { exp: nowS - 5 });
    expect(await reasonOf(token, { ...hs, clockToleranceSeconds: 10 })).toBe('accepted');
    expect(await reasonOf(token, { ...hs, clockToleranceSeconds: 4 })).toBe('expired');
  });

  it('refuses a token signed with another secret as bad-signature (forged)', async () => {
    const forged = await sign(
      new TextEncoder().encode('another secret, also thirty-two bytes long!'),
      'HS256',
    );
    expect(await reasonOf(forged, hs)).toBe('bad-signature');
  });

  it('refuses a payload edited after signing as bad-signature', async () => {
    const [h, , s] = (await sign(secret, 'HS256')).split('.');
    const edited = `${h}.${b64({ sub: 'root', iss: 'https://id.test', aud: 'chat', exp: nowS + 60 })}.${s}`;
    expect(await reasonOf(edited, hs)).toBe('bad-signature');
  });

  it('refuses alg none (an unsecured JWT) as algorithm-not-allowed', async () => {
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'ada', iss: 'https://id.test', aud: 'chat', exp: nowS + 60 })}.`;
    expect(await reasonOf(none, hs)).toBe('algorithm-not-allowed');
  });

  it('refuses HS384 when only HS256 is allowed', async () => {
    expect(await reasonOf(await sign(secret, 'HS384'), hs)).toBe('algorithm-not-allowed');
  });

  it.each([
    ['an empty string', ''],
    ['two parts', 'abc.def'],
    ['not base64url', 'a b.c.d'],
    ['a number', 42],
    ['an object', { token: 'x' }],
    ['a header that is not JSON', `${Buffer.from('{').toString('base64url')}.${b64({})}.AAAA`],
    ['9000 characters', `${'a'.repeat(4000)}.${'b'.repeat(4000)}.${'c'.repeat(1000)}`],
  ])('refuses %s as malformed', async (_name, token) => {
    expect(await reasonOf(token, hs)).toBe('malformed');
  });
});

describe('verifyJwt on signed payloads that are not claims', () => {
  it('refuses a correctly signed payload that is not a JSON object as malformed', async () => {
    const hs: JwtVerifyOptions = { ...base, algorithms: ['HS256'], key: SECRET };
    for (const text of ['[1]', 'hello', '"ada"']) {
      const token = await new CompactSign(new TextEncoder().encode(text))
        .setProtectedHeader({ alg: 'HS256' })
        .sign(secret);
      expect(await reasonOf(token, hs), text).toBe('malformed');
    }
  });
});

describe('verifyJwt with an ES256 public key', () => {
  it('accepts ES256 and refuses the key-confusion HS256 token signed with the public key', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const es: JwtVerifyOptions = { ...base, algorithms: ['ES256'], key: publicKey };
    expect(await reasonOf(await sign(privateKey, 'ES256'), es)).toBe('accepted');
    // The attack: the public key is public, so an attacker HMACs a token with its PEM text as the
    // secret; a verifier that let the token's alg choose would check it with the same bytes.
    const pem = new TextEncoder().encode(await exportSPKI(publicKey));
    expect(await reasonOf(await sign(pem, 'HS256'), es)).toBe('algorithm-not-allowed');
    const other = await generateKeyPair('ES256');
    expect(await reasonOf(await sign(other.privateKey, 'ES256'), es)).toBe('bad-signature');
  });
});

describe('verifyJwt options', () => {
  it.each([
    ['no algorithms', { algorithms: [], key: SECRET }],
    ['alg none', { algorithms: ['none'], key: SECRET }],
    ['HMAC mixed with ES256', { algorithms: ['HS256', 'ES256'], key: SECRET }],
    ['a secret for ES256', { algorithms: ['ES256'], key: SECRET }],
    ['a short secret', { algorithms: ['HS256'], key: 'short' }],
  ])('throws a TypeError for %s', async (_name, options) => {
    const { checkJwtOptions } = await import('../../../src/realtime/auth/jwt.ts');
    expect(() => checkJwtOptions({ ...base, ...options })).toThrow(TypeError);
  });

  it('throws a TypeError for a public key with HS256', async () => {
    const { checkJwtOptions } = await import('../../../src/realtime/auth/jwt.ts');
    const { publicKey } = await generateKeyPair('ES256');
    expect(() => checkJwtOptions({ ...base, algorithms: ['HS256'], key: publicKey })).toThrow(
      TypeError,
    );
  });
});

describe('verifyJwt with a JWKS', () => {
  it('finds the key by kid, and refuses a kid the set does not have as unknown-key', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
    const es: JwtVerifyOptions = {
      ...base,
      algorithms: ['ES256'],
      key: createLocalJWKSet({ keys: [jwk] }),
    };
    expect(await reasonOf(await sign(privateKey, 'ES256', {}, { kid: 'k1' }), es)).toBe('accepted');
    expect(await reasonOf(await sign(privateKey, 'ES256', {}, { kid: 'k2' }), es)).toBe(
      'unknown-key',
    );
  });

  it('reports a key getter that fails (a JWKS that cannot be fetched) as unavailable, not as the token', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const failing = (): never => {
      throw new TypeError('fetch failed: connect ECONNREFUSED 10.0.0.7:443');
    };
    const es: JwtVerifyOptions = { ...base, algorithms: ['ES256'], key: failing };
    expect(await reasonOf(await sign(privateKey, 'ES256'), es)).toBe('unavailable');
    await verifyJwt(await sign(privateKey, 'ES256'), es).catch((error: RealtimeError) => {
      expect(error.message).not.toContain('10.0.0.7');
    });
  });
});
