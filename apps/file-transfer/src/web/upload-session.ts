/**
 * One upload WebSocket, server side: reads the page's messages in order (stage 4's async
 * iterator pauses the socket while a write is in progress, so TCP carries backpressure to the
 * page), writes each slice, acknowledges it, and answers `end` once the file is verified and in
 * place. Any failure is sent to the page as a typed `error` and the connection closed; the
 * partial file stays for a resume.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { WebSocketConnection } from '@socketlab/websockets';
import type { CodeGuard } from './code-guard.ts';
import {
  type ClientMessage,
  parseClientMessage,
  type ServerMessage,
  WebTransferError,
} from './protocol.ts';
import type { StoredFile, Upload, UploadStore } from './upload-store.ts';

/** What a receiver reports to its owner (a command line prints it). */
export type WebReceiverEvent =
  | { type: 'upload-start'; name: string; size: number; offset: number }
  | { type: 'progress'; name: string; size: number; received: number }
  | { type: 'received'; file: StoredFile }
  | { type: 'upload-failed'; name: string | undefined; error: WebTransferError };

/** What every session of one receiver shares. */
export interface SessionContext {
  store: UploadStore;
  /** Checks the code phrase, when the receiver has one. */
  codeGuard: CodeGuard | undefined;
  /** Pace each connection's writes to at most this many bytes a second (0 = no limit). */
  maxBytesPerSecond: number;
  /** Advertised in `ready`: the slice size and the window of unacknowledged bytes. */
  chunkBytes: number;
  windowBytes: number;
  onEvent: (event: WebReceiverEvent) => void;
}

function send(ws: WebSocketConnection, message: ServerMessage): void {
  if (ws.readyState === WebSocketConnection.OPEN) ws.send(JSON.stringify(message));
}

/** Serves one upload connection until it closes; never rejects. */
export async function runUploadSession(
  ws: WebSocketConnection,
  context: SessionContext,
  address: string | undefined,
): Promise<void> {
  // Protocol errors (an oversized frame, bad UTF-8) close the connection: stage 4 sends the close
  // frame; the iterator below then ends. The listener keeps them from being thrown.
  ws.on('error', () => {});
  let upload: Upload | undefined;
  let started = 0;
  let sinceStart = 0;
  try {
    for await (const { data, isBinary } of ws) {
      if (isBinary) {
        if (upload === undefined) {
          throw new WebTransferError('FT_WEB_ERR_PROTOCOL', 'file bytes came before a "begin"');
        }
        const received = await upload.write(data);
        sinceStart += data.length;
        if (context.maxBytesPerSecond > 0) {
          const due = started + (sinceStart / context.maxBytesPerSecond) * 1000;
          if (due > Date.now()) await delay(due - Date.now());
        }
        send(ws, { type: 'ack', received });
        context.onEvent({
          type: 'progress',
          name: upload.name,
          size: upload.request.size,
          received,
        });
        continue;
      }
      const message: ClientMessage = parseClientMessage(data.toString('utf8'));
      if (message.type === 'begin') {
        if (upload !== undefined) {
          throw new WebTransferError('FT_WEB_ERR_PROTOCOL', 'one upload per connection at a time');
        }
        context.codeGuard?.check(address, message.code);
        upload = await context.store.begin(message);
        started = Date.now();
        sinceStart = 0;
        context.onEvent({
          type: 'upload-start',
          name: upload.name,
          size: message.size,
          offset: upload.received,
        });
        send(ws, {
          type: 'ready',
          offset: upload.received,
          chunkBytes: context.chunkBytes,
          windowBytes: context.windowBytes,
        });
      } else {
        if (upload === undefined) {
          throw new WebTransferError('FT_WEB_ERR_PROTOCOL', '"end" came before a "begin"');
        }
        const file = await upload.finish(message.sha256);
        upload = undefined;
        context.onEvent({ type: 'received', file });
        send(ws, { type: 'done', name: file.name, size: file.size, sha256: file.sha256 });
      }
    }
  } catch (error) {
    const failure =
      error instanceof WebTransferError
        ? error
        : new WebTransferError(
            'FT_WEB_ERR_IO',
            `the receiver failed: ${(error as Error).message}`,
            {
              cause: error,
            },
          );
    context.onEvent({ type: 'upload-failed', name: upload?.name, error: failure });
    send(ws, { type: 'error', code: failure.code, message: failure.message });
    if (ws.readyState === WebSocketConnection.OPEN)
      ws.close(failure.code === 'FT_WEB_ERR_IO' ? 1011 : 1008, failure.code);
  } finally {
    await upload?.release();
  }
}
