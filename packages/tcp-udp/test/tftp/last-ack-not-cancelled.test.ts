// Regression: with dallyMs 0 the client closed its socket in the same tick as it sent the last
// ACK, and closing a dgram socket cancels sends still queued, so the server never saw the ACK:
// every transfer stayed "active" on the server until its retries ran out (found by bench/tftp.ts,
// whose full run filled maxTransfers and got "server busy").
import { pollUntil } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { tftpGet } from '../../src/tftp/client.ts';
import { startTftpServer, tftpRoot } from '../helpers/tftp-files.ts';

describe('the last ACK of a read', () => {
  it('reaches the server even when the client does not dally', async () => {
    const { root } = await tftpRoot({ 'f.bin': 1500 });
    // a long server timeout: a lost last ACK could not be recovered within this test's wait
    const { server, port } = await startTftpServer(root, { timeoutMs: 10_000 });
    for (let i = 0; i < 5; i++) await tftpGet('127.0.0.1', port, 'f.bin', { dallyMs: 0 });
    await pollUntil(() => server.stats.completed === 5, 'the server to see all five last ACKs', {
      ms: 3000,
    });
    expect(server.activeTransfers).toBe(0);
    expect(server.stats.retransmits).toBe(0);
  });
});
