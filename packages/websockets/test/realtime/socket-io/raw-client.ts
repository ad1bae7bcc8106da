import { once } from 'node:events';
import { withTimeout } from '@socketlab/testkit';
import { onTestFinished } from 'vitest';
import WebSocket from 'ws';

/**
 * A hostile (or just hand-driven) Socket.IO peer: a bare WebSocket speaking the Engine.IO and
 * Socket.IO protocols by hand, so a test can send what socket.io-client never would.
 */
export interface RawSocketIoClient {
  /** Every text message received so far, in order (Engine.IO packets, e.g. `40{"sid":…}`). */
  readonly received: string[];
  /** Resolves when the WebSocket has closed (from either side). */
  readonly closed: Promise<void>;
  send(packet: string): void;
  /** Resolves with the first received packet (already here or to come) that `match` accepts. */
  next(match: (packet: string) => boolean, what: string, ms?: number): Promise<string>;
  close(): void;
}

/** Opens `ws://127.0.0.1:port/socket.io/?EIO=4&transport=websocket` and joins namespace `/`. */
export async function connectRawClient(port: number): Promise<RawSocketIoClient> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
  onTestFinished(() => ws.terminate());
  const received: string[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data, isBinary) => {
    const text = isBinary ? `<binary ${(data as Buffer).length} bytes>` : String(data);
    if (text === '2') ws.send('3'); // answer Engine.IO pings like any client
    received.push(text);
    for (const wake of waiters) wake();
  });
  ws.on('error', () => {});
  const closed = once(ws, 'close').then(() => {});
  await withTimeout(once(ws, 'open'), 'the raw WebSocket to open');
  const client: RawSocketIoClient = {
    received,
    closed,
    send: (packet) => ws.send(packet),
    next(match, what, ms) {
      let from = 0;
      const found = new Promise<string>((resolve) => {
        const look = (): void => {
          for (; from < received.length; from++) {
            const packet = received[from] as string;
            if (match(packet)) {
              waiters.delete(look);
              resolve(packet);
              return;
            }
          }
        };
        waiters.add(look);
        look();
      });
      return withTimeout(found, what, ms);
    },
    close: () => ws.close(),
  };
  await client.next((p) => p.startsWith('0{'), 'the Engine.IO open packet');
  client.send('40');
  await client.next((p) => p.startsWith('40{'), 'the Socket.IO connect answer');
  return client;
}
