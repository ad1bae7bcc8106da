// The reference answer of exercise 06. The library's own receiver (createFileReceiver) speaks a
// binary protocol with resume; this file speaks the exercise's small text protocol, with the same
// safety rules: a checked name, a bounded size, a partial file, a hash check, an atomic rename.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { link, lstat, open, stat, unlink } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

// The constants and types are the exercise's contract, given complete (and documented) in the
// starter.
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  type FileHeader,
  type FileReceiverOptions,
  MAX_FILE_BYTES,
  MAX_HEADER_BYTES,
  type RunningFileReceiver,
} from '../../exercises/06-file-transfer/exercise.ts';

export {
  DEFAULT_IDLE_TIMEOUT_MS,
  type FileHeader,
  type FileReceiverOptions,
  MAX_FILE_BYTES,
  MAX_HEADER_BYTES,
  type RunningFileReceiver,
};

const DEVICE = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$/i;

/** True when `name` is safe to create in the receiver's directory (see the README's rules). */
export function isSafeName(name: string): boolean {
  return (
    /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}$/.test(name) && !DEVICE.test(name) && !name.endsWith('.')
  );
}

/**
 * Parses `name size sha256hex` (without the `\n`).
 * @throws {Error} whose message starts with `bad-header`, `unsafe-name` or `too-large`.
 */
export function parseHeader(line: string): FileHeader {
  const fields = line.split(' ');
  const [name = '', size = '', sha256 = ''] = fields;
  if (
    fields.length !== 3 ||
    !/^(0|[1-9][0-9]{0,15})$/.test(size) ||
    !/^[0-9a-f]{64}$/.test(sha256)
  ) {
    throw new Error('bad-header expected "name size sha256hex"');
  }
  if (!isSafeName(name)) throw new Error('unsafe-name the name is not allowed');
  if (Number(size) > MAX_FILE_BYTES) throw new Error(`too-large at most ${MAX_FILE_BYTES} bytes`);
  return { name, size: Number(size), sha256 };
}

/**
 * Serves one connection: header, READY, body, verdict. Reads are paused while the disk writes.
 * A sender silent for `idleTimeoutMs` (not counting our own disk writes) is dropped.
 */
async function receiveOne(
  socket: net.Socket,
  directory: string,
  idleTimeoutMs: number,
): Promise<void> {
  let buffer = Buffer.alloc(0);
  let header: FileHeader | undefined;
  let partial: string | undefined;
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  let received = 0;
  let finished = false;
  const hash = createHash('sha256');
  const reply = (line: string): void => {
    finished = true;
    socket.end(`${line}\n`);
  };
  const onBytes = async (chunk: Buffer): Promise<void> => {
    let bytes = chunk;
    if (!header) {
      buffer = Buffer.concat([buffer, bytes]);
      const at = buffer.indexOf(0x0a);
      if (at < 0 && buffer.length < MAX_HEADER_BYTES) return;
      if (at < 0 || at + 1 > MAX_HEADER_BYTES)
        return reply('ERR bad-header the header line is too long');
      try {
        header = parseHeader(buffer.subarray(0, at).toString('utf8'));
      } catch (error) {
        return reply(`ERR ${(error as Error).message}`);
      }
      // lstat: a symlink (even a dangling one) under that name counts as a file already there
      if (await lstat(path.join(directory, header.name)).catch(() => undefined)) {
        return reply('ERR exists a file of that name is already here');
      }
      partial = path.join(directory, `.${header.name}.partial`);
      handle = await open(partial, 'wx'); // 'x': fails on anything already there, symlinks included
      socket.write('READY\n');
      bytes = buffer.subarray(at + 1);
    }
    const body = bytes.subarray(0, header.size - received);
    hash.update(body);
    await handle?.write(body);
    received += body.length;
    if (received < header.size || !handle || !partial) return;
    await handle.sync();
    await handle.close();
    handle = undefined;
    const actual = hash.digest('hex');
    if (actual !== header.sha256) {
      await unlink(partial);
      return reply(`ERR integrity the bytes hash to ${actual}`);
    }
    try {
      await link(partial, path.join(directory, header.name)); // never overwrites
    } catch (error) {
      await unlink(partial); // e.g. EEXIST: another connection finished the same name first
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      return reply('ERR exists a file of that name is already here');
    }
    await unlink(partial);
    reply(`OK ${actual}`);
  };
  let idle: NodeJS.Timeout | undefined;
  let busy = false; // a chunk is being handled (the socket is paused meanwhile)
  let timedOut = false;
  try {
    await new Promise<void>((resolve, reject) => {
      const armIdle = (): void => {
        clearTimeout(idle);
        idle = setTimeout(() => {
          if (busy) return armIdle(); // our own disk is slow, not the sender
          finished = true;
          timedOut = true;
          resolve();
        }, idleTimeoutMs);
      };
      armIdle();
      socket.on('data', (chunk: Buffer) => {
        if (finished) return;
        armIdle();
        busy = true;
        socket.pause();
        onBytes(chunk).then(() => {
          busy = false;
          if (finished) resolve();
          else socket.resume();
        }, reject);
      });
      socket.on('close', () => resolve());
    });
  } finally {
    clearTimeout(idle);
    // A sender that vanished or went silent mid-body leaves no file: the partial is removed.
    await handle?.close();
    if (handle && partial) await unlink(partial).catch(() => {});
  }
  // Then close for good: a silent peer must not keep even a half-open connection.
  if (timedOut) socket.end(`ERR timeout no byte for ${idleTimeoutMs} ms\n`, () => socket.destroy());
}

