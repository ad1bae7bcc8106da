import { pollUntil } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import type { SentRecord } from '../../src/contract.ts';
import { call, notify, openInbox, startTestApp, waitFor } from '../helpers/app.ts';

describe('POST /notify to live users', () => {
  it('pushes a notification to the user’s socket with its priority, ttl and sender', async () => {
    const app = await startTestApp();
    const { got } = await openInbox(app, 'ada');
    const res = await call(app, 'POST', '/notify', {
      body: {
        user: 'ada',
        title: 'Paid',
        body: 'invoice 7',
        priority: 'high',
        ttl: 60,
        data: { n: 7 },
      },
    });
    expect(res.status).toBe(202);
    const [outcome] = res.body.notifications as { id: string; user: string; duplicate: boolean }[];
    expect(outcome).toMatchObject({ user: 'ada', duplicate: false });
    await waitFor(got, 1, 'ada’s notification');
    expect(got[0]).toMatchObject({
      id: outcome?.id,
      user: 'ada',
      title: 'Paid',
      body: 'invoice 7',
      data: { priority: 'high', sender: expect.stringMatching(/^key-/), payload: { n: 7 } },
    });
    expect(got[0]?.data.expiresAt).toBeGreaterThan(Date.now());
  });

  it('sends one notification per user of a list, and none to anyone else', async () => {
    const app = await startTestApp();
    const ada = await openInbox(app, 'ada');
    const bob = await openInbox(app, 'bob');
    const eve = await openInbox(app, 'eve');
    const ids = await notify(app, { users: ['ada', 'bob', 'ada'], title: 'standup' });
    expect(ids).toHaveLength(2);
    await waitFor(ada.got, 1, 'ada’s');
    await waitFor(bob.got, 1, 'bob’s');
    await notify(app, { user: 'eve', title: 'barrier' });
    await waitFor(eve.got, 1, 'eve’s barrier');
    expect(eve.got.map((n) => n.title)).toEqual(['barrier']);
    expect(ada.got.map((n) => n.title)).toEqual(['standup']);
  });

  it('reaches topic subscribers until they unsubscribe', async () => {
    const app = await startTestApp();
    const ada = await openInbox(app, 'ada');
    expect(await ada.inbox.subscribe('deploys')).toEqual({ ok: true, topic: 'deploys' });
    await notify(app, { topic: 'deploys', title: 'v1' });
    await waitFor(ada.got, 1, 'the topic notification');
    expect(ada.got[0]).toMatchObject({ topic: 'deploys', title: 'v1' });
    expect(await ada.inbox.unsubscribe('deploys')).toEqual({ ok: true, topic: 'deploys' });
    await notify(app, { topic: 'deploys', title: 'v2' });
    await notify(app, { user: 'ada', title: 'barrier' });
    await waitFor(ada.got, 2, 'the barrier');
    expect(ada.got.map((n) => n.title)).toEqual(['v1', 'barrier']);
  });

  it('sends a request with a known idempotency key once, answering with the first ids', async () => {
    const app = await startTestApp();
    const body = { users: ['ada', 'bob'], title: 'once', idempotencyKey: 'job-1' };
    const first = await call(app, 'POST', '/notify', { body });
    const again = await call(app, 'POST', '/notify', { body });
    const ids = (r: typeof first) => (r.body.notifications as { id: string }[]).map((n) => n.id);
    expect(ids(again)).toEqual(ids(first));
    expect((again.body.notifications as { duplicate: boolean }[]).every((n) => n.duplicate)).toBe(
      true,
    );
  });
});

describe('offline users', () => {
  it('get the three notifications they missed, once and in order, when they come back', async () => {
    const app = await startTestApp();
    const first = await openInbox(app, 'ada');
    await notify(app, { user: 'ada', title: 'before' });
    await waitFor(first.got, 1, 'the first one live');
    const cursor = first.inbox.lastId;
    first.inbox.close();
    for (const title of ['one', 'two', 'three']) await notify(app, { user: 'ada', title });
    const back = await openInbox(app, 'ada', { after: cursor });
    await waitFor(back.got, 3, 'the three missed ones');
    await notify(app, { user: 'ada', title: 'after' });
    await waitFor(back.got, 4, 'a live one after the catch-up');
    expect(back.got.map((n) => n.title)).toEqual(['one', 'two', 'three', 'after']);
    expect(back.resumes).toEqual([3]);
  });

  it('get topic notifications they missed for the topics they resume with, and no expired one', async () => {
    let now = Date.now();
    const app = await startTestApp({ now: () => now });
    await notify(app, { topic: 'news', title: 'short-lived', ttl: 1 });
    await notify(app, { topic: 'news', title: 'lasting' });
    await notify(app, { user: 'ada', title: 'personal' });
    now += 5_000;
    const ada = await openInbox(app, 'ada', { topics: ['news'] });
    await waitFor(ada.got, 2, 'the catch-up');
    expect(ada.got.map((n) => n.title)).toEqual(['lasting', 'personal']);
  });
});

describe('receipts in the sender’s history', () => {
  it('records delivery acks and read receipts against what the key sent', async () => {
    const app = await startTestApp();
    const ada = await openInbox(app, 'ada');
    const [id] = await notify(app, { user: 'ada', title: 'read me' });
    await waitFor(ada.got, 1, 'the notification');
    const history = async () =>
      (await call(app, 'GET', '/notifications')).body.notifications as SentRecord[];
    await pollUntil(
      async () => (await history())[0]?.deliveredTo.includes('ada') || undefined,
      'the delivery ack in the sender’s history',
    );
    expect(await ada.inbox.read(id as string)).toEqual({ ok: true });
    expect((await history())[0]).toMatchObject({
      id,
      user: 'ada',
      deliveredTo: ['ada'],
      readBy: ['ada'],
    });
  });

  it('refuses receipts for a notification that was not for the user', async () => {
    const app = await startTestApp();
    const bob = await openInbox(app, 'bob');
    const [id] = await notify(app, { user: 'ada', title: 'private' });
    expect(await bob.inbox.read(id as string)).toMatchObject({
      ok: false,
      error: 'UNKNOWN_NOTIFICATION',
    });
    const [record] = (await call(app, 'GET', '/notifications')).body.notifications as SentRecord[];
    expect(record?.readBy).toEqual([]);
  });
});

describe('GET /notifications with a user token', () => {
  it('is the user’s own inbox, oldest first, with a cursor', async () => {
    const app = await startTestApp();
    await notify(app, { user: 'ada', title: 'a' });
    await notify(app, { user: 'ada', title: 'b' });
    await notify(app, { user: 'bob', title: 'not ada’s' });
    const token = app.issueToken('ada').token;
    const page = await call(app, 'GET', '/notifications?limit=1', {
      key: null,
      headers: { authorization: `Bearer ${token}` },
    });
    expect((page.body.notifications as { title: string }[]).map((n) => n.title)).toEqual(['a']);
    const rest = await call(app, 'GET', `/notifications?after=${page.body.next}`, {
      key: null,
      headers: { authorization: `Bearer ${token}` },
    });
    expect((rest.body.notifications as { title: string }[]).map((n) => n.title)).toEqual(['b']);
  });
});
