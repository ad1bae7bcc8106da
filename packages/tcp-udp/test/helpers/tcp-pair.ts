import { nextEvent, withTimeout } from '@socketlab/testkit';
import { onTestFinished } from 'vitest';
import { connectTcpClient, type TcpClientOptions } from '../../src/tcp/client.ts';
import type { TcpConnection } from '../../src/tcp/connection.ts';
import { createTcpServer, type TcpServer, type TcpServerOptions } from '../../src/tcp/server.ts';

/** A listening TcpServer closed after the test, and a way to await its next accepted connection. */
export interface TcpTestServer {
  readonly server: TcpServer;
  readonly port: number;
  /** Resolves with the next connection the server accepts (bounded). */
  accepted(): Promise<TcpConnection>;
}

export async function startTcpTestServer(options: TcpServerOptions = {}): Promise<TcpTestServer> {
  const server = createTcpServer({ closeTimeoutMs: 500, ...options });
  onTestFinished(() => server.close());
  const waiting: TcpConnection[] = [];
  server.on('connection', (conn) => waiting.push(conn));
  const { port } = await server.listen();
  return {
    server,
    port,
    accepted: async () => {
      const ready = waiting.shift();
      if (ready) return ready;
      const [conn] = await nextEvent<[TcpConnection]>(server, 'connection');
      waiting.splice(waiting.indexOf(conn), 1);
      return conn;
    },
  };
}

/** A client connection to 127.0.0.1:port, reset after the test if still open. */
export async function connectTestClient(
  port: number,
  options: Omit<TcpClientOptions, 'port'> = {},
): Promise<TcpConnection> {
  const conn = await connectTcpClient({ host: '127.0.0.1', port, ...options });
  onTestFinished(() => conn.reset());
  return conn;
}

/**
 * A {@link startTcpTestServer} with one client connected and accepted: both ends of one TCP
 * connection, `client` and (on the server) `server`, and the server's port.
 */
export async function openTcpPair(
  serverOptions: TcpServerOptions = {},
  clientOptions: Omit<TcpClientOptions, 'port'> = {},
): Promise<{ port: number; client: TcpConnection; server: TcpConnection }> {
  const { port, accepted } = await startTcpTestServer(serverOptions);
  const client = await connectTestClient(port, clientOptions);
  const server = await accepted();
  return { port, client, server };
}

/** Collects everything a connection delivers until the peer's FIN (bounded). */
export async function readAll(conn: TcpConnection, what = 'the peer to finish'): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await withTimeout(
    (async () => {
      for await (const chunk of conn) chunks.push(chunk);
    })(),
    what,
  );
  return Buffer.concat(chunks);
}
