import { withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { listenImpairedUdpLink } from '../../src/impaired/udp-link.ts';
import {
  connectTo,
  readAll,
  seededBytes,
  sha256,
  startReliableServer,
} from '../helpers/reliable-peers.ts';

describe('reliable UDP on ::1', () => {
  it('carries bytes over IPv6 loopback, through an impaired link', async () => {
    const { server, received } = await startReliableServer({ host: '::1' });
    const link = await listenImpairedUdpLink({
      host: '::1',
      target: server.address,
      seed: 6,
      loss: 0.1,
    });
    onTestFinished(() => link.close());
    const client = await connectTo(link.address.port, { host: '::1' });
    const data = seededBytes(6, 50_000);
    await client.write(data);
    await client.end();
    await withTimeout(readAll(client), 'the server to end');
    expect(sha256(await (received[0] as Promise<Buffer>))).toBe(sha256(data));
    expect(link.stats.toTarget.dropped).toBeGreaterThan(0);
  });
});
