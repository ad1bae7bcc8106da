/**
 * Sending a file over loopback TCP three ways, and what each costs:
 *   1. stream.pipeline(fs.createReadStream(file), socket): 64 KiB at a time, memory stays flat;
 *   2. fs.readFile(file) then socket.end(data): the whole file in memory first;
 *   3. Python's os.sendfile(2), if python3 is installed: the kernel copies file pages to the
 *      socket, and the bytes never enter a user-space buffer.
 * Then it shows that Node streams pass Buffer objects along without copying them.
 *
 *   pnpm exec tsx --conditions=@socketlab/source examples/zero-copy.ts [MiB]   (default 64, at most 512)
 *   strace -f -e trace=sendfile,splice,read,pread64,write,writev -o /tmp/trace pnpm exec tsx … examples/zero-copy.ts 8
 */
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const mib = Math.min(512, Math.max(1, Number(process.argv[2] ?? 64) || 64));
const size = mib * 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'sl-zero-copy-'));
const file = join(dir, 'payload.bin');
const block = Buffer.alloc(1024 * 1024);
for (let i = 0; i < block.length; i++) block[i] = (i * 31) & 0xff;
writeFileSync(file, Buffer.concat(Array.from({ length: mib }, () => block)));

/** A server that counts what arrives; resolves with bytes and seconds from first byte to end. */
async function receiver(): Promise<{
  port: number;
  done: Promise<{ bytes: number; seconds: number }>;
  close: () => void;
}> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const done = new Promise<{ bytes: number; seconds: number }>((resolve, reject) => {
    server.once('connection', (socket) => {
      let bytes = 0;
      const start = performance.now();
      socket.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      socket.on('end', () => resolve({ bytes, seconds: (performance.now() - start) / 1000 }));
      socket.on('error', reject);
    });
  });
  return { port: (server.address() as net.AddressInfo).port, done, close: () => server.close() };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

async function measure(label: string, send: (port: number) => Promise<void>): Promise<void> {
  const rx = await receiver();
  const before = process.memoryUsage();
  await send(rx.port);
  const { bytes, seconds } = await rx.done;
  const after = process.memoryUsage();
  rx.close();
  if (bytes !== size) throw new Error(`${label}: received ${bytes} of ${size} bytes`);
  const grew = (after.arrayBuffers - before.arrayBuffers) / (1024 * 1024);
  console.log(
    `${label.padEnd(44)} ${(bytes / (1024 * 1024) / seconds).toFixed(0).padStart(6)} MiB/s   Buffer memory ${grew >= 0 ? '+' : ''}${grew.toFixed(1)} MiB`,
  );
}

console.log(`sending a ${mib} MiB file over TCP on 127.0.0.1\n`);

await measure('pipeline(createReadStream, socket)', async (port) => {
  const socket = await connect(port);
  await pipeline(createReadStream(file, { highWaterMark: 64 * 1024 }), socket);
});

await measure('readFile, then socket.end(data)', async (port) => {
  const socket = await connect(port);
  const data = await readFile(file);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.end(data, () => resolve());
  });
});

const python = `
import os, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
with open(sys.argv[1], "rb") as f:
    size = os.fstat(f.fileno()).st_size
    offset = 0
    while offset < size:
        offset += os.sendfile(s.fileno(), f.fileno(), offset, size - offset)
s.shutdown(socket.SHUT_WR)
s.close()
`;
try {
  await measure('python3 os.sendfile(2) (kernel copy only)', async (port) => {
    const child = spawn('python3', ['-c', python, file, String(port)], { stdio: 'inherit' });
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`python3 exited ${code}`)),
      );
    });
  });
} catch (err) {
  console.log(`python3 os.sendfile: not measured (${(err as Error).message})`);
}

// Node streams hand the same Buffer object from stage to stage: no copy between them.
const original = Buffer.from('one chunk');
const seen: Buffer[] = [];
await pipeline(
  Readable.from([original], { objectMode: false }),
  new PassThrough(),
  new Writable({
    write(chunk: Buffer, _encoding, callback) {
      seen.push(chunk);
      callback();
    },
  }),
);
console.log(
  `\nthrough Readable → PassThrough → Writable, the chunk is the same Buffer: ${seen[0] === original}`,
);

rmSync(dir, { recursive: true, force: true });
