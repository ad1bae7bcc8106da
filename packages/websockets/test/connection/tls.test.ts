// wss://: our client and server over TLS, with a self-signed certificate made by openssl.
import https from 'node:https';
import type net from 'node:net';
import { nextEvent, rejectionOf } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  connectWebSocket,
  type WebSocketConnection,
  WebSocketServer,
} from '../../src/connection/index.ts';
import type { WebSocketError } from '../../src/errors.ts';
import { selfSignedCertificate } from '../helpers/self-signed.ts';

const tls = selfSignedCertificate();

/** An HTTPS server with a WebSocketServer attached, both closed when the test ends. */
async function secureServer(): Promise<{ wss: WebSocketServer; port: number }> {
  const server = https.createServer({ key: tls.key, cert: tls.cert }, (_req, res) =>
    res.end('https'),
  );
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
    const client = await connectWebSocket(`wss://127.0.0.1:${port}/secure`, { ca: tls.cert });
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
