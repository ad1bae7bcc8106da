/**
 * A raw Engine.IO peer for hostile-input tests: a plain WebSocket (the `ws` library) to
 * `/socket.io/?EIO=4&transport=websocket`, or bare HTTP long-polling requests, that sends any
 * text or bytes it is given and records what comes back. Engine.IO v4 packets are one digit (0
 * open, 1 close, 2 ping, 3 pong, 4 message, 5 upgrade, 6 noop) then data; a Socket.IO packet
 * rides in a message: `4` + its own type digit (0 connect, 1 disconnect, 2 event, 3 ack, 4
 * connect_error, 5 binary event, 6 binary ack), then `<attachments>-` for binary ones, an
 * optional namespace, an optional ack id, and JSON.
 * @see https://socket.io/docs/v4/engine-io-protocol/
 * @see https://socket.io/docs/v4/socket-io-protocol/
 */
import { withTimeout } from '@socketlab/testkit';
import { onTestFinished } from 'vitest';
import WebSocket from 'ws';

export interface RawEngineSocket {
  readonly ws: WebSocket;
  /** Text messages received so far, the open packet first. */
  readonly received: string[];
  /** Resolves with the close code once the server closed the connection. */
  readonly closed: Promise<number>;
  /** Whether the server closed it. */
  isClosed(): boolean;
  /** Resolves with the first received message that `match` accepts (or rejects on close/timeout). */
  next(match: (message: string) => boolean, what: string, ms?: number): Promise<string>;
}

/** Opens a raw Engine.IO WebSocket; with `join`, also joins the main namespace (`40` → `40{sid}`). */
export async function openRawEngine(port: number, { join = true } = {}): Promise<RawEngineSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
  onTestFinished(() => ws.terminate());
  ws.on('error', () => {}); // a server that drops us is what several tests expect
  const received: string[] = [];
  const waiters = new Set<() => void>();
  let closed = false;
  const closedPromise = new Promise<number>((resolve) =>
    ws.once('close', (code) => {
      closed = true;
      for (const wake of waiters) wake();
      resolve(code);
    }),
  );
  ws.on('message', (data, isBinary) => {
    received.push(isBinary ? `<binary ${(data as Buffer).length} bytes>` : String(data));
    for (const wake of waiters) wake();
  });
  const socket: RawEngineSocket = {
    ws,
    received,
    closed: closedPromise,
    isClosed: () => closed,
    next(match, what, ms = 5_000) {
      return withTimeout(
        new Promise<string>((resolve, reject) => {
          let seen = 0;
          const check = (): void => {
            for (; seen < received.length; seen++) {
              const message = received[seen] as string;
              if (match(message)) {
                waiters.delete(check);
                resolve(message);
                return;
              }
            }
            if (closed) {
              waiters.delete(check);
              reject(new Error(`closed before ${what}; received ${JSON.stringify(received)}`));
            }
          };
          waiters.add(check);
          check();
        }),
        what,
        ms,
      );
    },
  };
  await socket.next((m) => m.startsWith('0{'), 'the Engine.IO open packet');
  if (join) {
    ws.send('40');
    await socket.next((m) => m.startsWith('40{'), 'the namespace connect answer');
  }
  return socket;
}

/** Bare long-polling: a handshake, the namespace joined, and POSTs of any body. */
export async function openRawPolling(port: number): Promise<{
  sid: string;
  post(body: string | Uint8Array): Promise<number>;
  get(): Promise<{ status: number; text: string }>;
}> {
  const base = `http://127.0.0.1:${port}/socket.io/?EIO=4&transport=polling`;
  const open = await withTimeout(
    fetch(base).then((r) => r.text()),
    'the polling handshake',
  );
  const sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
  const url = `${base}&sid=${encodeURIComponent(sid)}`;
  const post = async (body: string | Uint8Array): Promise<number> => {
    const response = await withTimeout(
      fetch(url, {
        method: 'POST',
        body: typeof body === 'string' ? body : new Blob([Buffer.from(body)]),
      }),
      'a polling POST',
    );
    await response.arrayBuffer();
    return response.status;
  };
  const get = async (): Promise<{ status: number; text: string }> => {
    const response = await withTimeout(fetch(url), 'a polling GET');
    return { status: response.status, text: await response.text() };
  };
  if ((await post('40')) !== 200) throw new Error('the polling namespace connect was refused');
  const joined = await get();
  if (!joined.text.startsWith('40{')) throw new Error(`unexpected connect answer ${joined.text}`);
  return { sid, post, get };
}
