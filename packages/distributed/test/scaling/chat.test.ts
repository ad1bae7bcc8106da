import { probeService } from '@socketlab/testkit';
import { attachChat } from '@socketlab/websockets/realtime';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { client, next, startInstances } from './helpers.ts';

const redis = await probeService('redis');

describe.skipIf(redis.skip)('stage 4’s chat on two instances over Redis', () => {
  beforeAll(() => redis.require());

  it('relays messages across instances, while presence and history stay in each process', async () => {
    const { instances } = await startInstances(redis.url, 'streams', 2);
    for (const { io } of instances) {
      io.use((socket, next) => {
        socket.data = { userId: String(socket.handshake.auth.user) };
        next();
      });
      const chat = attachChat(io);
      onTestFinished(() => chat.close());
    }
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    const ada = await client(a.url, { auth: { user: 'ada' } });
    const bob = await client(b.url, { auth: { user: 'bob' } });
    expect(await ada.emitWithAck('join', 'lobby')).toMatchObject({ ok: true, members: ['ada'] });
    // presence is a PresenceTracker in each process: B has never heard of ada
    expect(await bob.emitWithAck('join', 'lobby')).toMatchObject({ ok: true, members: ['bob'] });
    await a.io.fetchSockets(); // barrier: both joins are visible to the cluster

    const arrived = next(bob, 'message', 'bob, on instance B, to get ada’s message');
    expect(await ada.emitWithAck('message', { room: 'lobby', text: 'hi from A' })).toMatchObject({
      ok: true,
    });
    expect(await arrived).toMatchObject({ room: 'lobby', userId: 'ada', text: 'hi from A' });

    // history too: A kept the message, B did not (it only relayed a packet to its socket)
    expect(await ada.emitWithAck('history', { room: 'lobby' })).toMatchObject({
      messages: [{ text: 'hi from A' }],
    });
    expect(await bob.emitWithAck('history', { room: 'lobby' })).toMatchObject({ messages: [] });
  });
});
