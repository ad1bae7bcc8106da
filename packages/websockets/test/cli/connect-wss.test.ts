// socketlab-ws connect over wss://: --ca trusts a self-signed certificate made by openssl,
// --insecure skips the check, and without either the certificate is refused.
import https from 'node:https';
import type net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { WebSocketServer } from '../../src/connection/index.ts';
import { selfSignedCertificate } from '../helpers/self-signed.ts';
import { startInProcess } from './helpers.ts';

const tls = selfSignedCertificate();

/** An HTTPS server with an echoing WebSocketServer attached; resolves with its wss:// URL. */
async function secureEcho(): Promise<string> {
  const server = https.createServer({
    key: tls.key,
    cert: tls.cert,
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) =>
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })),
  );
  onTestFinished(async () => {
    await wss.close();
    await new Promise((resolve) => server.close(resolve));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `wss://127.0.0.1:${(server.address() as net.AddressInfo).port}/`;
}

describe('socketlab-ws connect over wss', () => {
  it.each([['--ca', 'CERT'], ['--insecure']])('echoes with %s', async (...flags) => {
    const url = await secureEcho();
    const run = startInProcess([
      'connect',
      url,
      ...flags.map((f) => (f === 'CERT' ? tls.certFile : f)),
    ]);
    run.stdin.end('secret\n');
    expect(await run.exited()).toBe(0);
    expect(run.printed.out).toBe('secret\n');
  });

  it('exits 1 when the certificate does not verify', async () => {
    const url = await secureEcho();
    const run = startInProcess(['connect', url]);
    expect(await run.exited()).toBe(1);
    expect(run.printed.err).toContain('[WEBSOCKET_ERR_CONNECTION]');
    expect(run.printed.err).toMatch(/self[- ]signed/i);
  });
});
