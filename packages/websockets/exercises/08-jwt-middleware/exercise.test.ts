import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { lessonOf, loadExercise, withTimeout } from '@socketlab/testkit';
import { type JWTPayload, SignJWT } from 'jose';
import { Server } from 'socket.io';
import { type Socket as ClientSocket, io as connect } from 'socket.io-client';
import { describe, expect, it, onTestFinished } from 'vitest';

// This spec grades your middleware on real sockets: each test starts a Socket.IO server on
// 127.0.0.1 with io.use(createJwtMiddleware(...)), connects a socket.io-client with a token in
// its handshake `auth` payload (or in the query string), and reads what the client got: a
// `connect`, or a `connect_error` whose `err.data` must be { code: 'REALTIME_ERR_AUTH', reason }.
type Exercise = typeof import('./exercise.ts');
const lesson = lessonOf(import.meta.url);
const load = (): Promise<Exercise> => loadExercise<Exercise>(import.meta.url);

const SECRET = 'the course secret, at least thirty-two bytes long';
const ISSUER = 'https://id.socketlab.test';
const AUDIENCE = 'chat';
const OPTIONS = { secret: SECRET, issuer: ISSUER, audience: AUDIENCE };
const nowS = (): number => Math.floor(Date.now() / 1000);
const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A token for `sub: 'ada'`, valid for a minute, unless `claims` say otherwise. */
function token(claims: JWTPayload = {}, { secret = SECRET, alg = 'HS256' } = {}): Promise<string> {
  return new SignJWT({
    sub: 'ada',
    iss: ISSUER,
    aud: AUDIENCE,
    iat: nowS(),
    exp: nowS() + 60,
    ...claims,
  })
    .setProtectedHeader({ alg })
    .sign(new TextEncoder().encode(secret));
}

