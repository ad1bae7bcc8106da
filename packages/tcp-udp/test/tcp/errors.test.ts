import net from 'node:net';
import { SYSTEM_FAILURES } from '@socketlab/basics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConnectionError, RemoteError, TimeoutError } from '../../src/errors.ts';
import { connectTcpClient } from '../../src/tcp/client.ts';
import { formatTcpPeer, toTcpError } from '../../src/tcp/errors.ts';

function systemError(code: string, syscall = 'read'): NodeJS.ErrnoException {
  return Object.assign(new Error(`${syscall} ${code}`), { code, syscall });
}

describe('toTcpError', () => {
  it.each(Object.keys(SYSTEM_FAILURES))(
    'maps %s to CONNECTION with advice and the cause',
    (code) => {
      const cause = systemError(code);
      const error = toTcpError(cause, { operation: 'connect', peer: '127.0.0.1:7' });
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.code).toBe('TCPUDP_ERR_CONNECTION');
      expect(error.cause).toBe(cause);
      expect(error.message).toContain('connecting to 127.0.0.1:7 failed');
      expect(error.message).toContain(`[${code}]`);
      const { title, what, nextSteps } = SYSTEM_FAILURES[code as keyof typeof SYSTEM_FAILURES];
      expect(error.message).toContain(`failed: ${title} [${code}]. ${what('127.0.0.1:7')}`);
      expect(error.message).toContain(`Next: ${nextSteps[0]}`);
    },
  );

  it.each(['ERR_STREAM_WRITE_AFTER_END', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_ALREADY_FINISHED'])(
    'maps Node stream code %s to CLOSED',
    (code) => {
      const error = toTcpError(systemError(code, 'write'), { operation: 'write' });
      expect(error.code).toBe('TCPUDP_ERR_CLOSED');
      expect(error.message).toMatch(/^writing to the peer failed: the socket is already closed/);
    },
  );

  it.each([
    ['read', 'reading from [::1]:80'],
    ['write', 'writing to [::1]:80'],
    ['listen', 'listening on [::1]:80'],
    ['close', 'closing the connection with [::1]:80'],
  ] as const)('names the operation %s in the message', (operation, text) => {
    const error = toTcpError(systemError('ECONNRESET'), {
      operation,
      peer: formatTcpPeer('::1', 80),
    });
    expect(error.message).toContain(text);
  });

  it('keeps an unknown error, quoting its message, and passes typed errors through', () => {
    const odd = toTcpError(new Error('weird\nthing'), { operation: 'read' });
    expect(odd.code).toBe('TCPUDP_ERR_CONNECTION');
    expect(odd.message).toContain('"weird\\nthing"');
    expect(odd.message).toContain('[no code]');
    const typed = new RemoteError('peer said no', 1, 'no');
    expect(toTcpError(typed, { operation: 'read' })).toBe(typed);
    expect(toTcpError('a string', { operation: 'read' }).message).toContain('"a string"');
  });

  it('names a peer the socket no longer knows', () => {
    expect(formatTcpPeer(undefined, undefined)).toBe('an unknown peer');
    expect(formatTcpPeer('127.0.0.1', 80)).toBe('127.0.0.1:80');
  });
});

describe('connectTcpClient connect timeout (fake timers, a socket that never connects)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits exactly connectTimeoutMs, then rejects with TIMEOUT and destroys the socket', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const silent = new net.Socket(); // never connects: what dropped SYNs look like from here
    const asked: net.TcpNetConnectOpts[] = [];
    let settled = false;
    const attempt = connectTcpClient({
      host: '127.0.0.1',
      port: 9,
      connectTimeoutMs: 1_000,
      createSocket: (options) => {
        asked.push(options);
        return silent;
      },
    }).finally(() => {
      settled = true;
    });
    attempt.catch(() => undefined);
    expect(asked).toEqual([{ host: '127.0.0.1', port: 9, allowHalfOpen: true }]);
    await vi.advanceTimersByTimeAsync(999);
    expect(settled).toBe(false);
    expect(silent.destroyed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const failure = await attempt.catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TimeoutError);
    expect((failure as TimeoutError).code).toBe('TCPUDP_ERR_TIMEOUT');
    expect((failure as TimeoutError).timeoutMs).toBe(1_000);
    expect((failure as Error).message).toContain('127.0.0.1:9 did not finish within 1000 ms');
    expect(silent.destroyed).toBe(true);
  });

  it('maps an error from the factory socket, EHOSTUNREACH, to CONNECTION', async () => {
    const socket = new net.Socket();
    const attempt = connectTcpClient({ port: 9, createSocket: () => socket });
    socket.emit('error', systemError('EHOSTUNREACH', 'connect'));
    const failure = await attempt.catch((error: unknown) => error);
    expect((failure as ConnectionError).code).toBe('TCPUDP_ERR_CONNECTION');
    expect((failure as Error).message).toMatch(/host unreachable/);
    expect(socket.destroyed).toBe(true);
  });
});
