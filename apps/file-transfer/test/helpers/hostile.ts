/** Senders that misbehave on purpose: they know the code but send what the real one never would. */
import { once } from 'node:events';
import net from 'node:net';
import { type FileSendResult, type FileToSend, sendFiles } from '@socketlab/tcp-udp';
import { handshakeAsSender } from '../../src/handshake/connection.ts';

/** Connects and runs the app's handshake, announcing `directories` as given. */
export async function handshaken(
  port: number,
  code: string,
  directories: string[] = [],
): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  try {
    await handshakeAsSender(socket, code, 5_000, { directories, files: 1, bytes: 0 });
  } catch (error) {
    socket.destroy();
    throw error;
  }
  setImmediate(() => socket.resume());
  return socket;
}

/** Sends `files` under whatever names they carry, after a correct handshake. */
export function sendRaw(
  port: number,
  code: string,
  files: FileToSend[],
  directories: string[] = [],
): Promise<FileSendResult[]> {
  return sendFiles('127.0.0.1', port, files, {
    connect: () => handshaken(port, code, directories),
  });
}
