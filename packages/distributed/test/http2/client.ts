/** A small `node:http2` client for the HTTP/2 tests: one session, requests on it, bodies in full. */
import http2 from 'node:http2';
import { withTimeout } from '@socketlab/testkit';
import { onTestFinished } from 'vitest';
import { type H2ServerOptions, listenH2 } from '../../src/http2/index.ts';

export interface H2Reply {
  readonly status: number;
  readonly headers: http2.IncomingHttpHeaders;
  /** 1xx header blocks that came before the final one (103 Early Hints). */
  readonly informational: http2.IncomingHttpHeaders[];
  readonly body: string;
  /** The RST_STREAM code the stream closed with (0: NO_ERROR or a plain end). */
  readonly rstCode: number;
}

/** Opens a session to `origin`, closed when the test ends. */
export async function openSession(
  origin: string,
  options: http2.SecureClientSessionOptions = {},
): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(origin, options);
  onTestFinished(() => {
    session.destroy();
  });
  session.on('error', () => {});
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      session.once('remoteSettings', () => resolve());
      session.once('error', reject);
    }),
    `the SETTINGS of ${origin}`,
  );
  return session;
}

/** Sends one request on `session` and reads the whole response. */
export function request(
  session: http2.ClientHttp2Session,
  path: string,
  options: { method?: string; body?: Uint8Array | string } = {},
): Promise<H2Reply> {
  const stream = session.request({ ':path': path, ':method': options.method ?? 'GET' });
  const informational: http2.IncomingHttpHeaders[] = [];
  stream.on('headers', (headers) => informational.push(headers));
  let headers: http2.IncomingHttpHeaders = {};
  stream.on('response', (h) => {
    headers = h;
  });
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('error', () => {}); // a reset shows in rstCode
  if (options.body !== undefined) stream.end(options.body);
  else stream.end();
  return withTimeout(
    new Promise<H2Reply>((resolve) => {
      stream.once('close', () =>
        resolve({
          status: Number(headers[':status'] ?? 0),
          headers,
          informational,
          body: Buffer.concat(chunks).toString(),
          rstCode: stream.rstCode ?? 0,
        }),
      );
    }),
    `the response to ${path}`,
  );
}

/** Starts `listenH2`, closed when the test ends. */
export async function serve(options: H2ServerOptions) {
  const server = await listenH2(options);
  onTestFinished(() => server.close());
  return server;
}
