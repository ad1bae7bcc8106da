import { describe, expect, it } from 'vitest';
import { clientAddress } from '../../src/server/limits.ts';
import { connectWith, refusalOf, startTestApp } from '../helpers/chat.ts';

describe('clientAddress', () => {
  it.each([
    ['198.51.100.7', '127.0.0.1', true, '198.51.100.7'],
    ['203.0.113.1, 198.51.100.7', '127.0.0.1', true, '198.51.100.7'],
    [['203.0.113.1', '198.51.100.7'], '127.0.0.1', true, '198.51.100.7'],
    ['2001:db8::1', '127.0.0.1', true, '2001:db8::1'],
    ['not an address', '127.0.0.1', true, '127.0.0.1'],
    [undefined, '127.0.0.1', true, '127.0.0.1'],
    ['198.51.100.7', '127.0.0.1', false, '127.0.0.1'],
  ] as const)('reads %j from %s (trusted: %s) as %s', (header, peer, trust, expected) => {
    expect(clientAddress(header as string | string[] | undefined, peer, trust)).toBe(expected);
  });
});

describe('behind a proxy', () => {
  const connectFrom = async (app: Awaited<ReturnType<typeof startTestApp>>, address: string) => {
    const { token } = await app.issueGuestToken('ada');
    return connectWith(app, token, { extraHeaders: { 'x-forwarded-for': address } });
  };

  it('with trustProxy, counts connections per forwarded address', async () => {
    const app = await startTestApp({ trustProxy: true });
    // 12 clients of one proxy: more than one address's burst (10), each from its own address.
    for (let i = 1; i <= 12; i++) await connectFrom(app, `198.51.100.${i}`);
    // And one address past its burst is still refused.
    for (let i = 0; i < 10; i++) await connectFrom(app, '203.0.113.9');
    const { token } = await app.issueGuestToken('ada');
    const refused = await refusalOf(
      app,
      { token },
      { extraHeaders: { 'x-forwarded-for': '203.0.113.9' } },
    );
    expect(refused.data?.code).toBe('REALTIME_ERR_RATE_LIMITED');
  });

  it('without it, ignores the header a client may write itself', async () => {
    const app = await startTestApp();
    for (let i = 1; i <= 10; i++) await connectFrom(app, `198.51.100.${i}`);
    const { token } = await app.issueGuestToken('ada');
    const refused = await refusalOf(
      app,
      { token },
      { extraHeaders: { 'x-forwarded-for': '198.51.100.99' } },
    );
    expect(refused.data).toMatchObject({ code: 'REALTIME_ERR_RATE_LIMITED' });
    expect(refused.data?.reason).toMatch(/too many connections/);
  });
});
