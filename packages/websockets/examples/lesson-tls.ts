/**
 * TLS under a WebSocket, on 127.0.0.1: a wss:// echo server (Node's HTTPS server with this
 * package's WebSocketServer attached) made with the certificate and key given, then
 *
 *   1. a plain `tls.connect` socket: what the handshake agreed, and the upgrade written by hand;
 *   2. `connectWebSocket` with and without `ca`, with a wrong `servername`, and with
 *      `rejectUnauthorized: false`: which connect, and the error code of those that do not;
 *   3. the flights of a wss:// connection through a relay that logs each burst of bytes, for
 *      TLS 1.2 and TLS 1.3: how many round trips pass before the 101 arrives.
 *
 *   pnpm exec tsx --conditions=@socketlab/source examples/lesson-tls.ts \
 *     --cert cert.pem --key key.pem --ca ca.pem
 *
 * (`--ca` is the certificate the client trusts: the self-signed certificate itself, or the CA
 * that signed `--cert`.) Used by lessons/tls.md.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { parseArgs } from 'node:util';
import { connectWebSocket, type WebSocketError, WebSocketServer } from '../src/index.ts';

/** The bound on every single wait: this example never hangs. */
const WAIT_MS = 5_000;

const { values } = parseArgs({
  options: {
    cert: { type: 'string' },
    key: { type: 'string' },
    ca: { type: 'string' },
  },
});
if (values.cert === undefined || values.key === undefined || values.ca === undefined) {
  console.error('usage: lesson-tls.ts --cert cert.pem --key key.pem --ca ca.pem');
  process.exit(2);
}
const cert = readFileSync(values.cert);
const key = readFileSync(values.key);
const ca = readFileSync(values.ca);

/** Rejects after WAIT_MS: a watchdog on one step. */
function bounded<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const watchdog = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${WAIT_MS} ms`)), WAIT_MS);
  });
  return Promise.race([promise, watchdog]).finally(() => clearTimeout(timer));
}

/** A wss:// echo server offering at most `maxVersion`; resolves with it and its port. */
async function startServer(
  maxVersion: tls.SecureVersion,
): Promise<{ close: () => Promise<void>; port: number }> {
  const server = https.createServer({ cert, key, maxVersion, ALPNProtocols: ['http/1.1'] });
  server.on('tlsClientError', () => {}); // the refused clients below close mid-handshake
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (data, binary) => ws.send(data, { binary })));
  server.listen(0, '127.0.0.1');
  await bounded(once(server, 'listening'), 'listen');
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      await wss.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const UPGRADE = (host: string) =>
  [
    'GET /by-hand HTTP/1.1',
    `Host: ${host}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    '',
    '',
  ].join('\r\n');

const server = await startServer('TLSv1.3');
try {
  console.log('— 1. a tls.connect socket');
  const socket = tls.connect({
    host: '127.0.0.1',
    port: server.port,
    servername: 'localhost',
    ca,
    ALPNProtocols: ['http/1.1'],
  });
  await bounded(once(socket, 'secureConnect'), 'TLS handshake');
  const peer = socket.getPeerCertificate();
  console.log(`authorized:     ${socket.authorized}`);
  console.log(`protocol:       ${socket.getProtocol()}, cipher ${socket.getCipher().name}`);
  console.log(`ALPN:           ${socket.alpnProtocol}`);
  console.log(`certificate:    subject CN=${peer.subject.CN}, issuer CN=${peer.issuer.CN}`);
  console.log(`                ${peer.subjectaltname}`);
  socket.write(UPGRADE(`localhost:${server.port}`));
  const [answer] = (await bounded(once(socket, 'data'), '101')) as [Buffer];
  console.log(`upgrade answer: ${answer.toString().split('\r\n')[0]}`);
  socket.destroy();

  console.log('— 2. connectWebSocket');
  const attempts: [string, string, Parameters<typeof connectWebSocket>[1]][] = [
    ['wss://localhost, no ca', 'localhost', {}],
    ['wss://localhost, ca', 'localhost', { ca }],
    ['wss://127.0.0.1, ca', '127.0.0.1', { ca }],
    [
      "wss://127.0.0.1, ca, servername 'example.com'",
      '127.0.0.1',
      { ca, servername: 'example.com' },
    ],
    ['wss://localhost, rejectUnauthorized: false', 'localhost', { rejectUnauthorized: false }],
  ];
  for (const [label, host, options] of attempts) {
    let result: string;
    try {
      const ws = await connectWebSocket(`wss://${host}:${server.port}/`, options);
      const echoed = bounded(once(ws, 'message'), 'echo');
      ws.send('over tls');
      result = `connected, echo "${String((await echoed)[0])}"`;
      ws.close(1000);
      await bounded(once(ws, 'close'), 'close');
    } catch (err) {
      const cause = (err as WebSocketError).cause as NodeJS.ErrnoException | undefined;
      result = `${(err as WebSocketError).code}, cause ${cause?.code}`;
    }
    console.log(`${label.padEnd(48)} ${result}`);
  }
} finally {
  await server.close();
}

console.log('— 3. flights until the 101 (→ client to server, ← server to client)');
for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
  const target = await startServer(version);
  // A relay between client and server that logs each burst of bytes in one direction.
  const flights: string[] = [];
  const log = (arrow: string, bytes: number): void => {
    const last = flights.at(-1);
    if (last?.startsWith(arrow)) {
      flights[flights.length - 1] = `${arrow} ${Number(last.slice(2)) + bytes}`;
    } else {
      flights.push(`${arrow} ${bytes}`);
    }
  };
  const relay = net.createServer((inbound) => {
    const outbound = net.connect(target.port, '127.0.0.1');
    inbound.on('data', (chunk: Buffer) => {
      log('→', chunk.length);
      outbound.write(chunk);
    });
    outbound.on('data', (chunk: Buffer) => {
      log('←', chunk.length);
      inbound.write(chunk);
    });
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
  });
  relay.listen(0, '127.0.0.1');
  await bounded(once(relay, 'listening'), 'relay');
  const relayPort = (relay.address() as net.AddressInfo).port;
  try {
    const ws = await bounded(
      connectWebSocket(`wss://localhost:${relayPort}/`, { ca }),
      `${version} connect`,
    );
    const upTo101 = flights.map((f) => `${f} B`).join(', ');
    const roundTrips = flights.filter((f) => f.startsWith('←')).length;
    console.log(`${version}: TCP handshake, then ${upTo101}`);
    console.log(`         ${roundTrips} round trips over TCP's one before the 101 is read`);
    ws.terminate();
  } finally {
    relay.close();
    await target.close();
  }
}
