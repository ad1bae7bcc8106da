/** A Socket.IO server on 127.0.0.1:0 with the auth middleware, and clients that are closed after the test. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { withTimeout } from '@socketlab/testkit';
import { type JWTPayload, SignJWT } from 'jose';
import { Server } from 'socket.io';
import {
  type Socket as ClientSocket,
  io as connect,
  type ManagerOptions,
  type SocketOptions,
} from 'socket.io-client';
import { onTestFinished } from 'vitest';
import type { AuthSocketData, UseAuthOptions } from '../../../src/realtime/index.ts';
import { useAuth } from '../../../src/realtime/index.ts';

export const SECRET = 'a test secret that is at least thirty-two bytes long';
export const ISSUER = 'https://id.test';
export const AUDIENCE = 'chat';
export const secretBytes = new TextEncoder().encode(SECRET);

export type AuthServer = Server<
  Record<string, never>,
  Record<string, never>,
  Record<string, never>,
  AuthSocketData
>;

export async function startAuthServer(
  options: UseAuthOptions,
): Promise<{ io: AuthServer; url: string }> {
  const server = http.createServer();
  const io: AuthServer = new Server(server);
  useAuth(io, options);
  io.on('connection', (socket) => {
    socket.on('whoami', (ack: unknown) => {
      if (typeof ack === 'function') ack(socket.data.auth);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => io.close(() => resolve())));
  return { io, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** A client with reconnection off, disconnected when the test ends. */
export function client(
  url: string,
  options: Partial<ManagerOptions & SocketOptions> = {},
): ClientSocket {
  const socket = connect(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    ...options,
  });
  onTestFinished(() => {
    socket.disconnect();
  });
  return socket;
}

/** Resolves `'connected'` or with the `connect_error`, bounded. */
export function outcome(socket: ClientSocket): Promise<'connected' | Error> {
  return withTimeout(
    new Promise((resolve) => {
      socket.once('connect', () => resolve('connected'));
      socket.once('connect_error', (err) => resolve(err));
    }),
    'connect or connect_error',
  );
}

/** An HS256 token signed with {@link SECRET}, valid for a minute from `nowMs` unless `claims` say otherwise. */
export function hsToken(claims: JWTPayload = {}, nowMs = Date.now()): Promise<string> {
  const now = Math.floor(nowMs / 1000);
  return new SignJWT({ sub: 'ada', iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 60, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(secretBytes);
}

export const hsOptions = {
  algorithms: ['HS256'],
  key: SECRET,
  issuer: ISSUER,
  audience: AUDIENCE,
} as const;
