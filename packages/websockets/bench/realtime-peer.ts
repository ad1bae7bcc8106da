/**
 * One end of the realtime benchmarks, in a process of its own (forked by bench/realtime.ts,
 * bundled first like bench/peer.ts): `server bare|stack` or `client`. The server is Socket.IO
 * 4.8 with the same handlers either way; `stack` puts this entry's middleware in front of them
 * (bench/realtime-stack.ts: a JWT checked in the handshake, rate limits per address and per
 * socket, the payload checked before it is relayed), `bare` does not. Requests come over IPC,
 * `{ id, op, ... }`, and each gets one answer `{ id, ... }` (or `{ id, error }`).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { type Socket as ClientSocket, io as connectClient } from 'socket.io-client';
import { openInBatches, type Request, servePeerRequests } from './peer-ipc.ts';
import { applyStack, benchToken, type ChatMessage, isChatMessage } from './realtime-stack.ts';

const [role, mode] = process.argv.slice(2);
if (role !== 'server' && role !== 'client') {
  throw new Error(
    `usage: realtime-peer server bare|stack, or client; got ${process.argv.slice(2).join(' ')}`,
  );
}
if (role === 'server' && mode !== 'bare' && mode !== 'stack') {
  throw new Error(`usage: realtime-peer server bare|stack; got ${mode}`);
}
/** Connections opened at once by `connect`. */
const CONNECT_BATCH = 100;
/** The bound on one connection's handshake. */
const CONNECT_TIMEOUT_MS = 20_000;
const ROOM = 'lobby';

// --- the server side ---------------------------------------------------------------------

async function listen(): Promise<number> {
  const http = createServer();
  const io = new Server(http, { serveClient: false, transports: ['websocket'] });
  if (mode === 'stack') applyStack(io);
  io.on('connection', (socket) => {
    void socket.join(ROOM);
    // A chat message: relayed to the room (the sender too), acked with the id it was given.
    socket.on('chat', (message: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return;
      if (mode === 'stack' && !isChatMessage(message)) {
        ack({ error: 'REALTIME_ERR_PAYLOAD' });
        return;
      }
      const relayed = message as ChatMessage;
      io.to(ROOM).emit('message', relayed);
      ack({ id: relayed.id });
    });
    // A round trip: acked with what came.
    socket.on('echo', (message: unknown, ack: unknown) => {
      if (typeof ack === 'function') ack(message);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return (http.address() as AddressInfo).port;
}

// --- the client side ---------------------------------------------------------------------

const sockets: ClientSocket[] = [];
let received = 0;
let onReceived: (() => void) | undefined;

function open(port: number, token: string | undefined): Promise<ClientSocket> {
  const socket = connectClient(`http://127.0.0.1:${port}`, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: CONNECT_TIMEOUT_MS,
    ...(token === undefined ? {} : { auth: { token } }),
  });
  socket.on('message', () => {
    received++;
    onReceived?.();
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.disconnect();
      reject(err);
    });
  });
}

/** Opens `count` clients, CONNECT_BATCH at a time; resolves with the first failure's text. */
async function connect(port: number, count: number, token: string | undefined): Promise<string> {
  const { firstFailure } = await openInBatches(
    count,
    CONNECT_BATCH,
    () => open(port, token),
    (socket) => {
      sockets.push(socket);
    },
  );
  return firstFailure;
}

/** Resolves once every client together has received `target` relayed messages since the start. */
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

let nextId = 1;

/**
 * Emits `n` events with acks from the first `senders` clients in turn, at most `window`
 * unanswered at a time, and resolves once every ack has come back.
 */
function emitWithAcks(
  event: 'chat' | 'echo',
  n: number,
  senders: number,
  window: number,
): Promise<void> {
  const from = sockets.slice(0, Math.max(1, senders));
  if (from.length === 0) throw new Error('emit: no client is connected');
  return new Promise((resolve, reject) => {
    let sent = 0;
    let acked = 0;
    const sendOne = (): void => {
      const socket = from[sent % from.length] as ClientSocket;
      const message: ChatMessage = { id: nextId++, room: ROOM, text: 'hello, room' };
      sent++;
      socket.emit(event, message, (answer: { error?: string }) => {
        if (answer?.error !== undefined) {
          reject(new Error(`${event} was refused: ${answer.error}`));
          return;
        }
        acked++;
        if (sent < n) sendOne();
        else if (acked === n) resolve();
      });
    };
    for (let i = 0; i < Math.min(window, n); i++) sendOne();
  });
}

// --- requests ------------------------------------------------------------------------------

async function handle(request: Request): Promise<object> {
  const num = (name: string): number => Number(request[name]);
  switch (request.op) {
    case 'listen':
      return { port: await listen() };
    case 'connect': {
      const token = request.auth === true ? await benchToken() : undefined;
      return { failure: await connect(num('port'), num('count'), token) };
    }
    case 'received':
      await until(num('target'));
      return { received };
    case 'emit':
      await emitWithAcks(
        request.event === 'chat' ? 'chat' : 'echo',
        num('n'),
        num('senders'),
        num('window'),
      );
      return {};
    case 'exit':
      for (const socket of sockets.splice(0)) socket.disconnect();
      setImmediate(() => process.exit(0));
      return {};
    default:
      throw new Error(`unknown request ${String(request.op)}`);
  }
}

servePeerRequests(handle, { role, mode });
