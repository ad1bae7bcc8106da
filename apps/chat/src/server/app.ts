/**
 * The chat in one process: an HTTP server (the page, guest login, health), Socket.IO on it with the
 * contract's events, a backend for history and presence (memory by default; Redis or NATS to
 * scale out), and optionally the `nc` gateway. `close()` tells every client, then closes.
 */

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { checkInteger } from '@socketlab/internal';
import { type RateClock, RealtimeError } from '@socketlab/websockets/realtime';
import { Server } from 'socket.io';
import {
  CHAT_SOCKET_PATH,
  type ChatClientEvents,
  type ChatLimits,
  type ChatServerEvents,
  type ChatUser,
  type SessionResponse,
} from '../contract.ts';
import { createMemoryBackend } from '../store/memory.ts';
import type { ChatBackend } from '../store/types.ts';
import { startTcpGateway, type TcpGateway } from '../tcp/gateway.ts';
import { createChatAuth } from './auth.ts';
import {
  type ChatServer,
  createChatHandlers,
  PRESENCE_GRACE_MS,
  TYPING_EXPIRE_MS,
} from './handlers.ts';
import { createHttpHandler } from './http.ts';
import { createChatLimiter, resolveLimits } from './limits.ts';

/** Options of {@link startChatApp}. */
export interface ChatAppOptions {
  /** The address to listen on. @default '127.0.0.1' */
  host?: string;
  /** The HTTP and Socket.IO port; 0 lets the system choose. @default 0 */
  port?: number;
  /** The `nc` gateway's port; null for no gateway. @default null */
  tcpPort?: number | null;
  /** Where history and presence live. @default createMemoryBackend() */
  backend?: ChatBackend;
  /** Accept HS256 JWTs signed with this secret (≥ 32 bytes); guest tokens are signed with it too. @default a random per-process secret */
  jwtSecret?: string;
  /** How long a guest token lasts, in ms. @default 12 h */
  tokenTtlMs?: number;
  /** The limits clients are held to. @default CHAT_APP_LIMITS */
  limits?: Partial<ChatLimits>;
  /** The built page's folder. @default dist/web next to the code */
  webRoot?: string;
  /** This instance's name in /health. @default random */
  instanceId?: string;
  /** The time the rate limits read, in ms (tests hold it still). @default performance.now */
  rateClock?: RateClock;
  /** Socket.IO connections at once; the next is refused `REALTIME_ERR_LIMIT`. @default 10000 */
  maxConnections?: number;
  /**
   * Take a client's address from the last `X-Forwarded-For` entry (for the per-address limits):
   * set it behind a reverse proxy, and only when the port is reachable through the proxy alone.
   * @default false
   */
  trustProxy?: boolean;
  /**
   * Every connection to the `nc` port starts with a PROXY protocol header (nginx's stream
   * `proxy_protocol on;`): each `nc` user is then counted by their own address, not the proxy's.
   * Only when that port is reachable through the proxy alone. @default false
   */
  tcpProxyProtocol?: boolean;
  /** How long a typing indicator lasts without a refresh, in ms. @default 5000 */
  typingExpireMs?: number;
  /**
   * How long a dropped connection (a reload, a network change) still counts as present in its
   * rooms, in ms; 0 for none. A client that disconnects on purpose leaves at once. @default 5000
   */
  presenceGraceMs?: number;
  /** Told of an unexpected failure (a store that threw); the client was refused. @default console.error */
  onError?: (error: unknown, context: string) => void;
}

/** A running chat, as {@link startChatApp} resolves it. */
export interface ChatApp {
  /** `http://host:port/`: the page. */
  readonly url: string;
  readonly port: number;
  readonly tcpPort: number | undefined;
  readonly io: Server<ChatClientEvents, ChatServerEvents>;
  /**
   * What `POST /api/session` does: a signed guest token for `nick`. `via: 'tcp'` is for the `nc`
   * gateway's users: a signed claim, so each counts on its own in the per-address limits (they
   * all connect from the gateway's address) and is shown as coming from a terminal.
   */
  issueGuestToken(nick: string, via?: ChatUser['via']): Promise<SessionResponse>;
  /** Tells every client (`notice` `CHAT_ERR_SHUTDOWN`), disconnects them, closes the servers and the backend. */
  close(): Promise<void>;
}

