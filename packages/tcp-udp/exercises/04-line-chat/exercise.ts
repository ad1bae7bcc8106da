// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter

/** What startChatServer resolves with: the port it listens on, and a way to stop it. */
export interface RunningChatServer {
  /** The port the server listens on (the kernel's choice when you asked for port 0). */
  port: number;
  /** Stops accepting, closes every open connection, and resolves once the server is closed. */
  close(): Promise<void>;
}

/**
 * Starts a line chat server on `host:port`. The protocol (exercises/04-line-chat/README.md):
 * a client's first line is its nick; each later line goes to every other client as
 * `nick: text\n`; joins and leaves are announced as `* nick joined\n` and `* nick left\n`.
 * @example const { port } = await startChatServer(0); // then, in two terminals: nc 127.0.0.1 <port>
 */
export async function startChatServer(
  port: number,
  host = '127.0.0.1',
): Promise<RunningChatServer> {
  // TODO: keep the clients in a Set, each with its own line buffer and nick (undefined at first).
  // TODO: on 'data', append to that client's buffer and handle every complete line (drop a '\r'
  // before the '\n'): the first line sets the nick and announces the join; later lines are
  // broadcast to every OTHER client that has a nick.
  // TODO: on 'close' (FIN or reset), announce the leave if the client had a nick, and forget it;
  // handle 'error' on every socket.
  // TODO: listen(port, host) and resolve with the real port and a close().
  throw new Error('not implemented yet: read exercises/04-line-chat/README.md');
}
