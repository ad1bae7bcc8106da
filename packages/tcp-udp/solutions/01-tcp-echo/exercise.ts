import type { RunningTcpEchoServer } from '../../exercises/01-tcp-echo/exercise.ts';
import { connectTcpClient } from '../../src/tcp/client.ts';
import { createTcpServer } from '../../src/tcp/server.ts';

export type { RunningTcpEchoServer };

/**
 * A TCP echo server on the library's `createTcpServer`: each connection echoes its chunks in
 * order (awaiting each write, so a client that does not read slows only itself), and answers
 * the client's FIN with its own once the last echo is out.
 */
export async function startTcpEchoServer(
  port: number,
  host = '127.0.0.1',
): Promise<RunningTcpEchoServer> {
  const server = createTcpServer({
    host,
    port,
    closeTimeoutMs: 500,
    onConnection: async (conn) => {
      try {
        for await (const chunk of conn) await conn.write(chunk);
        await conn.end();
      } catch {
        conn.destroy(); // reset or timed out: this client only
      }
    },
  });
  const address = await server.listen();
  return { port: address.port, close: () => server.close() };
}

/** The client: send, half-close, read until the server's FIN. Rejects on any failure. */
export async function tcpEchoOnce(
  host: string,
  port: number,
  data: string | Uint8Array,
): Promise<Buffer> {
  const conn = await connectTcpClient({ host, port, connectTimeoutMs: 5_000 });
  const chunks: Buffer[] = [];
  const reading = (async () => {
    for await (const chunk of conn) chunks.push(chunk);
  })();
  try {
    await conn.write(data);
    await Promise.all([conn.end(), reading]);
  } catch (error) {
    conn.destroy();
    await reading.catch(() => undefined);
    throw error;
  }
  return Buffer.concat(chunks);
}
