// permessage-deflate (RFC 7692) on real sockets: our server and client, raw peers, and `ws`.
import { randomFillSync } from 'node:crypto';
import type net from 'node:net';
import zlib from 'node:zlib';
import { nextEvent, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket, { WebSocketServer as WsServer } from 'ws';
import {
  connectWebSocket,
  type WebSocketConnection,
  type WebSocketServer,
} from '../../src/connection/index.ts';
import type { PerMessageDeflateOptions } from '../../src/extensions/index.ts';
import { closeOf, connectPair, startServer } from './peers.ts';

/** Compresses as a permessage-deflate sender does: raw DEFLATE, sync flush, tail stripped. */
function deflateMessage(data: Buffer): Buffer {
  const out = zlib.deflateRawSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  expect(out.subarray(out.length - 4).equals(Buffer.from([0, 0, 0xff, 0xff]))).toBe(true);
  return out.subarray(0, out.length - 4);
}

/** A server echoing every message, with permessage-deflate on. */
async function echoServer(
  perMessageDeflate: boolean | PerMessageDeflateOptions = true,
  extra: Parameters<typeof startServer>[0] = {},
): Promise<WebSocketServer> {
  const wss = await startServer({ perMessageDeflate, ...extra });
  wss.on('connection', (ws) =>
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })),
  );
  return wss;
}

/** Sends each message and checks the echo comes back equal, in order. */
async function expectEchoes(
  client: WebSocketConnection,
  messages: readonly (readonly [Buffer, boolean])[],
): Promise<void> {
  const received: [Buffer, boolean][] = [];
  const all = withTimeout(
    new Promise<void>((resolve) => {
      const onMessage = (data: Buffer, isBinary: boolean): void => {
        received.push([data, isBinary]);
        if (received.length === messages.length) {
          client.off('message', onMessage);
          resolve();
        }
      };
      client.on('message', onMessage);
    }),
    `${messages.length} echoes`,
  );
  for (const [data, binary] of messages) client.send(data, { binary });
  await all;
  for (const [i, [data, binary]] of messages.entries()) {
    const [got, isBinary] = received[i] as [Buffer, boolean];
    expect(isBinary, `message ${i}`).toBe(binary);
    expect(got.equals(data), `message ${i} (${data.length} bytes)`).toBe(true);
  }
}

const TEXT = Buffer.from('permessage-deflate ✓ '.repeat(200));
const MIB = 1024 * 1024;

describe('our client and our server with permessage-deflate', () => {
  it('negotiates it and echoes text and binary, small and 1 MiB, in order', async () => {
    const wss = await echoServer();
    const { client, server } = await connectPair(wss, { perMessageDeflate: true });
    expect(client.extensions).toBe('permessage-deflate');
    expect(server.extensions).toBe(client.extensions);
    const random = randomFillSync(Buffer.alloc(MIB));
    const zeros = Buffer.alloc(MIB);
    await expectEchoes(client, [
      [Buffer.from('tiny'), false],
      [TEXT, false],
      [random, true],
      [Buffer.from([1, 2, 3]), true],
      [zeros, true],
      [Buffer.from(TEXT.toString().repeat(300)), false],
      [Buffer.alloc(0), true],
    ]);
  });
});
