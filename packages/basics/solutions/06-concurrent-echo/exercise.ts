import type { RunningEchoServer } from '../../exercises/06-concurrent-echo/exercise.ts';
import { createConcurrentEchoServer } from '../../src/lifecycle/blocking.ts';

export type { RunningEchoServer };

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
