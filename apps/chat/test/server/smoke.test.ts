import { describe, expect, it } from 'vitest';
import { ask, connectGuest, next, startTestApp } from '../helpers/chat.ts';

describe('smoke', () => {
  it('joins, sends and receives', async () => {
    const app = await startTestApp();
    const ada = await connectGuest(app, 'ada');
    const bob = await connectGuest(app, 'bob');
    expect((await ask(ada, 'join', { room: 'lobby' })).ok).toBe(true);
    expect((await ask(bob, 'join', { room: 'lobby' })).ok).toBe(true);
    const got = next(bob, 'message');
    const sent = await ask(ada, 'send', { room: 'lobby', text: 'hi' });
    expect(sent).toMatchObject({ ok: true, seq: 1 });
    expect(await got).toMatchObject({ text: 'hi', seq: 1, from: { nick: 'ada' } });
  });
});