/** The built page's folder: dist/web next to the sources (src/server/) or the bundle (dist/). */
function defaultWebRoot(): string | undefined {
  for (const candidate of ['../../dist/web/', './web/']) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(`${path}index.html`)) return path;
  }
  return undefined;
}

function listen(server: HttpServer, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Socket.IO connections at once, by default. */
export const DEFAULT_MAX_CONNECTIONS = 10_000;
/** How long a client may take to send a request's headers, and the whole request, in ms. */
export const HTTP_HEADERS_TIMEOUT_MS = 10_000;
export const HTTP_REQUEST_TIMEOUT_MS = 30_000;

/** How long close() waits for clients to read the notice and the disconnect, in ms. */
export const CLOSE_TIMEOUT_MS = 2000;

type EngineClient = import('node:events').EventEmitter & { readonly readyState: string };

/**
 * Resolves once every Engine.IO connection in `clients` has closed (a long-polling client must
 * come back for its last packets), or after `timeoutMs`: closing the engine before drops them.
 */
function drained(clients: ReadonlySet<EngineClient>, timeoutMs: number): Promise<void> {
  const open = [...clients].filter((client) => client.readyState !== 'closed');
  if (open.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    let left = open.length;
    const timer = setTimeout(resolve, timeoutMs);
    for (const client of open) {
      client.once('close', () => {
        if (--left === 0) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
  });
}

const urlHost = (host: string): string => (host.includes(':') ? `[${host}]` : host);

/**
 * Starts the chat and resolves once it accepts connections.
 * @throws {TypeError|RangeError} for a bad option (a short `jwtSecret`, a limit that is not ≥ 1).
 * @example
 * const app = await startChatApp({ port: 3000 });
 * console.log(`open ${app.url}`);
 * process.once('SIGINT', () => app.close());
 */
export async function startChatApp(options: ChatAppOptions = {}): Promise<ChatApp> {
  const host = options.host ?? '127.0.0.1';
  const limits = resolveLimits(options.limits);
  const auth = createChatAuth({ jwtSecret: options.jwtSecret, tokenTtlMs: options.tokenTtlMs });
  const tcpPort = options.tcpPort ?? null;
  if (tcpPort !== null) checkInteger('tcpPort', tcpPort, 0, 65_535);
  // Every option is checked before anything is made: a bad one leaves nothing open.
  const typingExpireMs = checkInteger(
    'typingExpireMs',
    options.typingExpireMs ?? TYPING_EXPIRE_MS,
    1,
  );
  const presenceGraceMs = checkInteger(
    'presenceGraceMs',
    options.presenceGraceMs ?? PRESENCE_GRACE_MS,
    0,
  );
  const maxConnections = checkInteger(
    'maxConnections',
    options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    1,
  );
  const port = checkInteger('port', options.port ?? 0, 0, 65_535);
  const backend = options.backend ?? createMemoryBackend();
  const instanceId = options.instanceId ?? randomBytes(4).toString('hex');
  const onError =
    options.onError ??
    ((error: unknown, context: string) => console.error(`socketlab-chat: ${context}:`, error));
  let closing = false;

  let io: ChatServer | undefined;
  const httpServer = createServer(
    createHttpHandler({
      webRoot: options.webRoot ?? defaultWebRoot(),
      issueGuestToken: (nick) => auth.issueGuestToken(nick),
      trustProxy: options.trustProxy ?? false,
      health: () => ({
        ok: !closing,
        instance: instanceId,
        backend: backend.kind,
        connections: io?.engine.clientsCount ?? 0,
      }),
    }),
  );
  // A slow client may not hold a request open for ever (long-polling's answers are not bounded by
  // these: they time the request, not the response).
  httpServer.headersTimeout = HTTP_HEADERS_TIMEOUT_MS;
  httpServer.requestTimeout = HTTP_REQUEST_TIMEOUT_MS;
  const server = new Server<ChatClientEvents, ChatServerEvents>(httpServer, {
    path: CHAT_SOCKET_PATH,
    transports: ['websocket', 'polling'],
    maxHttpBufferSize: limits.maxPacketBytes,
    connectTimeout: 10_000,
    serveClient: false,
    ...backend.serverOptions,
  }) as ChatServer;
  io = server;
  const engineClients = new Set<EngineClient>();
  io.engine.on('connection', (client: EngineClient) => {
    engineClients.add(client);
    client.once('close', () => engineClients.delete(client));
  });
  let fanout: Awaited<ReturnType<ChatBackend['attach']>>;
  try {
    fanout = await backend.attach(io);
  } catch (error) {
    io.close();
    await backend.close();
    throw error;
  }
  const limiter = createChatLimiter(limits, {
    trustProxy: options.trustProxy ?? false,
    ...(options.rateClock === undefined ? {} : { clock: options.rateClock }),
  });
  const handlers = createChatHandlers({
    io,
    backend,
    fanout,
    limits,
    limiter,
    closing: () => closing,
    onError,
    typingExpireMs,
    presenceGraceMs,
  });

  io.use((_socket, next) => {
    if (!closing) return next();
    const error = new Error('the server is shutting down') as Error & { data?: unknown };
    error.data = { code: 'CHAT_ERR_SHUTDOWN', reason: 'the server is shutting down' };
    next(error);
  });
  for (const middleware of auth.middlewares) io.use(middleware);
  io.use((_socket, next) => {
    if (server.of('/').sockets.size < maxConnections) return next();
    next(
      new RealtimeError(
        'REALTIME_ERR_LIMIT',
        `the server is full (${maxConnections} connections)`,
        {
          reason: 'the server is full: try again later',
        },
      ),
    );
  });
  limiter.install(io);
  io.on('connection', (socket) => handlers.attach(socket));

  let address: AddressInfo;
  try {
    address = await listen(httpServer, port, host);
  } catch (error) {
    io.close();
    await backend.close();
    throw error;
  }
  const url = `http://${urlHost(host)}:${address.port}/`;
  // The nc gateway is a client of this server like any page: one contract, whichever way in.
  let gateway: TcpGateway | undefined;
  if (tcpPort !== null) {
    try {
      gateway = await startTcpGateway({
        host,
        port: tcpPort,
        serverUrl: url,
        issueToken: async (nick) => auth.issueGuestToken(nick, 'tcp').token,
        proxyProtocol: options.tcpProxyProtocol ?? false,
      });
    } catch (error) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await backend.close();
      throw error;
    }
  }
  let closed: Promise<void> | undefined;

  return {
    url,
    port: address.port,
    tcpPort: gateway?.address.port,
    io: server as unknown as Server<ChatClientEvents, ChatServerEvents>,
    issueGuestToken: async (nick, via) => auth.issueGuestToken(nick, via),
    close() {
      closed ??= (async () => {
        // nc users first: the gateway tells them, then its Socket.IO clients leave like any other.
        await gateway?.close();
        closing = true;
        // This instance's clients only (io.local): other instances keep serving theirs.
        server.local.emit('notice', {
          code: 'CHAT_ERR_SHUTDOWN',
          reason: 'the server is shutting down: reconnect in a moment',
        });
        // Each socket's transport writes the notice before it closes (Engine.IO drains first).
        server.local.disconnectSockets(true);
        await Promise.all([handlers.settled(), drained(engineClients, CLOSE_TIMEOUT_MS)]);
        handlers.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          httpServer.closeAllConnections();
        });
        await backend.close();
      })();
      return closed;
    },
  };
}
