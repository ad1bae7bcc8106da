// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter

/** What startTcpEchoServer resolves with: the port it listens on, and a way to stop it. */
export interface RunningTcpEchoServer {
  /** The port the server listens on (the kernel's choice when you asked for port 0). */
  port: number;
  /** Stops accepting, closes every open connection, and resolves once the server is closed. */
  close(): Promise<void>;
}

/**
 * Starts a TCP echo server on `host:port`: every byte a client sends comes back to that client,
 * unchanged; when the client half-closes (FIN), the server finishes echoing, then closes its side.
 * @example const { port, close } = await startTcpEchoServer(0); // then: nc -N 127.0.0.1 <port>
 */
export async function startTcpEchoServer(
  port: number,
  host = '127.0.0.1',
): Promise<RunningTcpEchoServer> {
  // TODO: net.createServer({ allowHalfOpen: true }, (socket) => { … }): write every 'data' chunk
  // back; on 'end' (the client's FIN) call socket.end() so your FIN follows the last echo; give
  // every socket an 'error' listener. listen(port, host), then resolve with the real port and a
  // close() that also ends or destroys the open connections.
  throw new Error('not implemented yet: read exercises/01-tcp-echo/README.md');
}

/**
 * The client: connects to `host:port`, sends `data`, half-closes (FIN: "I have nothing more to
 * send"), reads until the server's FIN, and resolves with every byte the server sent.
 * @throws when the connection fails (refused, reset): reject, never resolve with partial data.
 * @example const reply = await tcpEchoOnce('127.0.0.1', port, 'hello'); // <Buffer 68 65 6c 6c 6f>
 */
export async function tcpEchoOnce(
  host: string,
  port: number,
  data: string | Uint8Array,
): Promise<Buffer> {
  // TODO: net.connect({ host, port }); on 'connect', socket.end(data) writes and sends FIN; collect
  // every 'data' chunk; resolve with Buffer.concat(chunks) on 'end' (the server's FIN); reject on
  // 'error'.
  throw new Error('not implemented yet: read exercises/01-tcp-echo/README.md');
}
