import { withTimeout } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { notify, openInbox, refusalOf, startTestApp, waitFor } from '../helpers/app.ts';

describe('hostile socket input', () => {
  it('refuses a connection without a token, or with a forged one', async () => {
    const app = await startTestApp();
    const other = await startTestApp(); // another secret: its tokens are forgeries here
    for (const auth of [{}, { token: 'nope' }, { token: other.issueToken('ada').token }]) {
      const error = await refusalOf(app.url, auth);
      expect(error.message).toMatch(/unauthorized/);
    }
  });

  it('answers malformed resume, delivered and read requests with errors and keeps serving', async () => {
    const app = await startTestApp();
    const ada = await openInbox(app, 'ada');
    const socket = ada.inbox.socket;
    const ask = (event: string, ...args: unknown[]) =>
      withTimeout(
        (
          socket.timeout(5000) as unknown as {
            emitWithAck(e: string, ...a: unknown[]): Promise<unknown>;
          }
        ).emitWithAck(event, ...args),
        `the answer to ${event}`,
      );
    expect(await ask('resume', 'x')).toMatchObject({ ok: false, error: 'INVALID_REQUEST' });
    expect(await ask('resume', { after: 'not-an-id' })).toMatchObject({ ok: false });
    expect(await ask('resume', { topics: ['a b'] })).toMatchObject({ ok: false });
    expect(
      await ask('resume', { topics: Array.from({ length: 51 }, (_, i) => `t${i}`) }),
    ).toMatchObject({ ok: false });
    expect(await ask('delivered', 'x')).toMatchObject({ ok: false });
    expect(
      await ask(
        'delivered',
        Array.from({ length: 501 }, () => '000000000-000000-00000000'),
      ),
    ).toMatchObject({ ok: false });
    expect(await ask('read', { id: 1 })).toMatchObject({ ok: false });
    expect(await ask('subscribe', 'a b')).toMatchObject({ ok: false, error: 'INVALID_TOPIC' });
    // events without an ack are ignored, not fatal
    const raw = socket as unknown as { emit(event: string, ...args: unknown[]): void };
    raw.emit('resume', { after: null });
    raw.emit('read', 'x');
    await notify(app, { user: 'ada', title: 'still here' });
    await waitFor(ada.got, 1, 'a notification after the bad requests');
  });
});
