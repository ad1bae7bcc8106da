import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { seededBytes, tempDir } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createFileReceiver } from '../../src/file-transfer/receiver.ts';
import { sendFiles } from '../../src/file-transfer/sender.ts';
import { sha256Of } from '../helpers/file-transfer-fixtures.ts';

describe('a receiver and a sender whose connections the embedder opens', () => {
  it('serves a socket handed to accept() and sends over the socket connect() opens', async () => {
    const [src, dst] = [await tempDir(), await tempDir()];
    const receiver = createFileReceiver({ directory: dst });
    onTestFinished(() => receiver.close());
    const sessions: Promise<void>[] = [];
    // The embedder's own server: it reads one byte of its own handshake, then hands over.
    const server = net.createServer((socket) => {
      socket.once('readable', () => {
        expect(socket.read(1)?.toString()).toBe('!');
        sessions.push(receiver.accept(socket));
      });
    });
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    const bytes = seededBytes(7, 100_000);
    await writeFile(path.join(src, 'a.bin'), bytes);
    let opened = 0;
    const results = await sendFiles('unused.invalid', 1, [path.join(src, 'a.bin')], {
      connect: async () => {
        opened += 1;
        const socket = net.connect(port, '127.0.0.1');
        await once(socket, 'connect');
        socket.write('!');
        return socket;
      },
    });
    expect(opened).toBe(1);
    expect(results.map((r) => r.status)).toEqual(['sent']);
    expect(sha256Of(await readFile(path.join(dst, 'a.bin')))).toBe(sha256Of(bytes));
    expect(sessions).toHaveLength(1);
    await expect(sessions[0]).resolves.toBeUndefined();
  });
});
