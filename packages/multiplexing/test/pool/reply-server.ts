/**
 * A framed request/response server for the pool's socket tests: it answers each frame with
 * `reply:<frame>`, cuts the connection on the frame `die`, and counts the connections it sees.
 */
import { once } from 'node:events';
import net from 'node:net';
import { FramedSocket } from '@socketlab/tcp-udp';
import { closeServer, withTimeout } from '@socketlab/testkit';
import { onTestFinished } from 'vitest';

export interface ReplyServer {
  readonly port: number;
  /** The server's side of each connection open now. */
  readonly sockets: Set<net.Socket>;
  /** Connections accepted since it started, and the most open at once. */
  readonly counts: { accepted: number; maxOpen: number };
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (port 0 unless a port is given: a restart on the same one); closed when the test ends. */
export async function listenReplyServer(port = 0): Promise<ReplyServer> {
  const sockets = new Set<net.Socket>();
  const counts = { accepted: 0, maxOpen: 0 };
  const server = net.createServer((socket) => {
    counts.accepted++;
    sockets.add(socket);
    counts.maxOpen = Math.max(counts.maxOpen, sockets.size);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    void serve(new FramedSocket(socket));
  });
  const close = (): Promise<void> => closeServer(server, sockets);
  onTestFinished(close);
  server.listen(port, '127.0.0.1');
  await withTimeout(once(server, 'listening'), 'the reply server to listen');
  return { port: (server.address() as net.AddressInfo).port, sockets, counts, close };
}

async function serve(framed: FramedSocket): Promise<void> {
  try {
    for await (const frame of framed) {
      if (frame.toString() === 'die') {
        framed.socket.resetAndDestroy();
        return;
      }
      await framed.send(Buffer.concat([Buffer.from('reply:'), frame]));
    }
  } catch {
    // The client went away: nothing to answer.
  }
}
