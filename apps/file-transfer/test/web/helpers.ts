// What the web receiver's tests share: a receiver on 127.0.0.1, port 0, over a temp folder
// (closed when the test ends), files of random bytes, their SHA-256, and a raw upload
// WebSocket for tests that speak the protocol by hand.
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir, withTimeout } from '@socketlab/testkit';
import { connectWebSocket, type WebSocketConnection } from '@socketlab/websockets';
import { onTestFinished } from 'vitest';
import {
  startWebReceiver,
  UPLOAD_PATH,
  type WebReceiver,
  type WebReceiverEvent,
  type WebReceiverOptions,
} from '../../src/web/index.ts';
import { parseServerMessage, type ServerMessage } from '../../src/web/protocol.ts';

export const CI = process.env.CI === 'true';
/** How long one step may take. */
export const WAIT_MS = CI ? 15_000 : 6_000;

export interface TestReceiver extends WebReceiver {
  dir: string;
  events: WebReceiverEvent[];
}

/** A receiver over a fresh temp folder; closed when the test ends. */
export async function startTestReceiver(
  options: Partial<WebReceiverOptions> = {},
): Promise<TestReceiver> {
  const dir = options.dir ?? (await tempDir('socketlab-ft-web-'));
  const events: WebReceiverEvent[] = [];
  const receiver = await startWebReceiver({
    ...options,
    dir,
    onEvent: (event) => {
      events.push(event);
      options.onEvent?.(event);
    },
  });
  onTestFinished(() => withTimeout(receiver.close(), 'the receiver to close', WAIT_MS));
  return Object.assign(receiver, { dir, events });
}

/** A file of `size` random bytes in a fresh temp folder, and its SHA-256. */
export async function randomFile(
  name: string,
  size: number,
): Promise<{ path: string; sha256: string; bytes: Buffer }> {
  const dir = await tempDir('socketlab-ft-src-');
  const bytes = randomBytes(size);
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  return { path: file, sha256: sha256(bytes), bytes };
}

export const sha256 = (bytes: Uint8Array): string =>
  createHash('sha256').update(bytes).digest('hex');

export const sha256OfFile = async (file: string): Promise<string> => sha256(await readFile(file));

/** A raw upload WebSocket: send by hand, and read the receiver's messages in order. */
export async function rawUpload(receiver: WebReceiver): Promise<{
  ws: WebSocketConnection;
  next(): Promise<ServerMessage>;
  closed: Promise<number>;
}> {
  const ws = await connectWebSocket(new URL(UPLOAD_PATH, receiver.url.replace(/^http/, 'ws')));
  onTestFinished(() => ws.terminate());
  ws.on('error', () => {});
  const queue: ServerMessage[] = [];
  const waiters: ((m: ServerMessage) => void)[] = [];
  ws.on('message', (data) => {
    const m = parseServerMessage(data.toString('utf8'));
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  const next = () =>
    withTimeout(
      new Promise<ServerMessage>((resolve) => {
        const m = queue.shift();
        if (m) resolve(m);
        else waiters.push(resolve);
      }),
      "the receiver's next message",
      WAIT_MS,
    );
  return { ws, next, closed };
}
