/**
 * The page's upload, from Node: a file sent to a web receiver over stage 4's WebSocket client
 * with the same protocol, window and hashing as the page. Used by the tests and the benchmark,
 * and by anyone scripting a web receiver.
 */
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { connectWebSocket, type WebSocketConnection } from '@socketlab/websockets';
import {
  DEFAULT_CHUNK_BYTES,
  parseServerMessage,
  type ServerMessage,
  UPLOAD_PATH,
  WebTransferError,
} from './protocol.ts';

/** Options of {@link uploadFile}. */
export interface UploadFileOptions {
  /** The name the receiver stores it under. @default the file's base name */
  name?: string;
  /** The receiver's code phrase, if it has one. */
  code?: string;
  /** Stop after sending this many bytes (and close): leaves a partial, for tests. */
  stopAfterBytes?: number;
}

/** What {@link uploadFile} did. */
export interface UploadFileResult {
  name: string;
  size: number;
  sha256: string;
  /** Where the receiver said to start (0, or the bytes it already had). */
  offset: number;
  /** False when `stopAfterBytes` stopped it. */
  done: boolean;
}

/**
 * The page's upload id for a file: SHA-256 of its name, size, date and first 64 KiB.
 * @example uploadId('a.bin', 3, 0, new Uint8Array([1, 2, 3]))
 */
export function uploadId(
  name: string,
  size: number,
  lastModified: number,
  head: Uint8Array,
): string {
  return createHash('sha256')
    .update(`${name}\0${size}\0${lastModified}\0`)
    .update(head)
    .digest('hex');
}

/** Receives server messages in order; each `next()` waits for the next one. */
function messagesOf(ws: WebSocketConnection) {
  const queue: ServerMessage[] = [];
  let waiting: ((m: ServerMessage | Error) => void) | undefined;
  let failure: Error | undefined;
  const deliver = (m: ServerMessage | Error) => {
    if (m instanceof Error) failure ??= m;
    const w = waiting;
    waiting = undefined;
    if (w) w(m);
    else if (!(m instanceof Error)) queue.push(m);
  };
  ws.on('message', (data, isBinary) => {
    try {
      if (isBinary)
        throw new WebTransferError('FT_WEB_ERR_BAD_MESSAGE', 'binary from the receiver');
      const m = parseServerMessage(data.toString('utf8'));
      deliver(m.type === 'error' ? new WebTransferError(m.code, m.message) : m);
    } catch (error) {
      deliver(error as Error);
    }
  });
  ws.on('error', (error) => deliver(error));
  ws.on('close', (code) => deliver(new Error(`the receiver closed the connection (${code})`)));
  return async (): Promise<ServerMessage> => {
    const m =
      queue.shift() ??
      failure ??
      (await new Promise<ServerMessage | Error>((resolve) => {
        waiting = resolve;
      }));
    if (m instanceof Error) throw m;
    return m;
  };
}

/**
 * Uploads one file to a web receiver at `baseUrl` (`http://host:port/`), resuming where the
 * receiver's partial file ends.
 * @throws {WebTransferError} with the receiver's code when it refuses.
 */
export async function uploadFile(
  baseUrl: string,
  file: string,
  options: UploadFileOptions = {},
): Promise<UploadFileResult> {
  const { size, mtimeMs } = await stat(file);
  const name = options.name ?? path.basename(file);
  const handle = await open(file, 'r');
  const ws = await connectWebSocket(new URL(UPLOAD_PATH, baseUrl.replace(/^http/, 'ws')));
  try {
    const head = Buffer.alloc(Math.min(size, 64 * 1024));
    await handle.read(head, 0, head.length, 0);
    const next = messagesOf(ws);
    const id = uploadId(name, size, Math.floor(mtimeMs), head);
    ws.send(
      JSON.stringify({
        type: 'begin',
        id,
        name,
        size,
        ...(options.code === undefined ? {} : { code: options.code }),
      }),
    );
    const ready = await next();
    if (ready.type !== 'ready') throw new Error(`expected "ready", got ${ready.type}`);
    const hash = createHash('sha256');
    const buffer = Buffer.alloc(Math.min(ready.chunkBytes, DEFAULT_CHUNK_BYTES * 4));
    // Re-hash what the receiver already has, then send the rest within the window.
    let position = 0;
    while (position < ready.offset) {
      const { bytesRead } = await handle.read(
        buffer,
        0,
        Math.min(buffer.length, ready.offset - position),
        position,
      );
      if (bytesRead === 0) throw new Error('the file shrank');
      hash.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
    let acked = position;
    const limit = Math.min(size, options.stopAfterBytes ?? size);
    while (position < limit) {
      while (position - acked >= ready.windowBytes) {
        const m = await next();
        if (m.type === 'ack') acked = m.received;
      }
      const { bytesRead } = await handle.read(
        buffer,
        0,
        Math.min(buffer.length, limit - position),
        position,
      );
      if (bytesRead === 0) throw new Error('the file shrank');
      const chunk = Buffer.from(buffer.subarray(0, bytesRead));
      hash.update(chunk);
      ws.send(chunk);
      position += bytesRead;
    }
    if (limit < size) {
      while (acked < position) {
        const m = await next();
        if (m.type === 'ack') acked = m.received;
      }
      return { name, size, sha256: '', offset: ready.offset, done: false };
    }
    const sha256 = hash.digest('hex');
    ws.send(JSON.stringify({ type: 'end', sha256 }));
    for (;;) {
      const m = await next();
      if (m.type === 'done') {
        if (m.sha256 !== sha256)
          throw new WebTransferError('FT_WEB_ERR_INTEGRITY', 'the receiver stored other bytes');
        return { name, size, sha256, offset: ready.offset, done: true };
      }
    }
  } finally {
    await handle.close();
    if (ws.readyState === 1) ws.close(1000);
  }
}
