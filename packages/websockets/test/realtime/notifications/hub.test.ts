import { pollUntil, withTimeout } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import {
  attachNotifications,
  type Notification,
  type NotificationReceiver,
  receiveNotifications,
} from '../../../src/realtime/notifications/index.ts';
import { client, collect, next, startIo } from '../chat/harness.ts';

async function hubServer(options: Parameters<typeof attachNotifications>[1] = {}) {
  const { io, port } = await startIo();
  let ids = 0;
  const hub = attachNotifications(io, { newId: () => `n${++ids}`, now: () => 7, ...options });
  return { io, port, hub };
}

/** A client that hands notifications to `got` and acknowledges them (the library's helper). */
async function receiver(port: number, userId: string) {
  const got: Notification[] = [];
  const waiters: (() => void)[] = [];
  let handle: NotificationReceiver | undefined;
  // Listen before the connection completes: pending notifications arrive right after `connect`.
  const socket = await client(port, userId, (s) => {
    handle = receiveNotifications(s, (n) => {
      got.push(n);
      for (const wake of waiters.splice(0)) wake();
    });
  });
  const nextOne = (count: number) =>
    withTimeout(
      new Promise<void>((resolve) => {
        const check = () => (got.length >= count ? resolve() : waiters.push(check));
        check();
      }),
      `${userId} to receive ${count} notification(s)`,
    );
  return { socket, got, handle: handle as NotificationReceiver, nextOne };
}

describe('attachNotifications on real sockets', () => {
  it('delivers to every socket of the user and no one else, and is acknowledged', async () => {
    const { port, hub } = await hubServer();
    const [tab1, tab2, bob] = await Promise.all([
      receiver(port, 'ada'),
      receiver(port, 'ada'),
      receiver(port, 'bob'),
    ]);
    const result = await hub.notify('ada', { type: 'mention', title: 'Bob mentioned you' });
    expect(result).toEqual({
      delivered: true,
      notification: { id: 'n1', type: 'mention', title: 'Bob mentioned you', at: 7 },
    });
    await Promise.all([tab1.nextOne(1), tab2.nextOne(1)]);
    expect(tab1.got).toEqual([result.notification]);
    expect(tab2.got).toEqual([result.notification]);
    expect(hub.pending('ada')).toEqual([]);
    await hub.notify('bob', { type: 'mention', title: 'for bob' });
    expect(bob.got.map((n) => n.title)).toEqual(['for bob']);
    expect(tab1.got).toHaveLength(1);
  });

  it('keeps a notification for an offline user and delivers it when they connect', async () => {
    const { port, hub } = await hubServer();
    const result = await hub.notify('ada', {
      type: 'invoice.paid',
      title: 'Paid',
      data: { n: 42 },
    });
    expect(result.delivered).toBe(false);
    expect(hub.pending('ada')).toEqual([result.notification]);
    const ada = await receiver(port, 'ada');
    await ada.nextOne(1);
    expect(ada.got).toEqual([result.notification]);
    await pollUntil(() => hub.pending('ada').length === 0, 'the acknowledgement to reach the hub');
  });

  it('delivers again, on reconnect, what was not acknowledged, and the client hands it over once', async () => {
    const { port, hub } = await hubServer({ ackTimeoutMs: 1000 });
    // A client that receives but does not acknowledge (its handler fails the first time).
    const first = await client(port, 'ada');
    let failures = 0;
    const seen: string[] = [];
    const delivered = next<Notification>(first, 'notification');
    receiveNotifications(first, (n) => {
      seen.push(n.id);
      failures++;
      throw new Error('the page was busy');
    });
    const result = await hub.notify('ada', { type: 't', title: 'T' });
    expect((await delivered).id).toBe('n1');
    expect(result.delivered).toBe(false);
    expect(failures).toBe(1);
    expect(hub.pending('ada').map((n) => n.id)).toEqual(['n1']);
    first.disconnect();
    const again = await receiver(port, 'ada');
    await again.nextOne(1);
    expect(again.got.map((n) => n.id)).toEqual(['n1']);
    await pollUntil(() => hub.pending('ada').length === 0, 'the acknowledgement to reach the hub');
  });

  it('redeliver() sends what is pending to the sockets connected now', async () => {
    const { port, hub } = await hubServer({ ackTimeoutMs: 300 });
    const ada = await client(port, 'ada');
    const first = next<Notification>(ada, 'notification'); // seen, never acknowledged
    const result = await hub.notify('ada', { type: 't', title: 'T' });
    expect((await first).id).toBe('n1');
    expect(result.delivered).toBe(false);
    const shown: string[] = [];
    receiveNotifications(ada, (n) => {
      shown.push(n.id);
    });
    expect(hub.redeliver('ada')).toBe(1);
    await pollUntil(() => hub.pending('ada').length === 0, 'the redelivery to be acknowledged');
    expect(shown).toEqual(['n1']);
    expect(hub.redeliver('ada')).toBe(0);
  });

  it('counts an acknowledgement only when it names the notification', async () => {
    const { port, hub } = await hubServer({ ackTimeoutMs: 1000 });
    const liar = await client(port, 'ada');
    liar.on('notification', (_n: unknown, ack: (answer: unknown) => void) => ack({ id: 'n1' }));
    const result = await hub.notify('ada', { type: 't', title: 'T' });
    expect(result.delivered).toBe(false);
    expect(hub.pending('ada')).toHaveLength(1);
  });

  it('refuses a bad input synchronously and sends nothing', async () => {
    // The raw listener below never acknowledges: the good notification waits out this timeout.
    const { port, hub } = await hubServer({ ackTimeoutMs: 1000 });
    const ada = await client(port, 'ada');
    const got = collect(ada, 'notification');
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => hub.notify('ada', { type: 't', title: 'T', data: deep })).toThrow(
      expect.objectContaining({ code: 'REALTIME_ERR_PAYLOAD' }),
    );
    expect(() => hub.notify('', { type: 't', title: 'T' })).toThrow(TypeError);
    await hub.notify('ada', { type: 't', title: 'after' });
    expect(got).toHaveLength(1);
    expect(hub.pending('ada')).toHaveLength(1); // a raw listener that does not acknowledge
  });

  it('leaves a socket without a user out of every channel', async () => {
    const { io, port, hub } = await hubServer();
    await client(port);
    const [socket] = io.sockets.sockets.values();
    expect([...(socket?.rooms ?? [])]).toEqual([socket?.id]);
    expect((await hub.notify('undefined', { type: 't', title: 'T' })).delivered).toBe(false);
  });
});

