/**
 * One end of the file-transfer benchmark, run in its own process (forked by bench/file-transfer.ts)
 * so that hashing on one side never competes with the other side for the same event loop.
 *   receive protocol|protocol-worker|raw <dir> → sends {ready, port}, then {done} per file
 *   send protocol|raw <port> <file> [sha] → sends {ready}, waits for 'go', sends {sent}
 * The raw case is the baseline: read file → socket → write file, no header, no hash; it fsyncs
 * at the end as the protocol's receiver does, so both make the same durability promise.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createFileReceiver, sendFiles } from '../src/index.ts';

const [role, kind, ...rest] = process.argv.slice(2);
const tell = (message: object): void => {
  const { user, system } = process.cpuUsage();
  process.send?.({ ...message, cpuMs: (user + system) / 1000 });
};
const MiB = 1024 * 1024;

async function receive(): Promise<void> {
  const dir = rest[0] as string;
  if (kind === 'protocol' || kind === 'protocol-worker') {
    const receiver = createFileReceiver({
      directory: dir,
      maxFileBytes: 2 ** 40,
      overwrite: true,
      ...(kind === 'protocol-worker' ? { hashInWorkerFromBytes: 0 } : {}),
    });
    receiver.on('file', ({ size }) => tell({ type: 'done', size }));
    receiver.on('failed', ({ message }) => tell({ type: 'failed', message }));
    const { port } = await receiver.listen();
    tell({ type: 'ready', port });
    return;
  }
  let count = 0;
  const server = net.createServer(async (socket) => {
    const file = path.join(dir, `raw-${count++}.bin`);
    await pipeline(socket, createWriteStream(file, { highWaterMark: MiB }));
    const handle = await open(file, 'r+');
    await handle.sync();
    const { size } = await handle.stat();
    await handle.close();
    tell({ type: 'done', size });
  });
  server.listen(0, '127.0.0.1', () =>
    tell({ type: 'ready', port: (server.address() as net.AddressInfo).port }),
  );
}

async function send(): Promise<void> {
  const [port, file, sha256] = [Number(rest[0]), rest[1] as string, rest[2]];
  tell({ type: 'ready' });
  await new Promise((resolve) => process.once('message', resolve));
  if (kind === 'protocol') {
    const [result] = await sendFiles('127.0.0.1', port, [
      { path: file, ...(sha256 ? { sha256 } : {}) },
    ]);
    if (result?.status !== 'sent')
      throw new Error(`not sent: ${result?.status} ${result?.error?.message}`);
  } else {
    const socket = net.connect({ host: '127.0.0.1', port });
    await new Promise((resolve) => socket.once('connect', resolve));
    await pipeline(createReadStream(file, { highWaterMark: MiB }), socket);
  }
  tell({ type: 'sent' });
  process.disconnect?.();
}

await (role === 'receive' ? receive() : send());
