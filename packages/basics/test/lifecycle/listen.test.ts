import net from 'node:net';
import path from 'node:path';
import { closeServer, rejectionOf, tempDir } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { BasicsError } from '../../src/errors.ts';
import { listenServer } from '../../src/lifecycle/listen.ts';

function serverClosedAtEnd(): net.Server {
  const server = net.createServer();
  onTestFinished(() => closeServer(server));
  return server;
}

describe('listenServer', () => {
  it.each(['127.0.0.1', '::1'] as const)(
    'resolves on %s with the port the kernel chose, and leaves no listener behind',
    async (host) => {
      const server = serverClosedAtEnd();
      const address = await listenServer(server, { host, port: 0 });
      expect(address.address).toBe(host);
      expect(address.port).toBeGreaterThan(0);
      expect(server.listening).toBe(true);
      expect(server.listenerCount('error')).toBe(0);
      expect(server.listenerCount('listening')).toBe(0);
    },
  );

  it('rejects with the system error itself when the port is taken, and leaves no listener', async () => {
    const first = serverClosedAtEnd();
    const { port } = await listenServer(first, { host: '127.0.0.1', port: 0 });
    const second = serverClosedAtEnd();
    const error = await rejectionOf(listenServer(second, { host: '127.0.0.1', port }));
    expect(error).toMatchObject({ code: 'EADDRINUSE', syscall: 'listen', port });
    expect(second.listening).toBe(false);
    expect(second.listenerCount('error')).toBe(0);
    expect(second.listenerCount('listening')).toBe(0);
  });

  it('rejects with a typed error when a listener ahead of it closes the server at once', async () => {
    const server = serverClosedAtEnd();
    server.once('listening', () => server.close());
    const error = await rejectionOf(listenServer(server, { host: '127.0.0.1', port: 0 }));
    expect(error).toBeInstanceOf(BasicsError);
    expect(error).toMatchObject({ code: 'BASICS_ERR_CONNECTION' });
    expect(server.listenerCount('error')).toBe(0);
  });

  it.runIf(process.platform !== 'win32')('resolves with the path of a Unix socket', async () => {
    const socketPath = path.join(await tempDir(), 'server.sock');
    const server = serverClosedAtEnd();
    expect(await listenServer(server, { path: socketPath })).toBe(socketPath);
  });
});
