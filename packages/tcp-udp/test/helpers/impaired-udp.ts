import dgram from 'node:dgram';
import { once } from 'node:events';
import { withTimeout } from '@socketlab/testkit';
import { onTestFinished } from 'vitest';

/** A UDP socket on 127.0.0.1 that records every datagram, closed when the test finishes. */
export interface RecordingUdpSocket {
  readonly socket: dgram.Socket;
  readonly port: number;
  readonly received: { data: Buffer; from: dgram.RemoteInfo }[];
}

/** Opens a recording socket; `onMessage` may answer (e.g. echo). */
export async function openRecordingUdpSocket(
  onMessage?: (data: Buffer, from: dgram.RemoteInfo, socket: dgram.Socket) => void,
): Promise<RecordingUdpSocket> {
  const socket = dgram.createSocket('udp4');
  const received: RecordingUdpSocket['received'] = [];
  socket.on('message', (data, from) => {
    received.push({ data, from });
    onMessage?.(data, from, socket);
  });
  socket.bind(0, '127.0.0.1');
  await withTimeout(once(socket, 'listening'), 'a UDP socket to bind');
  onTestFinished(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return { socket, port: socket.address().port, received };
}

/** Sends one datagram and waits until the kernel took it. */
export function sendUdp(socket: dgram.Socket, data: Buffer | string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.send(data, port, '127.0.0.1', (error) => (error ? reject(error) : resolve()));
  });
}
