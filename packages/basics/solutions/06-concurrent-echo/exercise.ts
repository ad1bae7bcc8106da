import { createConcurrentEchoServer } from '../../src/lifecycle/blocking.ts';

/** What startEchoServer resolves with: the port it listens on, and a way to stop it. */
export interface RunningEchoServer {
  /** The port the server listens on (the kernel's choice when you asked for port 0). */
  port: number;
  /** Stops accepting, closes every open connection, and resolves once the server is closed. */
  close(): Promise<void>;
}

/**
 * Starts a line echo server on `host:port` that serves many clients at once, on Node's event loop.
 * The library's server also bounds line length and connection count and shuts down gracefully.
 */
export async function startEchoServer(
  port: number,
  host = '127.0.0.1',
): Promise<RunningEchoServer> {
  const server = createConcurrentEchoServer({ host, port, closeTimeoutMs: 500 });
  const address = await server.listen();
  return { port: address.port, close: () => server.close() };
}
