// socketlab-ws connect over wss://: --ca trusts a self-signed certificate made by openssl,
// --insecure skips the check, and without either the certificate is refused.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { WebSocketServer } from '../../src/connection/index.ts';
import { startInProcess } from './helpers.ts';

let dir = '';
let certFile = '';

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'socketlab-ws-cli-'));
  certFile = path.join(dir, 'cert.pem');
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
      certFile,
    ],
    { stdio: 'ignore', timeout: 10_000 },
  );
});

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/** An HTTPS server with an echoing WebSocketServer attached; resolves with its wss:// URL. */
async function secureEcho(): Promise<string> {
  const server = https.createServer({
    key: readFileSync(path.join(dir, 'key.pem')),
    cert: readFileSync(certFile),
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
      ...flags.map((f) => (f === 'CERT' ? certFile : f)),
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
