import { withTimeout } from '@socketlab/testkit';
import type { Socket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { CHAT_APP_LIMITS } from '../../src/contract.ts';
import { ask, connectGuest, inbox, next, startTestApp } from '../helpers/chat.ts';

type Notice = { code: string; reason: string };
type Answer = { ok: boolean; error?: { code: string; reason: string } };

/** Emits `count` events back to back; resolves with the answers that came and the disconnect reason. */
function flood(
  socket: Socket,
  count: number,
  event: string,
  payload: (i: number) => unknown,
): Promise<{ answers: Answer[]; reason: string }> {
  const answers: Answer[] = [];
  const gone = withTimeout(
    new Promise<string>((resolve) => socket.once('disconnect', resolve)),
    `the flooder to be disconnected after ${count} ${event}`,
  );
  for (let i = 0; i < count; i++) {
    if (event === 'typing') socket.emit(event, payload(i));
    else socket.emit(event, payload(i), (answer: Answer) => answers.push(answer));
  }
  return gone.then((reason) => ({ answers, reason }));
}

/** Sends messages one after the other, each once the last is answered, until disconnected. */
async function sendUntilCut(socket: Socket, room: string, max: number) {
  const answers: Answer[] = [];
  const gone = new Promise<string>((resolve) => socket.once('disconnect', resolve));
  for (let i = 0; i < max && socket.connected; i++) {
    const answer = await withTimeout(
      Promise.race([
        new Promise<Answer>((resolve) => socket.emit('send', { room, text: `spam ${i}` }, resolve)),
        gone.then(() => undefined),
      ]),
      `the answer to message ${i}`,
    );
    if (answer === undefined) break;
    answers.push(answer);
  }
  return { answers, reason: await withTimeout(gone, 'the flooder to be disconnected') };
}

describe('a client that floods messages', () => {
  it('is refused over its rate with a notice, then disconnected saying why; the room misses nothing else', async () => {
    const app = await startTestApp();
    const mallory = await connectGuest(app, 'mallory');
    const bob = await connectGuest(app, 'bob');
    const carol = await connectGuest(app, 'carol'); // the same address as mallory
    for (const socket of [mallory, bob, carol]) await ask(socket, 'join', { room: 'lobby' });
    const notices = inbox<Notice>(mallory, 'notice');
    const atBob = inbox<{ from: { nick: string }; text: string }>(bob, 'message');

    const startedAt = performance.now();
    const { answers, reason } = await sendUntilCut(mallory, 'lobby', 200);
    const elapsedSeconds = (performance.now() - startedAt) / 1000;
    expect(reason).toBe('io server disconnect');
    const { messageBurst, messagesPerSecond } = CHAT_APP_LIMITS;
    // The burst, plus what the bucket refilled meanwhile (5 a second).
    const accepted = answers.filter((a) => a.ok).length;
    expect(accepted).toBeGreaterThanOrEqual(messageBurst);
    expect(accepted).toBeLessThanOrEqual(
      messageBurst + Math.ceil(elapsedSeconds * messagesPerSecond) + 1,
    );
    expect(answers.slice(0, messageBurst).every((a) => a.ok)).toBe(true);
    const refused = answers.filter((a) => !a.ok);
    expect(refused.length).toBeGreaterThan(5);
    for (const answer of refused) {
      expect(answer.error?.code).toBe('REALTIME_ERR_RATE_LIMITED');
      expect(answer.error?.reason).toMatch(/^slow down: at most 5 messages a second/);
    }
    expect(notices[0]).toMatchObject({ code: 'REALTIME_ERR_RATE_LIMITED' });
    expect(notices[0]?.reason).toMatch(/^slow down/);
    expect(notices.at(-1)).toEqual({
      code: 'REALTIME_ERR_RATE_LIMITED',
      reason: `disconnected: you kept sending more than ${messagesPerSecond} messages a second after being told to slow down`,
    });

    // Carol, from the same address, is not held back; bob gets every message sent to the room.
    const last = next(bob, 'message', (m: { text: string }) => m.text === 'carol 4');
    for (let i = 0; i < 5; i++) {
      expect(await ask(carol, 'send', { room: 'lobby', text: `carol ${i}` })).toMatchObject({
        ok: true,
      });
    }
    await last;
    const fromMallory = atBob.filter((m) => m.from.nick === 'mallory').map((m) => m.text);
    const acceptedTexts = answers.flatMap((a, i) => (a.ok ? [`spam ${i}`] : []));
    expect(fromMallory).toEqual(acceptedTexts);
    expect(atBob.filter((m) => m.from.nick === 'carol').map((m) => m.text)).toEqual([
      'carol 0',
      'carol 1',
      'carol 2',
      'carol 3',
      'carol 4',
    ]);
  });

  it('is cut off when it sends hundreds at once; what it was told was accepted reached the room', async () => {
    const app = await startTestApp();
    const mallory = await connectGuest(app, 'mallory');
    const bob = await connectGuest(app, 'bob');
    for (const socket of [mallory, bob]) await ask(socket, 'join', { room: 'lobby' });
    const notices = inbox<Notice>(mallory, 'notice');
    const atBob = inbox<{ text: string }>(bob, 'message');
    const { answers, reason } = await flood(mallory, 500, 'send', (i) => ({
      room: 'lobby',
      text: `spam ${i}`,
    }));
    expect(reason).toBe('io server disconnect');
    expect(notices.at(-1)?.code).toBe('REALTIME_ERR_RATE_LIMITED');
    expect(notices.at(-1)?.reason).toMatch(/disconnected|kept on/);
    for (const answer of answers.filter((a) => !a.ok)) {
      expect(answer.error?.code).toBe('REALTIME_ERR_RATE_LIMITED');
    }
    // Bob is still served, and got nothing the server did not accept.
    expect(await ask(bob, 'send', { room: 'lobby', text: 'still here' })).toMatchObject({
      ok: true,
    });
    expect(atBob.length).toBeLessThanOrEqual(CHAT_APP_LIMITS.messageBurst + 1);
  });
});

describe('a client that floods any event', () => {
  it('is throttled by the flood guard (refusals with ok: false, a notice), then disconnected', async () => {
    const app = await startTestApp();
    const mallory = await connectGuest(app, 'mallory');
    const bob = await connectGuest(app, 'bob');
    const notices = inbox<Notice>(mallory, 'notice');
    const { answers, reason } = await flood(mallory, 1000, 'rooms', () => undefined);
    expect(reason).toBe('io server disconnect');
    // Stage 4's guard cuts the socket off at once: requests still in a handler go unanswered.
    const refused = answers.filter((a) => !a.ok);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]).toMatchObject({ ok: false, error: { code: 'REALTIME_ERR_RATE_LIMITED' } });
    expect(notices[0]?.code).toBe('REALTIME_ERR_RATE_LIMITED');
    expect(notices.at(-1)?.reason).toMatch(/kept on after being throttled/);
    expect(await ask(bob, 'rooms')).toEqual({ ok: true, rooms: [] });
  });

  it('is disconnected for a flood of typing events, which have no acknowledgement', async () => {
    const app = await startTestApp();
    const mallory = await connectGuest(app, 'mallory');
    await ask(mallory, 'join', { room: 'lobby' });
    const { reason } = await flood(mallory, 1000, 'typing', (i) => ({
      room: 'lobby',
      typing: i % 2 === 0,
    }));
    expect(reason).toBe('io server disconnect');
  });
});
