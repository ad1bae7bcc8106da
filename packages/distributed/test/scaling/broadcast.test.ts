import { probeService } from '@socketlab/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { createScaledEmitter, type ScalingAdapter } from '../../src/scaling/index.ts';
import { client, inbox, next, startInstances } from './helpers.ts';

const redis = await probeService('redis');

describe.skipIf(redis.skip).each<ScalingAdapter>(['pubsub', 'streams'])(
  'rooms and broadcasts across instances (%s adapter)',
  (adapter) => {
    beforeAll(() => redis.require());

    it('delivers a broadcast to a room to its clients on every instance, and only to them', async () => {
      const { instances } = await startInstances(redis.url, adapter, 3);
      for (const { io } of instances) {
        io.on('connection', (socket) => {
          socket.on('join', (room: string, ack: () => void) => {
            void socket.join(room);
            ack();
          });
        });
      }
      const [a, b, c] = instances as [
        (typeof instances)[0],
        (typeof instances)[0],
        (typeof instances)[0],
      ];
      const [ada, bob, cat, dan] = await Promise.all([
        client(a.url),
        client(b.url),
        client(c.url),
        client(c.url),
      ]);
      await Promise.all([
        ada.emitWithAck('join', 'lobby'),
        bob.emitWithAck('join', 'lobby'),
        cat.emitWithAck('join', 'lobby'),
        dan.emitWithAck('join', 'kitchen'),
      ]);
      const danGot = inbox(dan, 'news');
      // pitfall 9: a fetchSockets round trip through Redis is the barrier that says every
      // instance has seen the joins before the broadcast is asserted on
      expect((await a.io.in('lobby').fetchSockets()).length).toBe(3);
      const arrivals = Promise.all([
        next(ada, 'news', 'ada (instance A) to get the news'),
        next(bob, 'news', 'bob (instance B) to get the news'),
        next(cat, 'news', 'cat (instance C) to get the news'),
      ]);
      b.io.to('lobby').emit('news', { n: 1 });
      expect(await arrivals).toEqual([{ n: 1 }, { n: 1 }, { n: 1 }]);
      // dan, in another room on C, got nothing: C has delivered the broadcast to cat already,
      // and one more round trip on dan's own connection is ordered after anything sent to him
      await dan.emitWithAck('join', 'kitchen');
      expect(danGot).toEqual([]);
    });

    it('lets any instance see, move and disconnect the sockets of another through fetchSockets and socketsJoin', async () => {
      const { instances } = await startInstances(redis.url, adapter, 2);
      const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
      a.io.on('connection', (socket) => {
        socket.data = { name: 'ada' };
        void socket.join('lobby');
      });
      const ada = await client(a.url);
      const remote = await b.io.in('lobby').fetchSockets();
      expect(remote.map((s) => [s.id, s.data])).toEqual([[ada.id, { name: 'ada' }]]);
      expect([...(remote[0]?.rooms ?? [])].sort()).toEqual([ada.id, 'lobby'].sort());
      // a remote socket is a copy: its rooms can be changed through Redis, its listeners cannot be reached
      b.io.in('lobby').socketsJoin('vip');
      expect((await b.io.in('vip').fetchSockets()).map((s) => s.id)).toEqual([ada.id]);
      const gone = next(ada, 'disconnect', 'ada to be disconnected from instance B');
      b.io.in('vip').disconnectSockets();
      expect(await gone).toBe('io server disconnect');
    });

    it('lets a process without sockets broadcast into the rooms of every instance', async () => {
      const { instances, keyPrefix } = await startInstances(redis.url, adapter, 2);
      for (const { io } of instances) io.on('connection', (socket) => void socket.join('lobby'));
      const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
      const [ada, bob] = await Promise.all([client(a.url), client(b.url)]);
      const emitter = await createScaledEmitter({ redisUrl: redis.url, adapter, keyPrefix });
      try {
        expect((await emitter.io.in('lobby').fetchSockets()).map((s) => s.id).sort()).toEqual(
          [ada.id, bob.id].sort(),
        );
        const arrivals = Promise.all([
          next(ada, 'build', 'ada to get the worker’s event'),
          next(bob, 'build', 'bob to get the worker’s event'),
        ]);
        emitter.io.to('lobby').emit('build', 'green');
        expect(await arrivals).toEqual(['green', 'green']);
      } finally {
        await emitter.close();
      }
    });
  },
);
