// wss://: our client and server over TLS, with a self-signed certificate made by openssl.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { nextEvent, rejectionOf } from '@socketlab/testkit';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  connectWebSocket,
  type WebSocketConnection,
  WebSocketServer,
} from '../../src/connection/index.ts';
import type { WebSocketError } from '../../src/errors.ts';

let dir = '';
let key: Buffer;
let cert: Buffer;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'socketlab-wss-'));
  // An EC key is generated in milliseconds; the certificate names both localhost and 127.0.0.1.
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-days',
      '1',
      '-keyout',
      path.join(dir, 'key.pem'),
      '-out',
      path.join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore', timeout: 10_000 },
  );
  key = readFileSync(path.join(dir, 'key.pem'));
  cert = readFileSync(path.join(dir, 'cert.pem'));
});

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/** An HTTPS server with a WebSocketServer attached, both closed when the test ends. */
async function secureServer(): Promise<{ wss: WebSocketServer; port: number }> {
  const server = https.createServer({ key, cert }, (_req, res) => res.end('https'));
  const wss = new WebSocketServer({ server });
  onTestFinished(async () => {
    await wss.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { wss, port: (server.address() as net.AddressInfo).port };
}

describe('wss://', () => {
  it('exchanges messages and closes over TLS with a trusted certificate', async () => {
    const { wss, port } = await secureServer();
    const accepted = nextEvent<[WebSocketConnection]>(wss, 'connection');
    const client = await connectWebSocket(`wss://127.0.0.1:${port}/secure`, { ca: cert });
    onTestFinished(() => client.terminate());
    const [server] = await accepted;
    server.on('message', (data, isBinary) => server.send(data, { binary: isBinary }));
    const echoed = nextEvent<[Buffer]>(client, 'message');
    client.send('over tls');
    expect((await echoed)[0].toString()).toBe('over tls');
    const closed = nextEvent<[number]>(client, 'close');
    client.close(1000);
    expect((await closed)[0]).toBe(1000);
  });

  it('fails with WEBSOCKET_ERR_CONNECTION when the certificate is not trusted', async () => {
    const { port } = await secureServer();
    const error = (await rejectionOf(
      connectWebSocket(`wss://127.0.0.1:${port}/`),
    )) as WebSocketError;
    expect(error.code).toBe('WEBSOCKET_ERR_CONNECTION');
    expect(error.cause).toBeInstanceOf(Error);
  });
});
