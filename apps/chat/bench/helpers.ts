/**
 * What the chat's benchmarks share: many clients from many loopback addresses (the app's flood
 * guard allows a few connections per address and second, as it should), a bare Socket.IO
 * baseline with the same event shapes, and a broadcast measurement.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { BENCH_QUICK, type BenchCase, measureOpsPerSecond, withTimeout } from '@socketlab/testkit';
import { Server } from 'socket.io';
import {
  io as connectClient,
  type ManagerOptions,
  type Socket,
  type SocketOptions,
} from 'socket.io-client';
import type { ChatMessage } from '../src/contract.ts';
import { type ChatApp, startChatApp } from '../src/server/app.ts';
import type { ChatBackend } from '../src/store/types.ts';

export const CLIENTS = BENCH_QUICK ? 50 : 1_000;
/** Bound on any single wait. */
export const STEP_MS = 30_000;
export const ROOM = 'all';
export const TEXT = 'x'.repeat(64);
/** Limits high enough that the benchmark measures the path, not the rate limiter. */
const NO_LIMITS = { messagesPerSecond: 1_000_000, messageBurst: 1_000_000 };

setFlagsFromString('--expose-gc');
/** A full garbage collection (both sides run in this process). */
export const gc = runInNewContext('gc') as () => void;

