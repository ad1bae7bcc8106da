// Regression: a request made and the client closed in the same tick (before its socket finished
// connecting) never settled — the connect callback never came, so the request awaited forever.
import { withTimeout } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { createUdpClient } from '../../src/udp/client.ts';

describe('a UDP client closed before its socket connected', () => {
  it('fails the waiting request with TCPUDP_ERR_CLOSED instead of hanging', async () => {
    const client = createUdpClient({ host: '127.0.0.1', port: 9, timeoutMs: 5000 });
    const pending = client.request(Buffer.from('x'));
    const outcome = pending.then(
      () => 'resolved',
      (err: { code?: string }) => err.code,
    );
    await client.close();
    expect(await withTimeout(outcome, 'the request to settle after close()', 2000)).toBe(
      'TCPUDP_ERR_CLOSED',
    );
    expect(client.outstanding).toBe(0);
  });
});
