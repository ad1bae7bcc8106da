/**
 * Regression: when the receiver hung up while the sender read the next chunk from disk, the
 * sender's write found the socket already closed and waited for a `drain` or `close` that had
 * come and gone: `sendFiles` never settled (a command built on it exited with code 13, an
 * unsettled top-level await). It now rejects with `TCPUDP_ERR_CLOSED`.
 */
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { tempDir, withTimeout } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { ConnectionError } from '../../src/errors.ts';
import { sendFiles } from '../../src/file-transfer/sender.ts';
import { startReceiver } from '../helpers/file-transfer-fixtures.ts';

describe('a sender whose receiver hangs up between two chunks', () => {
  it('rejects with TCPUDP_ERR_CLOSED instead of waiting forever', async () => {
    const [src, dst] = [await tempDir(), await tempDir()];
    const { port } = await startReceiver({ directory: dst });
    const file = path.join(src, 'f.bin');
    await writeFile(file, Buffer.alloc(8 * 1024 * 1024, 1));
    const sending = sendFiles('127.0.0.1', port, [file], {
      connect: async () => {
        const socket = net.connect(port, '127.0.0.1');
        await once(socket, 'connect');
        // hello (11 bytes) then accept (13 bytes): cut the connection as soon as the accept is
        // in, before the first chunk has been read from disk.
        let seen = 0;
        socket.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (seen >= 24) setImmediate(() => socket.destroy());
        });
        return socket;
      },
    });
    const error = await withTimeout(
      sending.then(
        () => undefined,
        (e: unknown) => e,
      ),
      'sendFiles to settle',
      10_000,
    );
    expect(error).toBeInstanceOf(ConnectionError);
  });
});
