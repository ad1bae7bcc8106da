import { describe, expect, it } from 'vitest';
import { API_KEY, call, notify, openInbox, startTestApp, waitFor } from '../helpers/app.ts';

describe('hostile REST input', () => {
  it('refuses a missing or wrong API key with 401, and a flood of wrong keys with 429', async () => {
    const app = await startTestApp({ limits: { badKeyBurst: 3, badKeysPerSecond: 0.01 } });
    const none = await call(app, 'POST', '/notify', {
      key: null,
      body: { user: 'ada', title: 'x' },
    });
    expect(none.status).toBe(401);
    expect(none.body).toEqual({
      error: 'UNAUTHORIZED',
      message: expect.stringMatching(/X-API-Key/),
    });
    const wrong = await call(app, 'POST', '/notify', { key: 'x'.repeat(30), body: {} });
    expect(wrong.status).toBe(401);
    await call(app, 'POST', '/notify', { key: 'y'.repeat(30), body: {} });
    const flood = await call(app, 'POST', '/notify', { key: 'z'.repeat(30), body: {} });
    expect(flood.status).toBe(429);
    expect(flood.body.error).toBe('TOO_MANY_REQUESTS');
    expect(Number(flood.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // the good key still works
    expect((await notify(app, { user: 'ada', title: 'fine' })).length).toBe(1);
  });

  it('refuses a body over the limit with 413 before reading it all', async () => {
    const app = await startTestApp({ limits: { maxBodyBytes: 1024 } });
    const res = await call(app, 'POST', '/notify', {
      raw: JSON.stringify({ user: 'ada', title: 'x', body: 'y'.repeat(10_000) }),
    });
    expect(res.status).toBe(413);
    expect(res.body.error).toBe('PAYLOAD_TOO_LARGE');
  });

  it.each([
    ['malformed JSON', 'INVALID_JSON', '{"user": "ada",'],
    ['not an object', 'INVALID_NOTIFICATION', '[1,2]'],
    ['no recipient', 'INVALID_NOTIFICATION', '{"title":"x"}'],
    ['two recipients', 'INVALID_NOTIFICATION', '{"user":"a","topic":"t","title":"x"}'],
    ['a bad user id', 'INVALID_NOTIFICATION', '{"user":"a b","title":"x"}'],
    [
      'too many users',
      'INVALID_NOTIFICATION',
      JSON.stringify({ users: Array.from({ length: 101 }, (_, i) => `u${i}`), title: 'x' }),
    ],
    ['an empty list', 'INVALID_NOTIFICATION', '{"users":[],"title":"x"}'],
    ['no title', 'INVALID_NOTIFICATION', '{"user":"ada"}'],
    ['a bad ttl', 'INVALID_NOTIFICATION', '{"user":"ada","title":"x","ttl":-1}'],
    ['a fractional ttl', 'INVALID_NOTIFICATION', '{"user":"ada","title":"x","ttl":1.5}'],
    ['a bad priority', 'INVALID_NOTIFICATION', '{"user":"ada","title":"x","priority":"urgent"}'],
    ['an unknown field', 'INVALID_NOTIFICATION', '{"user":"ada","title":"x","admin":true}'],
    [
      'deep data',
      'INVALID_NOTIFICATION',
      `{"user":"ada","title":"x","data":${'['.repeat(5000)}${']'.repeat(5000)}}`,
    ],
  ])('refuses %s with 400 %s and names what is wrong', async (_name, error, raw) => {
    const app = await startTestApp();
    const res = await call(app, 'POST', '/notify', { raw });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe(error);
    expect(String(res.body.message).length).toBeGreaterThan(5);
  });

  it('sends nothing to anyone when one user of a list is invalid', async () => {
    const app = await startTestApp();
    const ada = await openInbox(app, 'ada');
    const res = await call(app, 'POST', '/notify', {
      body: { users: ['ada', 'b@d id'], title: 'x' },
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/users\[1\]/);
    await notify(app, { user: 'ada', title: 'barrier' });
    await waitFor(ada.got, 1, 'the barrier');
    expect(ada.got.map((n) => n.title)).toEqual(['barrier']);
  });

  it('refuses a flood from one key with 429 and a Retry-After, while another key is served', async () => {
    const other = 'other-key-0123456789abcdef';
    const app = await startTestApp({
      apiKeys: [API_KEY, other],
      // one token back per 100 s: a loaded machine taking seconds over these requests refills none
      limits: { requestBurst: 5, requestsPerSecond: 0.01 },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      statuses.push(
        (await call(app, 'POST', '/notify', { body: { user: 'ada', title: `n${i}` } })).status,
      );
    }
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429, 429, 429]);
    const refused = await call(app, 'POST', '/notify', { body: { user: 'ada', title: 'x' } });
    expect(refused.body.error).toBe('TOO_MANY_REQUESTS');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(
      (await call(app, 'POST', '/notify', { key: other, body: { user: 'ada', title: 'y' } }))
        .status,
    ).toBe(202);
  });

  it('answers stage 5’s POST /notifications the same way, key and all', async () => {
    const app = await startTestApp();
    expect(
      (await call(app, 'POST', '/notifications', { key: null, body: { user: 'ada', title: 'x' } }))
        .status,
    ).toBe(401);
    expect(
      (await call(app, 'POST', '/notifications', { body: { user: 'ada', title: 'x' } })).status,
    ).toBe(202);
  });

  it('refuses an unknown path with 404 and a wrong method with 405', async () => {
    const app = await startTestApp();
    expect((await call(app, 'GET', '/nope')).status).toBe(404);
    const wrong = await call(app, 'GET', '/notify');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });

  it('refuses history queries with a bad cursor or limit', async () => {
    const app = await startTestApp();
    expect((await call(app, 'GET', '/notifications?after=zzz')).status).toBe(400);
    expect((await call(app, 'GET', '/notifications?limit=1000')).status).toBe(400);
    expect((await call(app, 'GET', '/notifications', { key: null })).status).toBe(401);
  });

  it('issues user tokens only for an API key, for a valid user id', async () => {
    const app = await startTestApp();
    expect((await call(app, 'POST', '/tokens', { key: null, body: { user: 'ada' } })).status).toBe(
      401,
    );
    expect((await call(app, 'POST', '/tokens', { body: { user: 'a b' } })).status).toBe(400);
    const ok = await call(app, 'POST', '/tokens', { body: { user: 'ada' } });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ user: 'ada', token: expect.stringMatching(/^ey/) });
  });
});
