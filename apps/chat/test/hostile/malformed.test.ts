import { withTimeout } from '@socketlab/testkit';
import { connectWebSocket } from '@socketlab/websockets';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { ChatApp } from '../../src/server/app.ts';
import { ask, connectGuest, startTestApp } from '../helpers/chat.ts';

/**
 * A hand-driven Engine.IO/Socket.IO client over stage 4's WebSocket: it sends whatever text or
 * bytes a test gives it, with no parser of its own to refuse them first.
 */
async function rawClient(app: ChatApp, { signIn = true } = {}) {
  const ws = await connectWebSocket(
    `ws://127.0.0.1:${app.port}/socket.io/?EIO=4&transport=websocket`,
  );
  onTestFinished(() => ws.terminate());
  const frames: string[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    frames.push(isBinary ? '<binary>' : data.toString('utf8'));
    for (const wake of waiters) wake();
  });
  const closed = new Promise<number>((resolve) =>
    ws.once('close', (code: number) => resolve(code)),
  );
  ws.on('error', () => {});
  const frame = (match: (text: string) => boolean, what: string): Promise<string> =>
    withTimeout(
      new Promise<string>((resolve) => {
        const check = () => {
          const found = frames.find(match);
          if (found !== undefined) {
            waiters.delete(check);
            resolve(found);
          }
        };
        waiters.add(check);
        check();
      }),
      what,
    );
  await frame((f) => f.startsWith('0{'), 'the Engine.IO open packet');
  if (signIn) {
    const { token } = await app.issueGuestToken('raw');
    ws.send(`40${JSON.stringify({ token })}`);
    await frame((f) => f.startsWith('42["welcome"'), 'the welcome');
  }
  return {
    ws,
    frames,
    frame,
    /** Resolves with the close code once the server has closed the connection. */
    closed: () => withTimeout(closed, 'the server to close the connection'),
    /** Asks for the room list with ack `id`: proof the connection is still served. */
    async stillServed(id: number) {
      ws.send(`42${id}["rooms"]`);
      return frame((f) => f.startsWith(`43${id}[`), `the answer ${id}`);
    },
  };
}

/** A normal client still gets its messages through: the server is up and serving. */
async function serverIsUp(app: ChatApp) {
  const ada = await connectGuest(app, 'ada');
  expect(await ask(ada, 'join', { room: 'lobby' })).toMatchObject({ ok: true });
  expect(await ask(ada, 'send', { room: 'lobby', text: 'still up' })).toMatchObject({ ok: true });
}

const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

describe('malformed packets', () => {
  it.each([
    ['an event with no payload', '42'],
    ['broken JSON', '42["send",{"room":'],
    ['an event that is an object', '42{"event":"send"}'],
    ['an unknown Socket.IO packet type', '47["send"]'],
    ['an unknown Engine.IO packet type', '9hello'],
    ['an empty frame', ''],
    ['binary out of nowhere', Buffer.from([0xde, 0xad, 0xbe, 0xef])],
    ['a binary event whose attachment never comes', '451-["send",{"_placeholder":true,"num":0}]'],
    ['a huge attachment count', '4599999999-["send",{"_placeholder":true,"num":0}]'],
    ['a namespace disconnect of nowhere', '41/nowhere,'],
  ])('closes the connection that sends %s, and serves the others', async (_what, frame) => {
    const app = await startTestApp();
    const raw = await rawClient(app);
    raw.ws.send(frame);
    if (typeof frame === 'string' && frame.startsWith('451-')) raw.ws.send('42["rooms"]');
    if (frame === '41/nowhere,') {
      // Socket.IO may ignore it or close: either way nothing else is affected.
      await Promise.race([raw.closed(), raw.stillServed(7)]);
    } else {
      await raw.closed();
    }
    await serverIsUp(app);
  });

  it.each([
    ['an event name that is not a string', '42[42,{}]', /event name/],
    ['a payload nested 5,000 deep', `42["send",${deep(5000)}]`, /nested deeper/],
    ['a number JSON cannot carry', '42["send",{"room":"lobby","text":1e999}]', /too large/],
  ])('tells and disconnects a client that sends %s', async (_what, frame, reason) => {
    const app = await startTestApp();
    const raw = await rawClient(app);
    raw.ws.send(frame);
    const notice = await raw.frame((f) => f.startsWith('42["notice"'), 'the notice');
    const [, body] = JSON.parse(notice.slice(2)) as [string, { code: string; reason: string }];
    expect(body.code).toBe('REALTIME_ERR_PAYLOAD');
    expect(body.reason).toMatch(reason);
    await raw.closed();
    await serverIsUp(app);
  });

  it.each([
    [
      'a message to a room it is not in',
      '421["send",{"room":"elsewhere","text":"x"}]',
      'REALTIME_ERR_NOT_MEMBER',
    ],
    ['a room that is an object', '421["join",{"room":{"$gt":""}}]', 'REALTIME_ERR_PAYLOAD'],
    ['a payload that is an array', '421["join",["lobby"]]', 'REALTIME_ERR_PAYLOAD'],
    ['a text that is a number', '421["send",{"room":"lobby","text":5}]', 'REALTIME_ERR_PAYLOAD'],
  ])(
    'refuses %s through the acknowledgement, and keeps serving the connection',
    async (_what, frame, code) => {
      const app = await startTestApp();
      const raw = await rawClient(app);
      raw.ws.send('429["join",{"room":"lobby"}]');
      await raw.frame((f) => f.startsWith('439['), 'the join');
      raw.ws.send(frame);
      const answer = await raw.frame((f) => f.startsWith('431['), 'the answer');
      expect(JSON.parse(answer.slice(3))).toMatchObject([{ ok: false, error: { code } }]);
      expect(await raw.stillServed(2)).toMatch(/^432\[\{"ok":true/);
    },
  );

  it('ignores a prototype key in a payload', async () => {
    const app = await startTestApp();
    const raw = await rawClient(app);
    raw.ws.send('421["join",{"room":"lobby","__proto__":{"polluted":true}}]');
    const answer = await raw.frame((f) => f.startsWith('431['), 'the answer');
    expect(JSON.parse(answer.slice(3))).toMatchObject([{ ok: true, room: 'lobby' }]);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it.each([
    ['an auth payload that is not an object', '40"token"'],
    ['an event before connecting', '42["rooms"]'],
  ])('closes or refuses a handshake with %s', async (_what, frame) => {
    const app = await startTestApp();
    const raw = await rawClient(app, { signIn: false });
    raw.ws.send(frame);
    await withTimeout(
      Promise.race([raw.closed(), raw.frame((f) => f.startsWith('44'), 'a connect_error')]),
      'a close or a refusal',
    );
    expect(raw.frames.some((f) => f.startsWith('42["welcome"'))).toBe(false);
    await serverIsUp(app);
  });

  it('refuses a connection to another namespace', async () => {
    const app = await startTestApp();
    const raw = await rawClient(app, { signIn: false });
    raw.ws.send('40/admin,{}');
    expect(await raw.frame((f) => f.startsWith('44/admin,'), 'the refusal')).toMatch(
      /Invalid namespace/,
    );
  });
});
