/**
 * The closing handshake and "fail the WebSocket connection" on a real socket (127.0.0.1, port 0):
 * a raw client does the opening handshake by hand, writes the bytes of each case to this
 * package's WebSocketServer (an echo server, maxPayloadBytes 1024), and prints every byte the
 * server sends back until the server closes TCP. Each case gets its own connection.
 *
 *   pnpm exec tsx --conditions=@socketlab/source examples/lesson-close.ts
 *
 * Used by lessons/framing.md.
 */
import net from 'node:net';
import { encodeFrame, WebSocketServer } from '../src/index.ts';

/** How long one case may take before it is reported as hanging. */
const CASE_TIMEOUT_MS = 5_000;

const hex = (bytes: Uint8Array): string =>
  Buffer.from(bytes)
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');

const key = Buffer.from([0x3c, 0x9a, 0xe1, 0x07]);
const masked = (options: Parameters<typeof encodeFrame>[0]): Buffer =>
  Buffer.concat(encodeFrame({ ...options, mask: key }));

const wss = new WebSocketServer({ port: 0, maxPayloadBytes: 1024 });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
await new Promise<void>((resolve) => wss.once('listening', () => resolve()));

const UPGRADE = [
  'GET / HTTP/1.1',
  `Host: 127.0.0.1:${wss.port}`,
  'Upgrade: websocket',
  'Connection: Upgrade',
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
  'Sec-WebSocket-Version: 13',
  '',
  '',
].join('\r\n');

/** Opens a connection, writes `bytes` after the 101, and resolves with what came back before FIN. */
function exchange(bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(wss.port, '127.0.0.1');
    const received: Buffer[] = [];
    let inHead = true;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no FIN from the server within ${CASE_TIMEOUT_MS} ms`));
    }, CASE_TIMEOUT_MS);
    socket.on('data', (chunk: Buffer) => {
      let rest = chunk;
      if (inHead) {
        const end = chunk.indexOf('\r\n\r\n');
        if (!chunk.subarray(0, end).toString().startsWith('HTTP/1.1 101')) {
          reject(new Error(`not a 101: ${chunk.toString()}`));
        }
        rest = chunk.subarray(end + 4);
        inHead = false;
        socket.write(bytes);
      }
      received.push(rest);
    });
    socket.on('end', () => {
      clearTimeout(timer);
      socket.end();
      resolve(`${hex(Buffer.concat(received))} + FIN`);
    });
    socket.on('error', reject);
    socket.write(UPGRADE);
  });
}

const cases: [string, Buffer][] = [
  [
    'text "Café", then close 1000',
    Buffer.concat([
      masked({ opcode: 1, payload: Buffer.from('Café') }),
      masked({ opcode: 8, payload: Buffer.from([0x03, 0xe8]) }),
    ]),
  ],
  ['close without a code', masked({ opcode: 8 })],
  ['close 4001 (private use)', masked({ opcode: 8, payload: Buffer.from([0x0f, 0xa1]) })],
  ['unmasked text', Buffer.concat(encodeFrame({ opcode: 1, payload: Buffer.from('hi') }))],
  ['RSV1 set, no extension', Buffer.from([0xc1, 0x80, ...key])],
  ['opcode 3 (reserved)', Buffer.from([0x83, 0x80, ...key])],
  ['ping with FIN clear', Buffer.from([0x09, 0x80, ...key])],
  ['ping announcing 126 bytes', Buffer.from([0x89, 0xfe])],
  ['continuation, no message open', masked({ opcode: 0, payload: Buffer.from('x') })],
  [
    'new text while a text is open',
    Buffer.concat([
      masked({ opcode: 1, fin: false, payload: Buffer.from('a') }),
      masked({ opcode: 1, payload: Buffer.from('b') }),
    ]),
  ],
  [
    'text 61 ed a0, FIN clear',
    masked({ opcode: 1, fin: false, payload: Buffer.from([0x61, 0xed, 0xa0]) }),
  ],
  ['4 GiB announced (limit 1024)', Buffer.from([0x82, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, ...key])],
  ['close, 1-byte payload', masked({ opcode: 8, payload: Buffer.from([0x03]) })],
  ['close 1005 on the wire', masked({ opcode: 8, payload: Buffer.from([0x03, 0xed]) })],
];

try {
  for (const [name, bytes] of cases) {
    const shown = hex(bytes);
    const reply = await exchange(bytes);
    console.log(
      `${name.padEnd(32)} ${(shown.length > 35 ? `${shown.slice(0, 32)}…` : shown).padEnd(36)} → ${reply}`,
    );
  }
} finally {
  await wss.close();
}
