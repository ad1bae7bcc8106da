import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectionError, TimeoutError } from '../../src/errors.ts';
import { whenConnected } from '../../src/tcp/connect.ts';

// A socket that never dials: the test emits its 'connect' or 'error', and drives the clock.
describe('whenConnected', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves on connect, leaving no timer and no error listener behind', async () => {
    const socket = new net.Socket();
    const connected = whenConnected(socket, 'here', 1000, (e) => e.message);
    socket.emit('connect');
    await expect(connected).resolves.toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
    expect(socket.listenerCount('error')).toBe(0);
  });

  it('rejects with TCPUDP_ERR_TIMEOUT and destroys the socket when the bound runs out', async () => {
    const socket = new net.Socket();
    const connected = whenConnected(socket, '127.0.0.1:9', 50, (e) => e.message);
    const outcome = connected.catch((error: unknown) => error);
    vi.advanceTimersByTime(49);
    expect(socket.destroyed).toBe(false);
    vi.advanceTimersByTime(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({
      code: 'TCPUDP_ERR_TIMEOUT',
      timeoutMs: 50,
      message: 'connecting to 127.0.0.1:9 took longer than 50 ms',
    });
    expect(socket.destroyed).toBe(true);
  });

  it('rejects with TCPUDP_ERR_CONNECTION, explained, keeping the error as cause', async () => {
    const socket = new net.Socket();
    const connected = whenConnected(socket, '/tmp/x.sock', 1000, (e) => `${e.code}, explained`);
    const cause = Object.assign(new Error('connect ENOENT'), { code: 'ENOENT' });
    socket.emit('error', cause);
    const error = await connected.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({
      code: 'TCPUDP_ERR_CONNECTION',
      message: 'could not connect to /tmp/x.sock: ENOENT, explained',
      cause,
    });
    expect(vi.getTimerCount()).toBe(0);
  });
});
