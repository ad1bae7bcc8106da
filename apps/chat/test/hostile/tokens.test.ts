import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CHAT_TOKEN_AUDIENCE,
  CHAT_TOKEN_ISSUER,
  createChatAuth,
  signHs256,
} from '../../src/server/auth.ts';
import { ask, connectWith, refusalOf, startTestApp, welcomeOf } from '../helpers/chat.ts';

const SECRET = 'a-secret-of-at-least-thirty-two-bytes!!';
const now = () => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}) => ({
  sub: 'user-42',
  name: 'ada',
  iss: CHAT_TOKEN_ISSUER,
  aud: CHAT_TOKEN_AUDIENCE,
  exp: now() + 60,
  ...extra,
});
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('with --jwt-secret, a JWT signed elsewhere', () => {
  it('is accepted with its sub as the user id and its name as the nick', async () => {
    const app = await startTestApp({ jwtSecret: SECRET });
    const socket = await connectWith(app, signHs256(claims(), SECRET));
    expect((await welcomeOf(socket)).user).toEqual({ id: 'user-42', nick: 'ada', via: 'web' });
    expect(await ask(socket, 'join', { room: 'lobby' })).toMatchObject({ ok: true });
  });

  it('says via tcp for the nc gateway tokens, a claim the server signs', async () => {
    const app = await startTestApp({ jwtSecret: SECRET });
    const { token, user } = createChatAuth({ jwtSecret: SECRET }).issueGuestToken('bob', 'tcp');
    const socket = await connectWith(app, token);
    expect((await welcomeOf(socket)).user).toEqual({ ...user, via: 'tcp' });
  });

  it('app.issueGuestToken(nick, "tcp") gives the nc gateway such a token', async () => {
    const app = await startTestApp();
    const { token } = await app.issueGuestToken('carol', 'tcp');
    expect((await welcomeOf(await connectWith(app, token))).user.via).toBe('tcp');
  });

  it('cannot claim to come from the nc gateway unless the server signed it so', async () => {
    const app = await startTestApp({ jwtSecret: SECRET });
    const socket = await connectWith(app, signHs256(claims(), SECRET), {
      auth: { token: signHs256(claims(), SECRET), via: 'tcp' },
    });
    expect((await welcomeOf(socket)).user.via).toBe('web');
  });
});

describe('a refused handshake is a connect_error { code: REALTIME_ERR_AUTH, reason }', () => {
  const otherSecret = 'another-secret-of-at-least-32-bytes!!!';
  it.each([
    ['no token', undefined, 'missing'],
    ['an empty auth', {}, 'missing'],
    ['a token that is not a string', { token: 42 }, 'malformed'],
    ['garbage', { token: 'not.a.jwt!' }, 'malformed'],
    ['a token of 10 kB', { token: `${'a'.repeat(10_000)}.b.c` }, 'malformed'],
    ['a forged signature', { token: signHs256(claims(), otherSecret) }, 'bad-signature'],
    ['an expired token', { token: signHs256(claims({ exp: now() - 10 }), SECRET) }, 'expired'],
    [
      'a token for another service',
      { token: signHs256(claims({ aud: 'bank' }), SECRET) },
      'wrong-audience',
    ],
    [
      'a token of another issuer',
      { token: signHs256(claims({ iss: 'evil' }), SECRET) },
      'wrong-issuer',
    ],
    [
      'a token with no sub',
      { token: signHs256(claims({ sub: undefined }), SECRET) },
      'claims-invalid',
    ],
    [
      'a token with no expiry',
      { token: signHs256(claims({ exp: undefined }), SECRET) },
      'claims-invalid',
    ],
    [
      'a name that is no nickname',
      { token: signHs256(claims({ name: 'Ada Lovelace' }), SECRET) },
      'claims-invalid',
    ],
    ['no name', { token: signHs256(claims({ name: undefined }), SECRET) }, 'claims-invalid'],
    [
      'alg none',
      { token: `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.` },
      'algorithm-not-allowed',
    ],
    [
      'HS512 where HS256 is expected',
      (() => {
        const head = `${b64({ alg: 'HS512' })}.${b64(claims())}`;
        return {
          token: `${head}.${createHmac('sha512', SECRET).update(head).digest('base64url')}`,
        };
      })(),
      'algorithm-not-allowed',
    ],
  ])('refuses %s', async (_what, auth, reason) => {
    const app = await startTestApp({ jwtSecret: SECRET });
    const error = await refusalOf(app, auth);
    expect(error.data).toEqual({ code: 'REALTIME_ERR_AUTH', reason });
    expect(error.message.length).toBeGreaterThan(10);
    // The server is up: a good token still connects.
    await connectWith(app, signHs256(claims(), SECRET));
  });

  it('refuses a token in the query string, even a good one', async () => {
    const app = await startTestApp({ jwtSecret: SECRET });
    const good = signHs256(claims(), SECRET);
    const error = await refusalOf(app, { token: good }, { query: { token: good } });
    expect(error.data).toEqual({ code: 'REALTIME_ERR_AUTH', reason: 'token-in-query' });
  });

  it('refuses a guest token of another server (each signs with its own random secret)', async () => {
    const one = await startTestApp();
    const two = await startTestApp();
    const { token } = await one.issueGuestToken('ada');
    expect((await refusalOf(two, { token })).data).toEqual({
      code: 'REALTIME_ERR_AUTH',
      reason: 'bad-signature',
    });
  });

  it('refuses a short secret at start-up', async () => {
    await expect(startTestApp({ jwtSecret: 'short' })).rejects.toThrow(/32 bytes/);
  });
});