/** Starts the receiver: one file per connection, many connections at once, silent senders dropped. */
export async function startFileReceiver(
  directory: string,
  port = 0,
  host = '127.0.0.1',
  options: FileReceiverOptions = {},
): Promise<RunningFileReceiver> {
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  if (!Number.isInteger(idleTimeoutMs) || idleTimeoutMs < 1 || idleTimeoutMs > 2 ** 31 - 1) {
    throw new RangeError(
      `idleTimeoutMs must be an integer from 1 to 2147483647, got ${idleTimeoutMs}`,
    );
  }
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    receiveOne(socket, directory, idleTimeoutMs).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Reads one `\n`-terminated line from the socket (bounded), for the sender. */
function readLine(socket: net.Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      const at = text.indexOf('\n');
      if (at >= 0 || text.length > MAX_HEADER_BYTES) {
        cleanup();
        socket.pause();
        if (at < 0) reject(new Error('the receiver sent a line that is too long'));
        else {
          const rest = text.slice(at + 1);
          if (rest) socket.unshift(Buffer.from(rest));
          resolve(text.slice(0, at));
        }
      }
    };
    const onEnd = (): void => {
      cleanup();
      reject(new Error(`the receiver closed the connection (after ${JSON.stringify(text)})`));
    };
    const cleanup = (): void => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onEnd);
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onEnd);
    socket.resume();
  });
}

/** Sends one file; resolves with its SHA-256 once the receiver says OK, rejects on ERR. */
export async function sendFile(
  host: string,
  port: number,
  file: string,
  name = path.basename(file),
): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  const sha256 = hash.digest('hex');
  const { size } = await stat(file);
  const socket = net.connect({ host, port });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.write(`${name} ${size} ${sha256}\n`);
    const answer = await readLine(socket);
    if (answer !== 'READY') throw new Error(`the receiver refused: ${answer}`);
    for await (const chunk of createReadStream(file)) {
      if (!socket.write(chunk as Buffer))
        await new Promise((resolve) => socket.once('drain', resolve));
    }
    const result = await readLine(socket);
    if (result !== `OK ${sha256}`) throw new Error(`the receiver did not keep the file: ${result}`);
    return sha256;
  } finally {
    socket.destroy();
  }
}
