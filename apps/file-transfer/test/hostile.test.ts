import { once } from 'node:events';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { RemoteError } from '@socketlab/tcp-udp';
import { pollUntil, tempDir, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { FtError } from '../src/errors.ts';
import { startFtReceiver } from '../src/receiver/ft-receiver.ts';
import { PROCESS_WAIT_MS, runSender, spawnReceiver } from './helpers/cli.ts';
import { handshaken, sendRaw } from './helpers/hostile.ts';

describe('a receiver facing hostile senders that know the code', () => {
  it(
    'refuses names and folders that would escape, garbage and planted symlinks, and stays up',
    async () => {
      const base = await tempDir('ft-hostile-');
      const [dst, outside, src] = [
        path.join(base, 'in'),
        path.join(base, 'outside'),
        path.join(base, 'src'),
      ];
      await Promise.all([mkdir(dst), mkdir(outside), mkdir(src)]);
      await symlink(outside, path.join(dst, 'planted'));
      await writeFile(path.join(src, 'x.txt'), 'payload\n');
      const receiver = await spawnReceiver(dst);
      const { port, code } = receiver;
      const file = path.join(src, 'x.txt');

      for (const name of [
        '../escape.txt',
        '/tmp/abs.txt',
        'a/../../b.txt',
        'planted/x.txt',
        'nul.txt',
        'a\\..\\b',
      ]) {
        const [result] = await sendRaw(port, code, [{ path: file, name }]);
        expect(result?.status, name).toBe('refused');
        expect((result?.error as RemoteError | undefined)?.remoteCode, name).toBe('unsafe-name');
      }
      for (const directory of ['../evil', 'planted/evil', 'ok/../../evil', '']) {
        const denied = await handshaken(port, code, [directory]).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(denied, directory).toBeInstanceOf(FtError);
        expect((denied as FtError).code, directory).toBe('FT_ERR_UNSAFE_NAME');
      }
      // Garbage instead of a hello, and a huge declared length: turned away, nothing written.
      for (const bytes of [
        Buffer.from('GET / HTTP/1.1\r\n\r\n'),
        Buffer.from([0xff, 0xff, 0xff, 0xff]),
      ]) {
        const socket = net.connect(port, '127.0.0.1');
        socket.on('error', () => {});
        socket.resume();
        await once(socket, 'connect');
        socket.write(bytes);
        await once(socket, 'close');
      }
      expect(await readdir(outside)).toEqual([]);
      expect((await readdir(base)).sort()).toEqual(['in', 'outside', 'src']);
      expect((await readdir(dst)).sort()).toEqual(['planted']);
      await pollUntil(
        () => /turned away .*FT_ERR_HANDSHAKE/.test(receiver.stderr()),
        'the garbage reported',
      );

      // Still up: an honest sender gets through.
      const honest = await runSender([file, `127.0.0.1:${port}`, '--code', code]);
      expect(honest.code, honest.err).toBe(0);
      expect((await readdir(dst)).sort()).toEqual(['planted', 'x.txt']);
    },
    PROCESS_WAIT_MS * 3,
  );

  it(
    'stops listening after too many wrong codes',
    async () => {
      const dst = await tempDir('ft-dst-');
      const receiver = await spawnReceiver(dst, ['--code', 'right-words']);
      for (let i = 0; i < 10; i++) {
        const error = await handshaken(receiver.port, `wrong-${i}`).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect((error as FtError).code).toBe('FT_ERR_WRONG_CODE');
      }
      expect(await withTimeout(receiver.exited, 'the receiver gives up', PROCESS_WAIT_MS)).toEqual({
        code: 1,
        signal: null,
      });
      expect(receiver.stderr()).toMatch(/10 wrong codes: stopped listening/);
      expect(await readdir(dst)).toEqual([]);
    },
    PROCESS_WAIT_MS * 2,
  );
});

describe('a receiver facing connections that never speak', () => {
  it('holds at most maxPendingHandshakes of them and closes the rest at once', async () => {
    const dst = await tempDir('ft-dst-');
    const receiver = await startFtReceiver({
      directory: dst,
      code: 'a-b',
      maxPendingHandshakes: 2,
      timeoutMs: 60_000,
    });
    onTestFinished(() => receiver.close());
    const denied: string[] = [];
    receiver.on('denied', ({ error }) => denied.push(error.message));
    const sockets = [];
    for (let i = 0; i < 3; i++) {
      const socket = net.connect(receiver.port, '127.0.0.1');
      socket.on('error', () => {});
      socket.resume();
      onTestFinished(() => {
        socket.destroy();
      });
      await once(socket, 'connect');
      sockets.push(socket);
    }
    await withTimeout(once(sockets[2] as net.Socket, 'close'), 'the third connection closed');
    expect(denied).toEqual(['too many connections in the handshake at once']);
    expect(sockets[0]?.destroyed).toBe(false);
  });
});
