/**
 * What two instances sharing one backend do, whichever it is: redis.test.ts and nats.test.ts run
 * these on their own pair (one key prefix each, cleaned up after).
 */
import { pollUntil } from '@socketlab/testkit';
import { expect, it } from 'vitest';
import type { SentRecord } from '../../src/contract.ts';
import type { NotifyApp } from '../../src/server/app.ts';
import { call, notify, openInbox, waitFor } from '../helpers/app.ts';

/** Defines the specs in the enclosing `describe`; `twoInstances` starts A and B on one backend. */
export function twoInstanceSpecs(twoInstances: () => Promise<[NotifyApp, NotifyApp]>): void {
  it('pushes a notification posted on A to a user and a topic subscriber on B, and no one else', async () => {
    const [a, b] = await twoInstances();
    const ada = await openInbox(b, 'ada');
    const bob = await openInbox(b, 'bob', { topics: ['deploys'] });
    const eve = await openInbox(a, 'eve');
    await notify(a, { user: 'ada', title: 'for ada' });
    await notify(a, { topic: 'deploys', title: 'v1' });
    await waitFor(ada.got, 1, 'ada’s notification on B');
    await waitFor(bob.got, 1, 'the topic notification on B');
    await notify(b, { user: 'eve', title: 'barrier' });
    await waitFor(eve.got, 1, 'eve’s barrier on A');
    expect(ada.got.map((n) => n.title)).toEqual(['for ada']);
    expect(bob.got.map((n) => n.title)).toEqual(['v1']);
    expect(eve.got.map((n) => n.title)).toEqual(['barrier']);
  });

  it('stops a topic on B after unsubscribing there', async () => {
    const [a, b] = await twoInstances();
    const bob = await openInbox(b, 'bob');
    expect(await bob.inbox.subscribe('news')).toMatchObject({ ok: true });
    await notify(a, { topic: 'news', title: 'one' });
    await waitFor(bob.got, 1, 'the first topic notification');
    expect(await bob.inbox.unsubscribe('news')).toMatchObject({ ok: true });
    await notify(a, { topic: 'news', title: 'two' });
    await notify(a, { user: 'bob', title: 'barrier' });
    await waitFor(bob.got, 2, 'the barrier');
    expect(bob.got.map((n) => n.title)).toEqual(['one', 'barrier']);
  });

  it('gives a user who was away, and comes back on the other instance, the three they missed, once and in order', async () => {
    const [a, b] = await twoInstances();
    const first = await openInbox(a, 'ada');
    await notify(a, { user: 'ada', title: 'before' });
    await waitFor(first.got, 1, 'the first one');
    const cursor = first.inbox.lastId;
    first.inbox.close();
    await notify(a, { user: 'ada', title: 'one' });
    await notify(b, { user: 'ada', title: 'two' });
    await notify(a, { user: 'ada', title: 'three' });
    const back = await openInbox(b, 'ada', { after: cursor });
    await waitFor(back.got, 3, 'the three missed ones');
    expect(back.got.map((n) => n.title)).toEqual(['one', 'two', 'three']);
    expect(back.resumes).toEqual([3]);
  });

  it('records acks and read receipts from a user on B in the history of the sender on A', async () => {
    const [a, b] = await twoInstances();
    const ada = await openInbox(b, 'ada');
    const [id] = await notify(a, { user: 'ada', title: 'read me' });
    await waitFor(ada.got, 1, 'the notification on B');
    expect(await ada.inbox.read(id as string)).toEqual({ ok: true });
    const record = await pollUntil(async () => {
      const [r] = (await call(a, 'GET', '/notifications')).body.notifications as SentRecord[];
      return r?.readBy.includes('ada') && r.deliveredTo.includes('ada') ? r : undefined;
    }, 'the receipts in A’s history');
    expect(record).toMatchObject({ id, deliveredTo: ['ada'], readBy: ['ada'] });
    // a receipt for someone else's notification is dropped where it is checked
    const bob = await openInbox(b, 'bob');
    const [other] = await notify(a, { user: 'eve', title: 'not bob’s' });
    expect(await bob.inbox.read(other as string)).toMatchObject({
      ok: false,
      error: 'UNKNOWN_NOTIFICATION',
    });
    await notify(a, { user: 'bob', title: 'barrier' });
    await waitFor(bob.got, 1, 'bob’s barrier');
    expect(await bob.inbox.read((bob.got[0] as { id: string }).id)).toEqual({ ok: true });
    await pollUntil(async () => {
      const sent = (await call(a, 'GET', '/notifications')).body.notifications as SentRecord[];
      return sent.find((r) => r.title === 'barrier')?.readBy.includes('bob') || undefined;
    }, 'bob’s own receipt, after the bogus one');
    const sent = (await call(a, 'GET', '/notifications')).body.notifications as SentRecord[];
    expect(sent.find((r) => r.id === other)?.readBy).toEqual([]);
  });

  it('shows a notification POSTed on A in GET /notifications on B, with the receipt recorded on B', async () => {
    const [a, b] = await twoInstances();
    const ada = await openInbox(b, 'ada');
    const [id] = await notify(a, { user: 'ada', title: 'shared' });
    // recorded before A answered the POST
    const before = (await call(b, 'GET', '/notifications')).body.notifications as SentRecord[];
    expect(before).toMatchObject([{ id, user: 'ada', title: 'shared', readBy: [] }]);
    await waitFor(ada.got, 1, 'the notification on B');
    // B records the receipt itself: it is in the log once B has answered it, seen from both
    expect(await ada.inbox.read(id as string)).toEqual({ ok: true });
    for (const app of [b, a]) {
      const sent = (await call(app, 'GET', '/notifications')).body.notifications as SentRecord[];
      expect(sent).toMatchObject([{ id, deliveredTo: ['ada'], readBy: ['ada'] }]);
    }
  });

  it('sends a request retried on the other instance once', async () => {
    const [a, b] = await twoInstances();
    const body = { user: 'ada', title: 'once', idempotencyKey: 'order-9' };
    const first = await call(a, 'POST', '/notify', { body });
    const retry = await call(b, 'POST', '/notify', { body });
    expect(retry.body.notifications).toEqual([
      { ...(first.body.notifications as object[])[0], duplicate: true },
    ]);
  });
}