/** A server running YOUR middleware; `whoami` answers with socket.data.claims. */
async function start(
  options: Parameters<Exercise['createJwtMiddleware']>[0] = OPTIONS,
): Promise<string> {
  const { createJwtMiddleware } = await load();
  const server = http.createServer();
  const io = new Server(server);
  io.use(createJwtMiddleware(options));
  io.on('connection', (socket) => {
    socket.on('whoami', (ack: unknown) => {
      if (typeof ack === 'function') ack(socket.data.claims ?? null);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => io.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

type Outcome =
  | { connected: true; socket: ClientSocket }
  | { connected: false; message: string; data: unknown };

async function attempt(
  url: string,
  auth: object,
  query?: Record<string, string>,
): Promise<Outcome> {
  const socket = connect(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth,
    ...(query ? { query } : {}),
  });
  onTestFinished(() => {
    socket.disconnect();
  });
  return withTimeout(
    new Promise<Outcome>((resolve) => {
      socket.once('connect', () => resolve({ connected: true, socket }));
      socket.once('connect_error', (err: Error & { data?: unknown }) =>
        resolve({ connected: false, message: err.message, data: err.data }),
      );
    }),
    'connect or connect_error (did your middleware call next() exactly once?)',
  );
}

const show = (value: unknown): string =>
  typeof value === 'string' && value.length > 40 ? `${value.slice(0, 40)}…` : JSON.stringify(value);

async function expectRefused(
  url: string,
  what: string,
  auth: object,
  reason: string,
  section: string,
  query?: Record<string, string>,
): Promise<void> {
  const got = await attempt(url, auth, query);
  const sent = `sent auth ${show(auth)}${query ? ` and query ${show(query)}` : ''}`;
  expect(
    got.connected,
    `${what}: the connection was accepted. ${sent}. ${lesson.see(section)}`,
  ).toBe(false);
  if (got.connected) return;
  expect(
    got.data,
    `${what}: connect_error's err.data should be { code: 'REALTIME_ERR_AUTH', reason: '${reason}' }; got ${JSON.stringify(got.data)} (message "${got.message}"). ${sent}. ${lesson.see(section)}`,
  ).toEqual({ code: 'REALTIME_ERR_AUTH', reason });
  const secret = (auth as { token?: unknown }).token ?? query?.token;
  if (typeof secret === 'string' && secret.length > 8) {
    expect(
      got.message.includes(secret),
      `${what}: the error message repeats the token. ${lesson.see('Reasons a client can show')}`,
    ).toBe(false);
  }
}

describe('08 · a JWT handshake middleware', () => {
  it('accepts a valid token and puts its claims on socket.data.claims', async () => {
    const url = await start();
    const got = await attempt(url, { token: await token({ role: 'editor' }) });
    expect(
      got.connected,
      `a valid token was refused: ${got.connected ? '' : JSON.stringify(got.data)}. ${lesson.see('Your task')}`,
    ).toBe(true);
    if (!got.connected) return;
    const claims = await got.socket.timeout(5000).emitWithAck('whoami');
    expect(
      claims,
      `socket.data.claims should hold the verified claims. ${lesson.see('Your task')}`,
    ).toMatchObject({
      sub: 'ada',
      role: 'editor',
      iss: ISSUER,
      aud: AUDIENCE,
    });
  });

  it('refuses a missing token as missing, and one that is not a JWT as malformed', async () => {
    const url = await start();
    await expectRefused(url, 'no auth at all', {}, 'missing', 'Where the token goes');
    await expectRefused(url, 'a number', { token: 42 }, 'malformed', 'Reasons a client can show');
    await expectRefused(
      url,
      'garbage',
      { token: 'not a jwt' },
      'malformed',
      'Reasons a client can show',
    );
  });

  it('refuses a token signed with another key as bad-signature (forged)', async () => {
    const url = await start();
    const forged = await token({}, { secret: 'an attacker secret, also thirty-two bytes' });
    await expectRefused(
      url,
      'a forged token',
      { token: forged },
      'bad-signature',
      'What jwtVerify checks',
    );
  });

  it('refuses an expired token as expired, and accepts it within the clock tolerance', async () => {
    const url = await start();
    await expectRefused(
      url,
      'a token that expired 2 minutes ago',
      { token: await token({ exp: nowS() - 120 }) },
      'expired',
      'What jwtVerify checks',
    );
    const lenient = await start({ ...OPTIONS, clockToleranceSeconds: 300 });
    const got = await attempt(lenient, { token: await token({ exp: nowS() - 120 }) });
    expect(
      got.connected,
      `with clockToleranceSeconds 300, a token 120 s past exp is accepted. ${lesson.see('What jwtVerify checks')}`,
    ).toBe(true);
  });

  it('refuses a token that is not valid yet as not-yet-valid', async () => {
    const url = await start();
    await expectRefused(
      url,
      'nbf in an hour',
      { token: await token({ nbf: nowS() + 3600 }) },
      'not-yet-valid',
      'What jwtVerify checks',
    );
  });

  it('refuses a token for another audience as wrong-audience, from another issuer as wrong-issuer', async () => {
    const url = await start();
    await expectRefused(
      url,
      'aud "billing"',
      { token: await token({ aud: 'billing' }) },
      'wrong-audience',
      'What jwtVerify checks',
    );
    await expectRefused(
      url,
      'iss of another issuer',
      { token: await token({ iss: 'https://evil.test' }) },
      'wrong-issuer',
      'What jwtVerify checks',
    );
  });

  it('refuses alg none, and an algorithm outside the allow-list, as algorithm-not-allowed', async () => {
    const url = await start();
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'ada', iss: ISSUER, aud: AUDIENCE, exp: nowS() + 60 })}.`;
    await expectRefused(url, 'alg none', { token: none }, 'algorithm-not-allowed', 'The attacks');
    await expectRefused(
      url,
      'HS512 with the right secret',
      { token: await token({}, { alg: 'HS512' }) },
      'algorithm-not-allowed',
      'The attacks',
    );
  });

  it('refuses a token in the query string as token-in-query, even a valid one', async () => {
    const url = await start();
    const valid = await token();
    await expectRefused(
      url,
      'a valid token in ?token=',
      {},
      'token-in-query',
      'Where the token goes',
      { token: valid },
    );
    await expectRefused(
      url,
      'a valid token in both places',
      { token: valid },
      'token-in-query',
      'Where the token goes',
      { token: valid },
    );
    const fine = await attempt(url, { token: valid }, { room: 'lobby' });
    expect(
      fine.connected,
      `a query parameter that is not a credential (room=lobby) must not be refused. ${lesson.see('Where the token goes')}`,
    ).toBe(true);
  });

  it('keeps serving a connected client while others are refused', async () => {
    const url = await start();
    const good = await attempt(url, { token: await token() });
    expect(good.connected, `a valid token was refused. ${lesson.see('Your task')}`).toBe(true);
    await expectRefused(
      url,
      'a forged token',
      { token: await token({}, { secret: 'x'.repeat(40) }) },
      'bad-signature',
      'What jwtVerify checks',
    );
    await expectRefused(
      url,
      'an array',
      { token: ['a', 'b'] },
      'malformed',
      'Reasons a client can show',
    );
    if (!good.connected) return;
    expect(await good.socket.timeout(5000).emitWithAck('whoami')).toMatchObject({ sub: 'ada' });
  });
});