/** The `n`th loopback address (127.1.x.y): each client its own, as a crowd of users has. */
const loopback = (n: number): string => `127.1.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;

/** Something clients connect to and send `send` to: the chat, or bare Socket.IO. */
export interface Target {
  readonly name: string;
  readonly urls: readonly string[];
  /** The `auth` of the `n`th client. */
  auth(n: number): Promise<Record<string, string>>;
  close(): Promise<void>;
}

/** Chat instances on `backends` (one each), limits out of the way. */
export async function chatTarget(name: string, backends: ChatBackend[]): Promise<Target> {
  const apps: ChatApp[] = [];
  const jwtSecret = 'bench-secret-bench-secret-bench-secret-!';
  try {
    for (const backend of backends) {
      apps.push(await startChatApp({ backend, jwtSecret, limits: NO_LIMITS, onError: () => {} }));
    }
  } catch (error) {
    await Promise.all(apps.map((app) => app.close()));
    throw error;
  }
  return {
    name,
    urls: apps.map((app) => app.url),
    auth: async (n) => ({ token: (await (apps[0] as ChatApp).issueGuestToken(`u${n}`)).token }),
    close: async () => {
      await Promise.all(apps.map((app) => app.close()));
    },
  };
}

/**
 * Bare Socket.IO with the chat's event shapes and nothing else: `join` puts the socket in the
 * room, `send` builds a message, emits it to the room and answers.
 */
export async function bareTarget(): Promise<Target> {
  const httpServer = createServer();
  const io = new Server(httpServer, { serveClient: false });
  const seqs = new Map<string, number>();
  io.on('connection', (socket) => {
    const from = { id: `guest:${socket.id}`, nick: 'bare', via: 'web' as const };
    socket.on('join', async ({ room }: { room: string }, ack: (a: unknown) => void) => {
      await socket.join(`room:${room}`);
      ack({ ok: true, room, members: [], messages: [], truncated: false });
    });
    socket.on(
      'send',
      ({ room, text }: { room: string; text: string }, ack: (a: unknown) => void) => {
        const seq = (seqs.get(room) ?? 0) + 1;
        seqs.set(room, seq);
        const message: ChatMessage = {
          id: `${socket.id}-${seq}`,
          room,
          seq,
          from,
          kind: 'text',
          text,
          at: Date.now(),
        };
        io.to(`room:${room}`).emit('message', message);
        ack({ ok: true, id: message.id, seq, at: message.at });
      },
    );
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  return {
    name: 'bare Socket.IO',
    urls: [`http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/`],
    auth: async () => ({}),
    close: () => new Promise((resolve) => io.close(() => resolve())),
  };
}

/** One client of `url`, once connected; disconnected again when it is refused. */
function connectOne(
  url: string,
  options: Partial<ManagerOptions & SocketOptions>,
): Promise<Socket> {
  const socket = connectClient(url, options);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.disconnect();
      reject(error);
    });
  });
}

/** `count` clients of `target` (WebSocket), spread round robin over its URLs, 50 at a time. */
export async function connectClients(target: Target, count: number, from = 0): Promise<Socket[]> {
  const sockets: Socket[] = [];
  const client = async (n: number): Promise<Socket> => {
    // engine.io-client passes localAddress to ws in Node; its types leave it out
    const options: Partial<ManagerOptions & SocketOptions> & { localAddress: string } = {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      auth: await target.auth(from + n),
      localAddress: loopback(from + n),
    };
    return connectOne(target.urls[n % target.urls.length] as string, options);
  };
  try {
    for (let first = 0; first < count; first += 50) {
      const size = Math.min(50, count - first);
      const wave = Array.from({ length: size }, (_, k) => client(first + k));
      sockets.push(...(await withTimeout(Promise.all(wave), `bench: ${size} clients`, STEP_MS)));
    }
    return sockets;
  } catch (error) {
    for (const socket of sockets) socket.disconnect();
    throw error;
  }
}

/**
 * Joins every socket to `room(i)`, 100 at a time (each join is announced to the room's members, so
 * a thousand joins of one room are half a million presence deliveries), each wave bounded.
 */
export async function joinAll(sockets: Socket[], room: (i: number) => string): Promise<void> {
  for (let first = 0; first < sockets.length; first += 100) {
    const wave = sockets.slice(first, first + 100).map(async (socket, k) => {
      const answer = (await socket.emitWithAck('join', { room: room(first + k) })) as {
        ok: boolean;
      };
      if (!answer.ok) throw new Error(`bench: join refused: ${JSON.stringify(answer)}`);
    });
    await withTimeout(Promise.all(wave), `bench: ${wave.length} joins`, STEP_MS);
  }
}

/**
 * Deliveries (message × client) per second of `send` to one room every client is in, sent by
 * `senders` round robin (each its own address, so no sender nears the flood guard's rate).
 */
export async function broadcastRate(target: Target, senders: number): Promise<number> {
  const clients = await connectClients(target, CLIENTS);
  const senderSockets = await connectClients(target, senders, CLIENTS);
  try {
    await joinAll(clients, () => ROOM);
    await joinAll(senderSockets, () => ROOM);
    const everyone = clients.length + senderSockets.length;
    let received = 0;
    let waiting: { until: number; resolve: () => void } | undefined;
    for (const socket of [...clients, ...senderSockets]) {
      socket.on('message', () => {
        received++;
        if (waiting !== undefined && received >= waiting.until) waiting.resolve();
      });
    }
    // The chat announces each join to the room (half a million presence deliveries for a
    // thousand joins), bare Socket.IO does not: collect that garbage now, so neither side's
    // measurement pays for its set-up.
    gc();
    let next = 0;
    const batches: BenchCase = {
      name: target.name,
      run: async (n) => {
        const done = new Promise<void>((resolve) => {
          waiting = { until: received + n * everyone, resolve };
        });
        for (let i = 0; i < n; i++) {
          const sender = senderSockets[next++ % senderSockets.length] as Socket;
          sender.emit('send', { room: ROOM, text: TEXT }, () => {});
        }
        await withTimeout(done, `bench: ${n} messages to reach ${everyone} clients`, STEP_MS);
      },
    };
    const batch = Math.min(senders, 20);
    const rate = await measureOpsPerSecond(batches, { batch, maxBatches: 1_000 });
    return rate * everyone;
  } finally {
    for (const socket of [...clients, ...senderSockets]) socket.disconnect();
  }
}
