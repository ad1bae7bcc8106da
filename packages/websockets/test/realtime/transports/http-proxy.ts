/**
 * A small HTTP reverse proxy for the transport tests (node:http + node:net): it forwards plain
 * HTTP requests to one of several backends, and either forwards or refuses the WebSocket upgrade,
 * as a corporate proxy that only speaks plain HTTP does. It records what it answered.
 */
import http from 'node:http';
import net from 'node:net';
import { listenOnFreePort } from '@socketlab/testkit';
import { onTestFinished } from 'vitest';

export interface ProxiedResponse {
  readonly method: string;
  readonly url: string;
  readonly backend: number;
  readonly status: number;
  readonly body: string;
}

export interface HttpProxyOptions {
  /** Backend ports. */
  readonly backends: readonly number[];
  /** Forward `Upgrade: websocket` requests (true), or answer them 403 and close (false). */
  readonly allowUpgrade: boolean;
  /** Which backend a request goes to. @default round robin */
  readonly route?: (request: http.IncomingMessage, next: () => number) => number;
  /** Sees every complete response (a balancer learns which backend issued a sid here). */
  readonly onResponse?: (response: ProxiedResponse) => void;
}

export interface HttpProxy {
  readonly port: number;
  readonly responses: ProxiedResponse[];
  /** Upgrade requests refused. */
  readonly refusedUpgrades: number;
  /** Upgrades forwarded, with the backend each went to. */
  readonly upgrades: number[];
  close(): Promise<void>;
}

/** Bodies are buffered whole (the tests' are small); past this a response is cut off with 502. */
const MAX_BODY_BYTES = 1 << 20;

export async function startHttpProxy(options: HttpProxyOptions): Promise<HttpProxy> {
  let turn = 0;
  const next = (): number => turn++ % options.backends.length;
  const pick = (request: http.IncomingMessage): number =>
    options.route ? options.route(request, next) : next();
  const responses: ProxiedResponse[] = [];
  const upgrades: number[] = [];
  let refusedUpgrades = 0;
  const tunnels = new Set<net.Socket>();
  const agent = new http.Agent({ keepAlive: true });

  const server = http.createServer((request, response) => {
    const backend = pick(request);
    const upstream = http.request(
      {
        agent,
        host: '127.0.0.1',
        port: options.backends[backend],
        method: request.method,
        path: request.url,
        headers: request.headers,
      },
      (answer) => {
        const chunks: Buffer[] = [];
        let size = 0;
        answer.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) answer.destroy(new Error('body too large for the test proxy'));
          else chunks.push(chunk);
        });
        answer.on('error', () => {
          if (!response.headersSent) response.writeHead(502);
          response.end();
        });
        answer.on('end', () => {
          const body = Buffer.concat(chunks);
          const record = {
            method: request.method ?? '',
            url: request.url ?? '',
            backend,
            status: answer.statusCode ?? 0,
            body: body.toString('utf8', 0, Math.min(body.length, 500)),
          };
          responses.push(record);
          options.onResponse?.(record);
          const headers = { ...answer.headers };
          delete headers['transfer-encoding'];
          headers['content-length'] = String(body.length);
          response.writeHead(record.status, headers);
          response.end(body);
        });
      },
    );
    upstream.on('error', () => {
      if (!response.headersSent) response.writeHead(502);
      response.end();
    });
    request.pipe(upstream);
  });

  server.on('upgrade', (request: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    socket.on('error', () => {});
    if (!options.allowUpgrade) {
      refusedUpgrades++;
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const backend = pick(request);
    upgrades.push(backend);
    const upstream = net.connect({ host: '127.0.0.1', port: options.backends[backend] ?? 0 });
    tunnels.add(socket);
    tunnels.add(upstream);
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => {
      upstream.destroy();
      tunnels.delete(socket);
    });
    upstream.on('close', () => {
      socket.destroy();
      tunnels.delete(upstream);
    });
    upstream.on('connect', () => {
      const lines = [`${request.method} ${request.url} HTTP/1.1`];
      for (let i = 0; i < request.rawHeaders.length; i += 2) {
        lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
      }
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
  });

  const { port } = await listenOnFreePort(server as unknown as net.Server);
  const proxy: HttpProxy = {
    port,
    responses,
    get refusedUpgrades() {
      return refusedUpgrades;
    },
    upgrades,
    async close() {
      for (const socket of tunnels) socket.destroy();
      tunnels.clear();
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  onTestFinished(() => proxy.close());
  return proxy;
}
