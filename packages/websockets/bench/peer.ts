/**
 * One end of the websockets benchmarks, run in a process of its own (forked by bench/sides.ts,
 * bundled first so that no TypeScript loader runs beside it): `server ours|ws` or
 * `client ours|ws`. `ws` runs pure JS or with its native add-ons depending on the environment
 * the parent gave this process (WS_NO_BUFFER_UTIL, WS_NO_UTF_8_VALIDATE), which ws reads when it
 * is first loaded. The parent sends requests over IPC, `{ id, op, ... }`, and each gets one
 * answer `{ id, ... }` (or `{ id, error }`).
 *
 * Both implementations are driven through the same few calls (`send(data, { binary })`,
 * `on('message')`, `clients`), which they share, so the code on each side is the same.
 */
import { createRequire } from 'node:module';
import { connectWebSocket, WebSocketServer } from '../src/index.ts';
import { openInBatches, type Request, servePeerRequests } from './peer-ipc.ts';

/** What both implementations' sockets offer, as used here. */
interface Socket {
  send(data: string | Buffer, options: { binary: boolean }): unknown;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): unknown;
  terminate(): void;
}

interface Server {
  readonly port: number;
  readonly clients: Set<Socket>;
}

const [role, impl] = process.argv.slice(2);
if ((role !== 'server' && role !== 'client') || (impl !== 'ours' && impl !== 'ws')) {
  throw new Error(`usage: peer server|client ours|ws, got ${process.argv.slice(2).join(' ')}`);
}
/** A connection opened by a client, or a handshake answered by a server: 10 s at most. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Connections opened at once by `connect`. */
const CONNECT_BATCH = 100;

type WsModule = typeof import('ws');
const ws: WsModule | undefined = impl === 'ws' ? await import('ws') : undefined;

/** Which native add-ons this process loaded (ws loads them itself when it is first imported). */
function addons(): string[] {
  const cache = createRequire(import.meta.url).cache;
  return ['bufferutil', 'utf-8-validate'].filter((name) =>
    Object.keys(cache).some((file) => file.includes(`/node_modules/${name}/`)),
  );
}

// --- the server side ---------------------------------------------------------------------

let server: Server | undefined;

async function listen(echo: boolean): Promise<Server> {
  const onConnection = (socket: Socket): void => {
    if (echo) socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  };
  if (ws !== undefined) {
    const wss = new ws.WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    wss.on('connection', (socket) => onConnection(socket as unknown as Socket));
    await new Promise((resolve) => wss.once('listening', resolve));
    const { port } = wss.address() as { port: number };
    return { port, clients: wss.clients as unknown as Set<Socket> };
  }
  const ours = new WebSocketServer({ handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS });
  ours.on('connection', (socket) => onConnection(socket));
  await new Promise<void>((resolve) => ours.once('listening', () => resolve()));
  return { port: ours.port, clients: ours.clients };
}

/** Sends `count` messages to every client, as text, the way a chat relays what it received. */
function broadcast(count: number, size: number): void {
  const message = Buffer.alloc(size, 0x62);
  for (let i = 0; i < count; i++) {
    for (const socket of server?.clients ?? []) socket.send(message, { binary: false });
  }
}

function memory(): Record<string, number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('the server peer needs --expose-gc');
  gc();
  gc();
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, external, arrayBuffers };
}

// --- the client side ---------------------------------------------------------------------

const sockets: Socket[] = [];
/** Messages received by every client together. */
let received = 0;
let onReceived: (() => void) | undefined;

async function open(port: number): Promise<Socket> {
  const url = `ws://127.0.0.1:${port}/`;
  let socket: Socket;
  if (ws !== undefined) {
    const client = new ws.WebSocket(url, {
      perMessageDeflate: false,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    });
    await new Promise<void>((resolve, reject) => {
      client.once('open', () => resolve());
      client.once('error', reject);
    });
    client.on('error', () => undefined);
    socket = client as unknown as Socket;
  } else {
    const client = await connectWebSocket(url, { handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS });
    client.on('error', () => undefined);
    socket = client;
  }
  socket.on('message', () => {
    received++;
    onReceived?.();
  });
  return socket;
}

/** Opens `count` connections, CONNECT_BATCH at a time; resolves with how many failed. */
async function connect(port: number, count: number): Promise<number> {
  const { failed } = await openInBatches(
    count,
    CONNECT_BATCH,
    () => open(port),
    (socket) => {
      sockets.push(socket);
    },
  );
  return failed;
}

/** Resolves once every client together has received `target` messages since the start. */
function until(target: number): Promise<void> {
  return new Promise((resolve) => {
    onReceived = () => {
      if (received >= target) {
        onReceived = undefined;
        resolve();
      }
    };
    onReceived();
  });
}

/**
 * Sends `n` messages on the first connection, at most `window` unanswered at a time, and
 * resolves once all `n` have come back.
 */
function echo(n: number, size: number, binary: boolean, window: number): Promise<void> {
  const socket = sockets[0];
  if (socket === undefined) throw new Error('echo: no connection is open');
  const message = binary ? Buffer.alloc(size, 0x5a) : 'a'.repeat(size);
  const target = received + n;
  return new Promise((resolve) => {
    let sent = 0;
    onReceived = () => {
      if (sent < n) {
        sent++;
        socket.send(message, { binary });
      } else if (received >= target) {
        onReceived = undefined;
        resolve();
      }
    };
    for (; sent < Math.min(window, n); sent++) socket.send(message, { binary });
  });
}

function closeAll(): void {
  for (const socket of sockets.splice(0)) socket.terminate();
}

// --- requests ------------------------------------------------------------------------------

async function handle(request: Request): Promise<object> {
  const { op } = request;
  const num = (name: string): number => Number(request[name]);
  switch (op) {
    case 'listen':
      server = await listen(request.echo === true);
      return { port: server.port, addons: addons() };
    case 'size':
      return { size: server?.clients.size ?? 0 };
    case 'broadcast':
      broadcast(num('count'), num('size'));
      return {};
    case 'memory':
      return memory();
    case 'connect':
      return { failed: await connect(num('port'), num('count')), addons: addons() };
    case 'received':
      await until(num('target'));
      return { received };
    case 'echo':
      await echo(num('n'), num('size'), request.binary === true, num('window'));
      return {};
    case 'close':
      closeAll();
      return {};
    case 'exit':
      setImmediate(() => process.exit(0));
      return {};
    default:
      throw new Error(`unknown request ${op}`);
  }
}

servePeerRequests(handle, { role, impl });
