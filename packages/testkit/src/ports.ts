import { once } from 'node:events';
import net from 'node:net';
import { withTimeout } from './wait.ts';

/** Loopback hosts a test may use. Tests never touch any other address. */
export type LoopbackHost = '127.0.0.1' | '::1';

/** Starts `server` listening on `host`, port 0, and resolves with the port the kernel chose. */
export async function listenOnFreePort(
  server: net.Server,
  host: LoopbackHost = '127.0.0.1',
): Promise<{ host: LoopbackHost; port: number }> {
  server.listen(0, host);
  await withTimeout(once(server, 'listening'), `server to listen on ${host}`);
  const address = server.address();
  if (address === null || typeof address === 'string') {
    throw new Error(`expected a TCP address from server.address(), got ${String(address)}`);
  }
  return { host, port: address.port };
}

/**
 * Asks the kernel for a free TCP port on `host` by binding port 0 and releasing it: a port to hand
 * to another process (a `cmd:` target), or one nothing listens on (a connection to it is refused).
 * In-process servers bind port 0 themselves.
 */
export async function freePort(host: LoopbackHost = '127.0.0.1'): Promise<number> {
  const server = net.createServer();
  const { port } = await listenOnFreePort(server, host);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Connects to `host:port` and resolves once connected, or rejects with the socket error. */
export async function connectTcp(
  port: number,
  host = '127.0.0.1',
  ms?: number,
): Promise<net.Socket> {
  const socket = net.connect({ port, host });
  try {
    await withTimeout(once(socket, 'connect'), `connection to ${host}:${port}`, ms);
    return socket;
  } catch (err) {
    socket.destroy();
    throw err;
  }
}

/**
 * Closes a server, first destroying the given open connections (a server does not finish
 * closing while any remain), and resolves when it is closed.
 */
export async function closeServer(
  server: net.Server,
  connections: Iterable<net.Socket> = [],
): Promise<void> {
  for (const socket of connections) socket.destroy();
  if (!server.listening) return;
  await withTimeout(
    new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
    'server to close',
  );
}
