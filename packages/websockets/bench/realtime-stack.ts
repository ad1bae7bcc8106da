/**
 * The middleware stack the realtime benchmarks put in front of bare Socket.IO: what a real
 * deployment of this entry runs on every connection and every event. The HS256 secret is made by the parent
 * for each run (BENCH_JWT_SECRET in both peers' environment), never stored.
 */
import { SignJWT } from 'jose';
import type { Server } from 'socket.io';
import { createFloodGuard, useAuth } from '../src/realtime/index.ts';

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

/**
 * Puts this entry's stack in front of `io`'s handlers: `useAuth` (the JWT checked in the
 * handshake, its expiry watched) and the flood guard (connections per address, a token bucket
 * and the payload's size and depth per event). Its limits are set so the benchmark never trips
 * them: every client comes from 127.0.0.1, and the point is the cost of checking.
 */
export function applyStack(io: Server): void {
  useAuth(io, {
    jwt: { algorithms: ['HS256'], key: secret(), issuer: ISSUER, audience: AUDIENCE },
  });
  createFloodGuard({
    connectionsPerSecond: 1e6,
    connectionBurst: 1e6,
    eventsPerSecond: 1e6,
    eventBurst: 1e6,
  }).install(io);
}