describe('attachNotifications, its options', () => {
  it('reports a notification dropped unacknowledged from a full store', async () => {
    const dropped: string[] = [];
    const { hub } = await hubServer({
      maxPendingPerUser: 2,
      onDrop: (userId, n, reason) => dropped.push(`${userId} ${n.id} ${reason}`),
    });
    for (let i = 0; i < 3; i++) await hub.notify('ada', { type: 't', title: `T${i}` });
    expect(hub.pending('ada').map((n) => n.id)).toEqual(['n2', 'n3']);
    expect(dropped).toEqual(['ada n1 full']);
  });

  it('close() stops putting new sockets in channels', async () => {
    const { io, port, hub } = await hubServer();
    hub.close();
    await client(port, 'ada');
    const [socket] = io.sockets.sockets.values();
    expect([...(socket?.rooms ?? [])]).toEqual([socket?.id]);
  });

  it.each([0, -1, Number.NaN])('refuses ackTimeoutMs %s', async (ackTimeoutMs) => {
    const { io } = await startIo();
    expect(() => attachNotifications(io, { ackTimeoutMs })).toThrow(RangeError);
  });
});

describe('receiveNotifications', () => {
  it('ignores a delivery that is not a notification, and hands over a duplicate once', async () => {
    const { io, port } = await startIo();
    const ada = await receiver(port, 'ada');
    const good = { id: 'x1', type: 't', title: 'T', at: 1 };
    const answers: unknown[] = [];
    for (const payload of [{ id: 5 }, 'junk', good, good]) {
      // A bad delivery is never answered: its wait ends at the (short) timeout.
      const ms = payload === good ? 5000 : 200;
      answers.push(
        await io
          .timeout(ms)
          .emitWithAck('notification', payload)
          .catch(() => 'no answer'),
      );
    }
    expect(answers).toEqual(['no answer', 'no answer', ['x1'], ['x1']]);
    expect(ada.got).toEqual([good]);
    expect(ada.handle.duplicates).toBe(1);
    ada.handle.off();
    expect(
      await io
        .timeout(200)
        .emitWithAck('notification', { ...good, id: 'x2' })
        .catch(() => 'no answer'),
    ).toBe('no answer');
  });

  it('refuses remember < 1', () => {
    expect(() => receiveNotifications({ on() {}, off() {} }, () => {}, { remember: 0 })).toThrow(
      RangeError,
    );
  });
});
