// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter

/** What startEchoServer resolves with: the port it listens on, and a way to stop it. */
export interface RunningEchoServer {
  /** The port the server listens on (the kernel's choice when you asked for port 0). */
  port: number;
  /** Stops accepting, closes every open connection, and resolves once the server is closed. */
  close(): Promise<void>;
}

/**
 * Starts a line echo server on `host:port` that serves many clients at once: every line a client
 * sends (bytes up to and including `\n`) is sent back to that client, unchanged.
 * @example const { port, close } = await startEchoServer(0); // then: nc 127.0.0.1 <port>
 */
export async function startEchoServer(
  port: number,
  host = '127.0.0.1',
): Promise<RunningEchoServer> {
  // TODO: net.createServer((socket) => { … }); for each socket, buffer its 'data' per connection,
  // write back every complete line, handle 'error' (so one bad client cannot crash the server).
  // listen(port, host), wait for 'listening', and resolve with the chosen port and a close().
  throw new Error('not implemented yet: read exercises/06-concurrent-echo/README.md');
}
