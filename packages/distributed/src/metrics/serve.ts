import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** Defaults of {@link serveMetrics}: loopback only, a free port, Prometheus's usual path. */
export const METRICS_SERVER_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 0,
  path: '/metrics',
});

/** Options of {@link serveMetrics}. */
export interface MetricsServerOptions {
  /**
   * Address to listen on. Metrics tell an attacker a lot (event names, load): keep them on
   * loopback or a private interface. @default '127.0.0.1'
   */
  readonly host?: string;
  /** Port; 0 picks a free one (read it from `address`). @default 0 */
  readonly port?: number;
  /** The one path served; the query string is ignored. @default '/metrics' */
  readonly path?: string;
}

/** A running metrics endpoint. */
export interface MetricsServer {
  /** Where it listens. */
  readonly address: AddressInfo;
  /** `http://<host>:<port><path>`, for a scraper or a test. */
  readonly url: string;
  /** Stops listening and closes open connections; resolves once closed. */
  close(): Promise<void>;
}

/**
 * Serves a prom-client registry in the Prometheus text format: `GET` or `HEAD` on `path` gets
 * 200 with the registry's content type (`text/plain; version=0.0.4; charset=utf-8`), any other
 * path 404, any other method on the path 405 with `Allow: GET, HEAD`, and a registry whose
 * collection fails 500 (the error's message, no stack).
 * @see https://prometheus.io/docs/instrumenting/exposition_formats/
 * @throws rejects with Node's listen error (`EADDRINUSE`, `EACCES`)
 * @example
 * const endpoint = await serveMetrics(metrics.registry);
 * console.log(`scrape ${endpoint.url}`); // http://127.0.0.1:41234/metrics
 */
export async function serveMetrics(
  registry: Registry,
  options: MetricsServerOptions = {},
): Promise<MetricsServer> {
  const d = METRICS_SERVER_DEFAULTS;
  const host = options.host ?? d.host;
  const port = options.port ?? d.port;
  const path = options.path ?? d.path;
  if (!path.startsWith('/'))
    throw new TypeError(`path must start with "/", got ${JSON.stringify(path)}`);

  const server = http.createServer((req, res) => {
    const pathname = (req.url ?? '/').split('?', 1)[0];
    if (pathname !== path) {
      res
        .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
        .end(`not found; metrics are on ${path}\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end();
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, {
          'content-type': registry.contentType,
          'content-length': Buffer.byteLength(text),
          'cache-control': 'no-store',
        });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        res
          .writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
          .end(`collecting metrics failed: ${message}\n`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    address,
    url: `http://${urlHost}:${address.port}${path}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
