import net from 'node:net';
import type {
  BroadcastServer,
  BroadcastServerOptions,
  ConnectionStats,
  SlowConsumerPolicy,
} from '../../exercises/05-backpressure/exercise.ts';
import { OutboundQueue } from '../../src/broadcast/index.ts';

export type { BroadcastServer, BroadcastServerOptions, ConnectionStats, SlowConsumerPolicy };

/** How long a disconnected slow client gets to read its reason line before it is cut. */
const GOODBYE_TIMEOUT_MS = 10_000;

interface Client {
  readonly socket: net.Socket;
  readonly queue: OutboundQueue;
}

/**
 * The exercise's server on the library's `OutboundQueue` (one bounded queue per connection, the
 * socket's own buffer counted in the mark) and `broadcast`'s outcomes: `'overflow'` under the
 * `'disconnect'` policy closes that client with the reason line.
 */
export async function startBroadcastServer(
  options: BroadcastServerOptions,
  port = 0,
  host = '127.0.0.1',
): Promise<BroadcastServer> {
  const { maxBufferedBytes, policy } = options;
  const clients = new Set<Client>();
  const sockets = new Set<net.Socket>(); // every socket, disconnected ones still saying goodbye
  const reasonLine = `ERROR slow consumer: more than ${maxBufferedBytes} bytes waiting\n`;

  const disconnect = (client: Client): void => {
    clients.delete(client);
    client.queue.clear();
    client.socket.end(reasonLine);
    setTimeout(() => client.socket.destroy(), GOODBYE_TIMEOUT_MS).unref();
  };

  // The socket's own mark (when write() says false) well under ours: Node 22+ defaults to 64 KiB,
  // and a socket that takes the whole mark leaves nothing in the queue for 'drop-oldest' to drop.
  const highWaterMark = Math.max(1, Math.min(16 * 1024, Math.floor(maxBufferedBytes / 4)));
  const server = net.createServer({ highWaterMark }, (socket) => {
    const queue = new OutboundQueue(
      {
        get bufferedAmount() {
          return socket.writableLength;
        },
        send: (data) => socket.write(data),
      },
      { maxBufferedBytes, slowConsumerPolicy: policy },
    );
    const client: Client = { socket, queue };
    clients.add(client);
    sockets.add(socket);
    socket.on('drain', () => queue.flush());
    socket.on('error', () => {}); // a reset client: 'close' follows, and it is forgotten there
    socket.on('close', () => {
      clients.delete(client);
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as net.AddressInfo;

  return {
    port: address.port,
    broadcast(message) {
      for (const client of [...clients]) {
        if (client.queue.send(message) === 'overflow') disconnect(client);
      }
    },
    stats: () =>
      [...clients].map(({ socket, queue }) => ({
        remotePort: socket.remotePort ?? 0,
        queuedBytes: queue.bufferedBytes,
        droppedMessages: queue.droppedMessages,
      })),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
