import type { RunningEchoServer } from '../../exercises/04-echo-server/exercise.ts';
import { type WebSocketConnection, WebSocketServer } from '../../src/connection/index.ts';

export type { RunningEchoServer };

/**
 * The echo server on this package's `WebSocketServer`: the handshake, the frame parser, pings
 * and the closing handshake are the library's; the only code here sends each message back as it
 * came. (`socketlab-ws echo` is the same server as a command.)
 */
export async function startEchoServer(port = 0, host = '127.0.0.1'): Promise<RunningEchoServer> {
  const wss = new WebSocketServer({ port, host });
  wss.on('connection', (ws: WebSocketConnection) => {
    ws.on('error', () => {}); // a bad peer's failure is its own: the library closes it with the right code
    ws.on('message', (data, isBinary) => {
      if (ws.readyState === 1) ws.send(data, { binary: isBinary });
    });
  });
  await new Promise<void>((resolve, reject) => {
    wss.once('error', reject);
    wss.once('listening', () => {
      wss.off('error', reject);
      resolve();
    });
  });
  return {
    port: wss.port,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      await wss.close();
    },
  };
}
