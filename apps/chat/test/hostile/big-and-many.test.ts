import { request } from 'node:http';
import { withTimeout } from '@socketlab/testkit';
import type { Socket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { CHAT_APP_LIMITS } from '../../src/contract.ts';
import type { ChatApp } from '../../src/server/app.ts';
import { ask, connectGuest, inbox, startTestApp } from '../helpers/chat.ts';

const TEN_MB = 10 * 1024 * 1024;

async function serverIsUp(app: ChatApp) {
  const ada = await connectGuest(app, 'ada');
  expect(await ask(ada, 'join', { room: 'lobby' })).toMatchObject({ ok: true });
  expect(await ask(ada, 'send', { room: 'lobby', text: 'still up' })).toMatchObject({ ok: true });
}

const disconnected = (socket: Socket) =>
  withTimeout(
    new Promise<string>((resolve) => socket.once('disconnect', resolve)),
    'the sender of 10 MB to be disconnected',
  );

describe('a 10 MB message', () => {
  it('over WebSocket closes that connection before it is read whole; the room is unaffected', async () => {
    const app = await startTestApp();
    const mallory = await connectGuest(app, 'mallory');
    const bob = await connectGuest(app, 'bob');
    await ask(mallory, 'join', { room: 'lobby' });
    await ask(bob, 'join', { room: 'lobby' });
    const atBob = inbox(bob, 'message');
    const gone = disconnected(mallory);
    mallory.emit('send', { room: 'lobby', text: 'x'.repeat(TEN_MB) }, () => {});
    expect(await gone).toBe('transport close');
    expect(await ask(bob, 'rooms')).toMatchObject({
      ok: true,
      rooms: [{ name: 'lobby', lastSeq: 0 }],
    });
    expect(atBob).toEqual([]);
    await serverIsUp(app);
  });

  it('over long-polling is refused (413) and that session closed', async () => {
    const app = await startTestApp();
    const mallory = await connectGuest(app, 'mallory', { transports: ['polling'] });
    await ask(mallory, 'join', { room: 'lobby' });
    const gone = disconnected(mallory);
    mallory.emit('send', { room: 'lobby', text: 'x'.repeat(TEN_MB) }, () => {});
    expect(await gone).toMatch(/transport (close|error)/);
    await serverIsUp(app);
  });

  it('as a raw POST to the polling endpoint is answered without reading it all', async () => {
    const app = await startTestApp();
    const status = await withTimeout(
      new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: app.port,
            method: 'POST',
            path: '/socket.io/?EIO=4&transport=polling&sid=nonexistent',
            headers: { 'content-type': 'text/plain', 'content-length': TEN_MB },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.write(Buffer.alloc(64 * 1024, 0x78));
      }),
      'the answer to a 10 MB POST',
    );
    expect(status).toBeGreaterThanOrEqual(400);
    await serverIsUp(app);
  });

  it('stays under maxPacketBytes for a text of maxTextLength (the largest legal message)', async () => {
    const app = await startTestApp();
    const ada = await connectGuest(app, 'ada');
    await ask(ada, 'join', { room: 'lobby' });
    const text = '€'.repeat(CHAT_APP_LIMITS.maxTextLength); // 3 bytes each in UTF-8
    expect(await ask(ada, 'send', { room: 'lobby', text })).toMatchObject({ ok: true, seq: 1 });
  });
});

describe('1,000 joins', () => {
  it('from one client: at most maxRoomsPerUser succeed, the rest are refused, and the flooder is cut off', async () => {
    const app = await startTestApp();
    const mallory = await connectGuest(app, 'mallory');
    const bob = await connectGuest(app, 'bob');
    const answers: { ok: boolean; error?: { code: string } }[] = [];
    const gone = withTimeout(
      new Promise<string>((resolve) => mallory.once('disconnect', resolve)),
      'the joiner to be cut off',
    );
    for (let i = 0; i < 1000; i++) {
      mallory.emit('join', { room: `room-${i}` }, (answer: (typeof answers)[number]) =>
        answers.push(answer),
      );
    }
    expect(await gone).toBe('io server disconnect');
    const joined = answers.filter((a) => a.ok).length;
    expect(joined).toBeLessThanOrEqual(CHAT_APP_LIMITS.maxRoomsPerUser);
    const codes = new Set(answers.filter((a) => !a.ok).map((a) => a.error?.code));
    expect(
      [...codes].every((c) => c === 'REALTIME_ERR_LIMIT' || c === 'REALTIME_ERR_RATE_LIMITED'),
    ).toBe(true);
    // Its rooms had no history: they are gone with it. The server holds nothing more.
    const rooms = await ask<{ rooms: unknown[] }>(bob, 'rooms');
    expect(rooms.rooms.length).toBeLessThanOrEqual(CHAT_APP_LIMITS.maxRoomsPerUser);
    await serverIsUp(app);
  });

  it('at a polite pace: the first maxRoomsPerUser succeed and every later one is refused with REALTIME_ERR_LIMIT', async () => {
    const app = await startTestApp({ limits: { maxRoomsPerUser: 5 } });
    const mallory = await connectGuest(app, 'mallory');
    const codes: string[] = [];
    // One at a time, within the guard's burst (40): joins 1–5 succeed, 6–30 are refused.
    for (let i = 0; i < 30; i++) {
      const answer = await ask(mallory, 'join', { room: `room-${i}` });
      codes.push(answer.ok ? 'ok' : (answer.error?.code ?? '?'));
    }
    expect(codes.slice(0, 5)).toEqual(new Array(5).fill('ok'));
    expect(new Set(codes.slice(5))).toEqual(new Set(['REALTIME_ERR_LIMIT']));
    expect((await ask<{ rooms: unknown[] }>(mallory, 'rooms')).rooms).toHaveLength(5);
  });
});
