import type net from 'node:net';
import { connectTcp, withTimeout } from '@socketlab/testkit';
import { onTestFinished } from 'vitest';

/** A raw TCP client that records every byte and the end of the stream; destroyed when the test ends. */
export interface RecordingClient {
  readonly socket: net.Socket;
  /** Everything received so far, as text. */
  text(): string;
  /** Bytes received so far. */
  readonly received: { bytes: number };
  /** Resolves when the server's FIN (or a reset) has arrived; we then close our side too. */
  readonly ended: Promise<void>;
}

export async function recordingClient(port: number): Promise<RecordingClient> {
  const socket = await connectTcp(port);
  onTestFinished(() => {
    socket.destroy();
  });
  const chunks: Buffer[] = [];
  const received = { bytes: 0 };
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    received.bytes += chunk.length;
  });
  socket.on('error', () => {});
  const ended = new Promise<void>((resolve) => {
    socket.once('end', () => {
      socket.end();
      resolve();
    });
    socket.once('close', () => resolve());
  });
  return { socket, text: () => Buffer.concat(chunks).toString('utf8'), received, ended };
}

/** A raw TCP client that never reads a byte (it holds the server's data in the kernel). */
export async function stalledClient(port: number): Promise<net.Socket> {
  const socket = await connectTcp(port);
  onTestFinished(() => {
    socket.destroy();
  });
  socket.pause();
  socket.on('error', () => {});
  return socket;
}

/** Opens `count` recording clients, a few at a time (the listen backlog stays small). */
export async function manyClients(
  port: number,
  count: number,
  batch = 50,
): Promise<RecordingClient[]> {
  const clients: RecordingClient[] = [];
  for (let i = 0; i < count; i += batch) {
    const size = Math.min(batch, count - i);
    clients.push(
      ...(await withTimeout(
        Promise.all(Array.from({ length: size }, () => recordingClient(port))),
        `${size} connections`,
        10_000,
      )),
    );
  }
  return clients;
}
