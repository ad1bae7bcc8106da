import { connectTcp, listenTestServer, nextEvent } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { applySocketOptions, readSocketOptions } from '../../src/index.ts';

describe('idleTimeoutMs', () => {
  it("emits 'timeout' on a connection idle for that long, and reads back", async () => {
    const server = await listenTestServer();
    const socket = await connectTcp(server.port);
    onTestFinished(() => {
      socket.destroy();
    });
    const started = performance.now();
    applySocketOptions(socket, { idleTimeoutMs: 150 });
    // Without the option no 'timeout' ever comes and the wait fails after 10 s.
    const timedOut = nextEvent(socket, 'timeout', 10_000);
    if (process.platform === 'linux') {
      expect((await readSocketOptions(socket)).idleTimeoutMs).toBe(150);
    }
    await timedOut;
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(socket.destroyed).toBe(false); // Node only tells; closing is the application's call
  });
});
