// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter

/** What startEchoServer resolves with: the port it listens on, and a way to stop it. */
export interface RunningEchoServer {
  /** The port the server listens on (the kernel's choice when you asked for port 0). */
  port: number;
  /** Stops accepting, destroys every open connection, and resolves once the server is closed. */
  close(): Promise<void>;
}

/**
 * Starts a WebSocket echo server on `host:port` (exercises/04-echo-server/README.md), on a raw
 * `node:net` server: for each connection, the opening handshake (exercise 01), then frames
 * (exercise 02): each text or binary frame is sent back as it came (unmasked, the shortest length
 * form), a ping is answered with a pong carrying the same payload, and a close with a close
 * carrying the same code, after which the server closes the TCP connection.
 * @example const { port } = await startEchoServer(7000); // then, in a browser's console: see README
 */
export async function startEchoServer(port = 0, host = '127.0.0.1'): Promise<RunningEchoServer> {
  // TODO: net.createServer: per connection, read the request head and answer 101 (exercise 01;
  //       you may import your acceptKey from '../01-handshake/exercise.ts'). Keep the bytes that
  //       came after the head: they are the first frames.
  // TODO: per connection, a buffer of received bytes. On each 'data', append, then take as many
  //       WHOLE frames as it holds (exercise 02's parseFrame reads one), keep the rest.
  // TODO: each frame: unmask it with ITS key; text (1) or binary (2) → write it back unmasked with
  //       the same opcode and the right length form; ping (9) → pong (10), same payload;
  //       close (8) → a close with the same 2-byte code, then socket.end(); pong (10) → nothing.
  // TODO: an 'error' listener on every socket; listen(port, host); resolve with the real port
  //       and a close() that destroys the open sockets and closes the server.
  throw new Error('not implemented yet: read exercises/04-echo-server/README.md');
}
