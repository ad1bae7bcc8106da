import { echoOnce } from '../../src/lifecycle/index.ts';

/**
 * Opens a TCP connection to `host:port`, sends `line` followed by `\n`, and resolves with the
 * server's one-line reply (without its `\n`), after closing the connection properly.
 * `echoOnce` does the whole lifecycle: connect, send, read one line, half-close, wait for close.
 */
export async function sendLine(host: string, port: number, line: string): Promise<string> {
  const { reply } = await echoOnce(host, port, line);
  return reply;
}
