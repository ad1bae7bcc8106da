// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter

/**
 * Opens a TCP connection to `host:port`, sends `line` followed by `\n`, and resolves with the
 * server's reply: the first line it sends back, without its `\n`. Closes the connection too.
 * Rejects if the connection fails (for example `ECONNREFUSED`: nothing listens on that port).
 * @example const reply = await sendLine('127.0.0.1', 7000, 'hello'); // 'you said: hello'
 */
export async function sendLine(host: string, port: number, line: string): Promise<string> {
  // TODO: net.connect({ host, port }); on 'connect' write the line and '\n'; collect 'data'
  // until a '\n' arrives; then end() the socket and resolve with the text before the '\n'.
  // Reject on 'error'.
  throw new Error('not implemented yet: read exercises/01-first-socket/README.md');
}
