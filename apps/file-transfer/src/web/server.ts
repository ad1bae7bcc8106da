/**
 * The web receiver: an HTTP server serving the upload page and the received files, with stage
 * 4's WebSocketServer taking upgrades at `/upload`, each one an upload session.
 */
import { existsSync } from 'node:fs';
import { mkdir, realpath } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { checkInteger } from '@socketlab/internal';
import { WebSocketServer } from '@socketlab/websockets';
import { CodeGuard } from './code-guard.ts';
import { createHttpHandler } from './http.ts';
import {
  DEFAULT_CHUNK_BYTES,
  DEFAULT_WINDOW_BYTES,
  MAX_CHUNK_BYTES,
  MAX_CONTROL_BYTES,
  UPLOAD_PATH,
} from './protocol.ts';
import { runUploadSession, type WebReceiverEvent } from './upload-session.ts';
import { UploadStore, type UploadStoreFs } from './upload-store.ts';

/** Options of {@link attachWebReceiver} and {@link startWebReceiver}. */
export interface WebReceiverOptions {
  /** The folder received files land in (created if missing). */
  dir: string;
  /** Uploads and downloads need this code phrase (compared in constant time). @default none */
  code?: string;
  /** Replace a file of the same name. @default false (refused with `FT_WEB_ERR_EXISTS`) */
  overwrite?: boolean;
  /** The largest file accepted, in bytes. @default Number.MAX_SAFE_INTEGER */
  maxFileBytes?: number;
  /** The most upload connections at once. @default 16 */
  maxConnections?: number;
  /** The slice the page is asked to send, in bytes (at most 1 MiB). @default 524288 */
  chunkBytes?: number;
  /** How many bytes a page may have sent and not had acknowledged. @default 4194304 */
  windowBytes?: number;
  /** Pace each upload to at most this many bytes a second. @default 0 (no limit) */
  maxBytesPerSecond?: number;
  /** The built page (scripts/build-web.ts). @default dist/web beside the package */
  webRoot?: string;
  /** Told of uploads starting, progressing, arriving and failing. */
  onEvent?: (event: WebReceiverEvent) => void;
  /**
   * The file-system operations uploads are written with (tests inject a full disk here).
   * @default node:fs/promises
   */
  fs?: UploadStoreFs;
}

/** A web receiver attached to an HTTP server. */
export interface AttachedWebReceiver {
  /** The partial files being written (or opened for a resume) right now, as absolute paths. */
  partialsInUse(): string[];
  /** Closes every upload connection (partials are kept); the HTTP server is left to its owner. */
  close(): Promise<void>;
}

/** A web receiver listening on its own port. */
export interface WebReceiver extends AttachedWebReceiver {
  /** The page's address, e.g. `http://127.0.0.1:8080/`. */
  readonly url: string;
  readonly port: number;
  /** Closes the upload connections and the HTTP server. */
  close(): Promise<void>;
}

/** Where the built page is: dist/web beside the bundle, or the package's dist/web from src/web. */
export function defaultWebRoot(): string {
  const candidates = [
    new URL('./web/', import.meta.url),
    new URL('../../dist/web/', import.meta.url),
  ];
  const found = candidates.find((url) => existsSync(new URL('index.html', url)));
  return fileURLToPath(found ?? (candidates[1] as URL));
}

/**
 * Serves the upload page, the received files and the upload WebSocket on `server`'s requests
 * (its `'request'` and `'upgrade'` events).
 * @throws {RangeError} (the promise rejects) for a bad limit, before anything is created.
 * @example
 * ```ts
 * const server = http.createServer();
 * const receiver = await attachWebReceiver(server, { dir: './inbox' });
 * server.listen(8080);
 * ```
 */
export async function attachWebReceiver(
  server: http.Server,
  options: WebReceiverOptions,
): Promise<AttachedWebReceiver> {
  const chunkBytes = checkInteger(
    'chunkBytes',
    options.chunkBytes ?? DEFAULT_CHUNK_BYTES,
    1,
    MAX_CHUNK_BYTES,
  );
  const windowBytes = checkInteger(
    'windowBytes',
    options.windowBytes ?? DEFAULT_WINDOW_BYTES,
    chunkBytes,
  );
  const maxFileBytes = checkInteger(
    'maxFileBytes',
    options.maxFileBytes ?? Number.MAX_SAFE_INTEGER,
    0,
    Number.MAX_SAFE_INTEGER,
  );
  const maxBytesPerSecond = checkInteger('maxBytesPerSecond', options.maxBytesPerSecond ?? 0, 0);
  await mkdir(options.dir, { recursive: true });
  const root = await realpath(options.dir);
  const store = new UploadStore(root, options.overwrite ?? false, maxFileBytes, options.fs);
  const onEvent = options.onEvent ?? (() => {});
  const wss = new WebSocketServer({
    maxPayloadBytes: Math.max(MAX_CHUNK_BYTES, MAX_CONTROL_BYTES),
    maxConnections: options.maxConnections ?? 16,
    heartbeatIntervalMs: 30_000,
  });
  wss.on('error', () => {});
  const codeGuard = options.code === undefined ? undefined : new CodeGuard(options.code);
  // handleUpgrade emits 'connection' synchronously: the address of the request being upgraded.
  let upgrading: string | undefined;
  wss.on('connection', (ws) => {
    void runUploadSession(
      ws,
      {
        store,
        codeGuard,
        maxBytesPerSecond,
        chunkBytes,
        windowBytes,
        onEvent,
      },
      upgrading,
    );
  });
  const onUpgrade = (
    req: http.IncomingMessage,
    socket: import('node:stream').Duplex,
    head: Buffer,
  ) => {
    if (new URL(req.url ?? '/', 'http://receiver.invalid').pathname === UPLOAD_PATH) {
      upgrading = req.socket.remoteAddress;
      try {
        wss.handleUpgrade(req, socket, head);
      } finally {
        upgrading = undefined;
      }
    } else {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    }
  };
  server.on('upgrade', onUpgrade);
  server.on(
    'request',
    createHttpHandler({
      store,
      webRoot: options.webRoot ?? defaultWebRoot(),
      codeGuard,
      info: { codeRequired: options.code !== undefined, maxFileBytes },
    }),
  );
  return {
    partialsInUse: () => store.partialsInUse(),
    close: async () => {
      server.off('upgrade', onUpgrade);
      await wss.close();
    },
  };
}

/**
 * Starts a web receiver on its own HTTP server.
 * @param options - {@link WebReceiverOptions}, plus `port` (@default 0, any free one) and
 *   `host` (@default '127.0.0.1').
 * @example
 * ```ts
 * const receiver = await startWebReceiver({ dir: './inbox', code: 'purple-otter-42' });
 * console.log(`open ${receiver.url}`);
 * await receiver.close();
 * ```
 */
export async function startWebReceiver(
  options: WebReceiverOptions & { port?: number; host?: string },
): Promise<WebReceiver> {
  const server = http.createServer();
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  const attached = await attachWebReceiver(server, options);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}/`,
    port,
    partialsInUse: attached.partialsInUse,
    close: async () => {
      await attached.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
