import { once } from 'node:events';
import net from 'node:net';
import { closeServer, connectTcp, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { REUSE_PORT_SUPPORTED, supportsReusePort } from '../../src/index.ts';

/** Listens with `options`; resolves with the port, or with the listen error's code. */
async function tryListen(
  server: net.Server,
  options: net.ListenOptions & { reusePort?: boolean },
): Promise<number | string> {
  onTestFinished(() => closeServer(server));
  server.on('connection', (socket) => socket.destroy());
  server.listen({ host: '127.0.0.1', ...options });
  return withTimeout(
    new Promise<number | string>((resolve) => {
      server.once('listening', () => resolve((server.address() as net.AddressInfo).port));
      server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    }),
    'listen',
  );
}

describe('SO_REUSEPORT and SO_REUSEADDR', () => {
  it('knows which Node versions honour reusePort', () => {
    expect(supportsReusePort('20.20.2')).toBe(false);
    expect(supportsReusePort('22.11.0')).toBe(false);
    expect(supportsReusePort('22.12.0')).toBe(true);
    expect(supportsReusePort('23.1.0')).toBe(true);
    expect(supportsReusePort('24.0.0')).toBe(true);
  });

  it.runIf(process.platform === 'linux' && REUSE_PORT_SUPPORTED)(
    'lets two servers listen on one port, and the kernel hands connections to both',
    async () => {
      const first = net.createServer();
      const port = await tryListen(first, { port: 0, reusePort: true });
      expect(typeof port).toBe('number');
      const second = net.createServer();
      expect(await tryListen(second, { port: port as number, reusePort: true })).toBe(port);
      const served = { first: 0, second: 0 };
      first.on('connection', () => served.first++);
      second.on('connection', () => served.second++);
      // The kernel picks a listener by a hash of each connection's addresses: a few dozen
      // connections reach both unless reusePort did nothing (then only one server exists).
      for (let i = 0; i < 200 && (served.first === 0 || served.second === 0); i++) {
        const socket = await connectTcp(port as number);
        await withTimeout(once(socket, 'close'), 'the server to close the connection');
      }
      expect(served.first).toBeGreaterThan(0);
      expect(served.second).toBeGreaterThan(0);
    },
  );

  it.runIf(!REUSE_PORT_SUPPORTED)(
    'is ignored by this Node.js: a second listener gets EADDRINUSE',
    async () => {
      const first = net.createServer();
      const port = await tryListen(first, { port: 0, reusePort: true });
      const second = net.createServer();
      expect(await tryListen(second, { port: port as number, reusePort: true })).toBe('EADDRINUSE');
    },
  );

  it('refuses a second listener without reusePort', async () => {
    const first = net.createServer();
    const port = await tryListen(first, { port: 0 });
    const second = net.createServer();
    expect(await tryListen(second, { port: port as number })).toBe('EADDRINUSE');
  });

  it.runIf(process.platform === 'linux')(
    'listens again at once on a port whose last connection is in TIME-WAIT (libuv sets SO_REUSEADDR)',
    async () => {
      const first = net.createServer((socket) => socket.destroySoon());
      const port = (await tryListen(first, { port: 0 })) as number;
      const client = await connectTcp(port);
      // The server closes first, so its side of the connection is the one left in TIME-WAIT.
      await withTimeout(once(client, 'end'), 'the server to close');
      client.end();
      await withTimeout(once(client, 'close'), 'the client to close');
      await closeServer(first);
      const again = net.createServer();
      expect(await tryListen(again, { port })).toBe(port);
    },
  );
});
