import { once } from 'node:events';
import net from 'node:net';
import { onTestFinished } from 'vitest';
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

/** A raw `net.Server` started by {@link listenTestServer}, and the sockets it holds now. */
export interface TestServer {
  readonly server: net.Server;
  readonly host: LoopbackHost;
  readonly port: number;
  /** The server's side of every connection still open. */
  readonly sockets: ReadonlySet<net.Socket>;
}

export interface TestServerOptions {
  /** @default '127.0.0.1' */
  host?: LoopbackHost;
  /** Keep the server's side writable after the peer's FIN (`net.createServer`'s option). @default false */
  allowHalfOpen?: boolean;
}

/**
 * A plain `net.Server` on port 0 for a test to drive by hand: it hands each connection to
 * `onConnection`, keeps track of the open ones, and is closed with all of them when the test
 * ends. An error on the server's side of a connection is ignored (tests break connections on
 * purpose and look at the client's side); `onConnection` may listen for it too.
 */
export async function listenTestServer(
  onConnection: (socket: net.Socket) => void = () => {},
  { host = '127.0.0.1', allowHalfOpen = false }: TestServerOptions = {},
): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnection(socket);
  });
  onTestFinished(() => closeServer(server, sockets));
  const { port } = await listenOnFreePort(server, host);
  return { server, host, port, sockets };
}
