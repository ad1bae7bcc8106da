import net from 'node:net';
import type { RunningHandshakeServer } from '../../exercises/01-handshake/exercise.ts';
import {
  acceptKey,
  buildRejectResponse,
  buildUpgradeResponse,
  createRequestHeadReader,
  validateUpgradeRequest,
} from '../../src/handshake/index.ts';

export type { RunningHandshakeServer };
export { acceptKey };

/**
 * The handshake server on this package's pure handshake module: one head reader per connection,
 * `validateUpgradeRequest` for the checks of RFC 6455 §4.2.1, and its answers as they are. What
 * follows the head (frames) is left unread until exercise 02.
 */
export async function startHandshakeServer(
  port = 0,
  host = '127.0.0.1',
): Promise<RunningHandshakeServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {}); // 'close' follows; one client's error is its own
    const reader = createRequestHeadReader();
    const onData = (chunk: Buffer): void => {
      let answer: Buffer;
      try {
        const done = reader.push(chunk);
        if (done === undefined) return; // need more
        const result = validateUpgradeRequest(done.head);
        if (result.ok) {
          socket.off('data', onData);
          socket.pause(); // done.rest and what follows are frames, left unread until exercise 02
          socket.write(buildUpgradeResponse(result));
          return;
        }
        answer = buildRejectResponse(result.status, result.message, result.headers);
      } catch (error) {
        answer = buildRejectResponse(400, (error as Error).message);
      }
      socket.off('data', onData);
      socket.end(answer);
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
