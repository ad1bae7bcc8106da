import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { isCredentialName } from '../../../src/realtime/auth/middleware.ts';
import {
  type AuthContext,
  createAuthMiddleware,
  explainConnectError,
  generateApiKey,
  hashApiKey,
  isAuthFailureReason,
} from '../../../src/realtime/index.ts';
import {
  AUDIENCE,
  client,
  hsOptions,
  hsToken,
  ISSUER,
  outcome,
  startAuthServer,
} from './harness.ts';

describe('isCredentialName', () => {
  it('finds a credential word in a name split at _ - . and case changes, not inside other words', () => {
    for (const name of [
      'token',
      'access_token',
      'apiKey',
      'api-key',
      'X-Auth',
      'jwt',
      'session.id',
    ])
      expect(isCredentialName(name), name).toBe(true);
    for (const name of [
      'monkey',
      'tokenizer',
      'room',
      'EIO',
      'transport',
      'authorName',
      'keyboard',
    ])
      expect(isCredentialName(name), name).toBe(false);
  });
});

const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const apiKey = generateApiKey();
const apiKeys = new Map([[hashApiKey(apiKey), { subject: 'build-bot', scopes: ['publish'] }]]);

/** Connects with `auth` (and `query`), expects a refusal, and returns what the client can show. */
async function refusal(
  url: string,
  auth: object,
  query?: Record<string, string>,
): Promise<{ reason: string; message: string }> {
  const result = await outcome(client(url, { auth, ...(query ? { query } : {}) }));
  expect(result, 'the connection was accepted').not.toBe('connected');
  const failure = explainConnectError(result);
  expect(failure?.code).toBe('REALTIME_ERR_AUTH');
  expect(isAuthFailureReason(failure?.data.reason)).toBe(true);
  return { reason: failure?.data.reason ?? '', message: failure?.message ?? '' };
}

