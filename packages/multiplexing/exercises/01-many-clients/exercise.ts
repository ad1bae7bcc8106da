// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter

/** What startNumberingServer resolves with: the port it listens on, and a way to stop it. */
export interface RunningNumberingServer {
  /** The port the server listens on (the kernel's choice when you asked for port 0). */
  port: number;
  /** Stops accepting, closes every open connection, and resolves once the server is closed. */
  close(): Promise<void>;
}

/**
 * Starts the numbering server on `host:port`. The protocol (exercises/01-many-clients/README.md):
 * every line a client sends (ending in `\n`; a `\r` before it is dropped) is answered on that
 * connection with `N TEXT\n`, where N counts the lines THIS connection has sent (1, 2, 3, …).
 * When the client half-closes (FIN), the server answers what it has, then ends its side too.
 * @example const { port } = await startNumberingServer(0); // then: nc 127.0.0.1 <port>
 */
export async function startNumberingServer(
  port: number,
  host = '127.0.0.1',
): Promise<RunningNumberingServer> {
  // TODO: net.createServer: for each connection, keep ITS OWN pending bytes and line count
  // (state per connection, never shared between connections).
  // TODO: on 'data', append, cut every complete line, answer `${count} ${text}\n` for each.
  // TODO: on 'end' (the client's FIN), end your side; on 'error', do not let it escape.
  // TODO: listen(port, host) and resolve with the real port and a close().
  throw new Error('not implemented yet: read exercises/01-many-clients/README.md');
}
