/**
 * A wss:// echo server: Node's HTTPS server does TLS, and this package's WebSocketServer, attached
 * to it, answers the upgrades that arrive inside the TLS connection. It prints its URL on stdout
 * and stops on Ctrl-C (SIGINT) or SIGTERM, closing every client with 1001.
 *
 *   pnpm exec tsx --conditions=@socketlab/source examples/lesson-wss.ts \
 *     --cert cert.pem --key key.pem [--port 8443] [--host 127.0.0.1]
 *
 * Used by lessons/tls.md. (`socketlab-ws echo` speaks ws:// only: TLS is this file's job.)
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type net from 'node:net';
import { parseArgs } from 'node:util';
import { WebSocketServer } from '../src/index.ts';

const { values } = parseArgs({
  options: {
    cert: { type: 'string' },
    key: { type: 'string' },
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});
if (values.cert === undefined || values.key === undefined) {
  console.error('usage: lesson-wss.ts --cert cert.pem --key key.pem [--port N] [--host H]');
  process.exit(2);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  throw new RangeError(`--port must be 0 to 65535, got ${values.port}`);
}

const server = https.createServer(
  {
    // The certificate file may hold the chain: the server's certificate first, then the
    // intermediates. The key never leaves this process.
    cert: readFileSync(values.cert),
    key: readFileSync(values.key),
    // ALPN (RFC 7301): offer HTTP/1.1, the only HTTP version an RFC 6455 upgrade works in.
    ALPNProtocols: ['http/1.1'],
  },
  (_req, res) => {
    res.writeHead(426, { Upgrade: 'websocket', 'Content-Type': 'text/plain' });
    res.end('this is a WebSocket endpoint: connect with wss://\n');
  },
);
server.on('tlsClientError', (err) => console.error(`TLS handshake failed: ${err.message}`));
const wss = new WebSocketServer({ server });
let clients = 0;
wss.on('connection', (ws, request) => {
  const id = ++clients;
  console.error(`#${id} connected: ${request.method} ${request.target}`);
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('close', (code) => console.error(`#${id} closed: code ${code}`));
});
server.listen(port, values.host, () => {
  const address = server.address() as net.AddressInfo;
  console.log(`wss://${values.host}:${address.port}/`);
});

async function stop(): Promise<void> {
  await wss.close();
  server.closeAllConnections();
  server.close();
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
