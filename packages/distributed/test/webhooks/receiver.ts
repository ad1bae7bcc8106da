/** A webhook receiver on a real socket (127.0.0.1, port 0) whose answer each test chooses. */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';

/** One request as it arrived: headers and the raw body bytes. */
export interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Answers the `n`th request (from 1): a status, or `'hang'` to never answer. */
export type Answer = (n: number, request: Received, res: ServerResponse) => number | 'hang';

export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  /** Emits `request` (Received, n) once each request's body has arrived. */
  readonly events: EventEmitter;
}

export async function startReceiver(answer: Answer): Promise<Receiver> {
  const received: Received[] = [];
  const events = new EventEmitter();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { headers: req.headers, body: Buffer.concat(chunks) };
      const n = received.push(request);
      const status = answer(n, request, res);
      if (status !== 'hang') res.writeHead(status).end();
      events.emit('request', request, n);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks`, received, events };
}
