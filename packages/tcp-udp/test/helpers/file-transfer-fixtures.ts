import { createHash } from 'node:crypto';
import net from 'node:net';
import { WireClient } from '@socketlab/testkit';
import { onTestFinished } from 'vitest';
import {
  decodeFileTransferMessage,
  encodeFileTransferMessage,
} from '../../src/file-transfer/codec.ts';
import {
  FILE_TRANSFER_HEADER_BYTES,
  type FileTransferMessage,
} from '../../src/file-transfer/protocol.ts';
import { createFileReceiver, type FileReceiver } from '../../src/file-transfer/receiver.ts';
import type {
  FileReceiverEvents,
  FileReceiverOptions,
} from '../../src/file-transfer/receiver-options.ts';

export const sha256Of = (bytes: Uint8Array): string =>
  createHash('sha256').update(bytes).digest('hex');

/** Every event a receiver emitted, by name, in order. */
export type ReceiverLog = { [K in keyof FileReceiverEvents]: FileReceiverEvents[K][0][] };

/** A listening receiver, closed when the test ends, with everything it emitted. */
export async function startReceiver(
  options: FileReceiverOptions,
): Promise<{ receiver: FileReceiver; port: number; log: ReceiverLog }> {
  const receiver = createFileReceiver(options);
  onTestFinished(() => receiver.close());
  const log: ReceiverLog = {
    file: [],
    skipped: [],
    refused: [],
    failed: [],
    'file-system-error': [],
    progress: [],
    'session-error': [],
  };
  for (const name of Object.keys(log) as (keyof ReceiverLog)[]) {
    const listen = receiver.on.bind(receiver) as (
      event: string,
      listener: (value: unknown) => void,
    ) => void;
    listen(name, (value) => (log[name] as unknown[]).push(value));
  }
  const { port } = await receiver.listen();
  return { receiver, port, log };
}

/** A hand-driven peer that speaks the protocol message by message (hostile or cut short). */
export class RawFileTransferPeer {
  private constructor(readonly wire: WireClient) {}

  static async connect(port: number): Promise<RawFileTransferPeer> {
    const wire = await WireClient.connect('127.0.0.1', port);
    onTestFinished(() => wire.close());
    return new RawFileTransferPeer(wire);
  }

  send(message: FileTransferMessage | Uint8Array): Promise<void> {
    return this.wire.send(
      message instanceof Uint8Array ? message : encodeFileTransferMessage(message),
    );
  }

  async read(): Promise<FileTransferMessage> {
    const head = await this.wire.readBytes(FILE_TRANSFER_HEADER_BYTES);
    const body = await this.wire.readBytes(head.readUInt32BE(1));
    const decoded = decodeFileTransferMessage(Buffer.concat([head, body]));
    if (!decoded) throw this.wire.fail('an incomplete message');
    return decoded.message;
  }

  /** Says hello (flags 0 by default: a sender from before any flag) and reads the answer. */
  async hello(flags = 0): Promise<void> {
    await this.send({ type: 'hello', version: 1, ...(flags ? { flags } : {}) });
    const answer = await this.read();
    if (answer.type !== 'hello') throw this.wire.fail(`expected a hello, got ${answer.type}`);
  }
}

/**
 * A TCP proxy to `port` that counts (and keeps) the bytes going towards it; closed when the test
 * ends. `toTarget()`: those bytes, for a test that reads what a sender put on the wire.
 */
export async function countingProxy(
  port: number,
): Promise<{ port: number; bytesToTarget: () => number; toTarget: () => Buffer }> {
  let count = 0;
  const kept: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const target = net.connect({ host: '127.0.0.1', port });
    for (const s of [client, target]) {
      sockets.add(s);
      s.on('error', () => {
        client.destroy();
        target.destroy();
      });
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (chunk: Buffer) => {
      count += chunk.length;
      kept.push(chunk);
    });
    client.pipe(target);
    target.pipe(client);
  });
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    bytesToTarget: () => count,
    toTarget: () => Buffer.concat(kept),
  };
}
