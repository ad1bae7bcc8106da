import { mkdtempSync, rmSync } from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { connectTcp, withTimeout } from '@socketlab/testkit';
import { onTestFinished } from 'vitest';
import {
  type FramedEchoServer,
  type FramedEchoServerOptions,
  listenFramedEchoServer,
} from '../../src/framing/echo-server.ts';
import {
  type ConnectFramedOptions,
  connectFramed,
  type FramedSocket,
} from '../../src/framing/socket.ts';

/** A framed echo server on 127.0.0.1, port 0, closed when the test ends. */
export async function startEchoServer(options: FramedEchoServerOptions): Promise<FramedEchoServer> {
  const server = await listenFramedEchoServer({ closeTimeoutMs: 500, ...options });
  onTestFinished(() => server.close());
  return server;
}

/** A FramedSocket client of `server`, destroyed when the test ends. */
export async function connectClient(
  server: FramedEchoServer,
  options: ConnectFramedOptions = {},
): Promise<FramedSocket> {
  const address = server.address;
  const target =
    typeof address === 'string' ? { path: address } : { host: address.address, port: address.port };
  const framed = await connectFramed(target, options);
  onTestFinished(() => framed.destroy());
  return framed;
}

/** A raw TCP socket to `server`, destroyed when the test ends. */
export async function connectRaw(server: FramedEchoServer): Promise<net.Socket> {
  const address = server.address;
  if (typeof address === 'string') throw new Error('connectRaw: TCP servers only');
  const socket = await connectTcp(address.port, address.address);
  onTestFinished(() => {
    socket.destroy();
  });
  return socket;
}

/**
 * Resolves once the other side of `socket` has hung up: a FIN ('end'), a reset, or a close.
 * Rejects (fails the test) when none comes in time.
 */
export async function hungUpWithin(socket: net.Socket, what: string): Promise<void> {
  if (socket.readableEnded || socket.closed) return;
  await withTimeout(
    new Promise<void>((resolve) => {
      socket.once('end', resolve);
      socket.once('close', resolve);
      socket.once('error', () => resolve()); // a reset is an expected way to be hung up on
      socket.resume();
    }),
    what,
  );
}

/** A fresh temporary directory for Unix socket paths, removed when the test ends. */
export function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'socketlab-framing-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