describe('the auth middleware on real sockets', () => {
  it('accepts a valid token and puts the verified claims on socket.data', async () => {
    const { url } = await startAuthServer({ jwt: hsOptions });
    const socket = client(url, { auth: { token: await hsToken({ role: 'editor' }) } });
    expect(await outcome(socket)).toBe('connected');
    const auth = (await socket.timeout(5000).emitWithAck('whoami')) as AuthContext;
    expect(auth).toMatchObject({
      method: 'jwt',
      subject: 'ada',
      claims: { sub: 'ada', role: 'editor', aud: AUDIENCE },
    });
  });

  it('accepts over long-polling as well as WebSocket', async () => {
    const { url } = await startAuthServer({ jwt: hsOptions });
    expect(
      await outcome(client(url, { transports: ['polling'], auth: { token: await hsToken() } })),
    ).toBe('connected');
  });

  it('refuses each bad token with its reason, and never echoes the token', async () => {
    const { url } = await startAuthServer({ jwt: hsOptions });
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ sub: 'ada', iss: ISSUER, aud: AUDIENCE, exp: now + 60 })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('not the server secret, but just as long'));
    const none = `${b64({ alg: 'none' })}.${b64({ sub: 'ada', iss: ISSUER, aud: AUDIENCE, exp: now + 60 })}.`;
    const cases: [string, object, string][] = [
      ['missing', {}, 'missing'],
      ['an empty auth token', { token: '' }, 'malformed'],
      ['a number', { token: 42 }, 'malformed'],
      ['garbage', { token: 'not.a.jwt!' }, 'malformed'],
      ['forged', { token: forged }, 'bad-signature'],
      ['expired', { token: await hsToken({ exp: now - 120 }) }, 'expired'],
      ['not yet valid', { token: await hsToken({ nbf: now + 3600 }) }, 'not-yet-valid'],
      ['for another audience', { token: await hsToken({ aud: 'billing' }) }, 'wrong-audience'],
      [
        'from another issuer',
        { token: await hsToken({ iss: 'https://evil.test' }) },
        'wrong-issuer',
      ],
      ['alg none', { token: none }, 'algorithm-not-allowed'],
    ];
    for (const [name, auth, reason] of cases) {
      const got = await refusal(url, auth);
      expect(got.reason, name).toBe(reason);
      const token = (auth as { token?: unknown }).token;
      if (typeof token === 'string' && token !== '') expect(got.message).not.toContain(token);
    }
  });

  it('refuses a token in the query string, even a valid one, as token-in-query', async () => {
    const { url } = await startAuthServer({ jwt: hsOptions });
    const token = await hsToken();
    expect((await refusal(url, {}, { token })).reason).toBe('token-in-query');
    expect((await refusal(url, { token }, { access_token: token })).reason).toBe('token-in-query');
    expect((await refusal(url, {}, { apiKey })).reason).toBe('token-in-query');
    // Other query parameters are fine, even with a credential word inside another word.
    expect(await outcome(client(url, { auth: { token }, query: { monkey: 'yes' } }))).toBe(
      'connected',
    );
    expect(await outcome(client(url, { auth: { token }, query: { room: 'lobby' } }))).toBe(
      'connected',
    );
  });

  it('refuses an HS256 token signed with the public key when ES256 is expected (key confusion)', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const { url } = await startAuthServer({
      jwt: { algorithms: ['ES256'], key: publicKey, issuer: ISSUER, audience: AUDIENCE },
    });
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: 'ada', iss: ISSUER, aud: AUDIENCE, exp: now + 60 };
    const good = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256' }).sign(privateKey);
    expect(await outcome(client(url, { auth: { token: good } }))).toBe('connected');
    const pem = new TextEncoder().encode(await exportSPKI(publicKey));
    const confused = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(pem);
    expect((await refusal(url, { token: confused })).reason).toBe('algorithm-not-allowed');
  });

  it('accepts an API key from auth.apiKey and refuses an unknown one', async () => {
    const { url } = await startAuthServer({ jwt: hsOptions, apiKeys });
    const socket = client(url, { auth: { apiKey } });
    expect(await outcome(socket)).toBe('connected');
    expect(await socket.timeout(5000).emitWithAck('whoami')).toEqual({
      method: 'api-key',
      subject: 'build-bot',
      scopes: ['publish'],
    });
    expect((await refusal(url, { apiKey: generateApiKey() })).reason).toBe('unknown-api-key');
    expect((await refusal(url, { apiKey: { $ne: null } })).reason).toBe('malformed');
  });

  it('refuses with unavailable, and shows nothing of it, when the key store fails', async () => {
    const { url } = await startAuthServer({
      apiKeys: () => {
        throw new Error('connect ECONNREFUSED db.internal:5432');
      },
    });
    const got = await refusal(url, { apiKey: generateApiKey() });
    expect(got.reason).toBe('unavailable');
    expect(got.message).not.toContain('db.internal');
  });

  it('keeps serving other clients while hostile handshakes are refused', async () => {
    const { url } = await startAuthServer({ jwt: hsOptions });
    const good = client(url, { auth: { token: await hsToken() } });
    expect(await outcome(good)).toBe('connected');
    const hostile: object[] = [
      { token: 'x'.repeat(100_000) },
      { token: ['a', 'b'] },
      { token: { toString: 'boom' } },
      { token: null },
      { token: `${'a'.repeat(10)}.${'b'.repeat(10)}.${'c'.repeat(10)}` },
    ];
    for (const auth of hostile)
      expect(['malformed', 'missing']).toContain((await refusal(url, auth)).reason);
    expect(good.connected).toBe(true);
    expect(await good.timeout(5000).emitWithAck('whoami')).toMatchObject({ subject: 'ada' });
  });

  it('throws a TypeError for options a server must not run with', () => {
    expect(() => createAuthMiddleware({})).toThrow(TypeError);
    expect(() => createAuthMiddleware({ jwt: { ...hsOptions, algorithms: ['none'] } })).toThrow(
      TypeError,
    );
  });
});
