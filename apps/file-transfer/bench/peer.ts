/**
 * One end of a benchmark transfer, in its own process (the two ends get a core each, as on two
 * machines): the app's receiver or sender, or a raw `node:net` pipe. Talks to the bench over IPC:
 * `ready` (with the port), then `done` once its part is over.
 *   peer.ts ft-receive <dir> <code>        peer.ts ft-send <port> <code> <path…>   (after 'go')
 *   peer.ts raw-receive <file>             peer.ts raw-send <port> <file>           (after 'go')
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import net from 'node:net';
import { pipeline } from 'node:stream/promises';
import { planTransfer, sendPlan, startFtReceiver } from '../src/index.ts';

const [mode, ...args] = process.argv.slice(2);
const tell = (message: object): void => {
  process.send?.(message);
};
const go = (): Promise<unknown> => once(process, 'message');

async function main(): Promise<void> {
  if (mode === 'ft-receive') {
    const [directory = '.', code = ''] = args;
    const receiver = await startFtReceiver({ directory, code, maxWrongCodes: 1 });
    receiver.on('session-end', (summary) => {
      tell({ type: 'done', ok: summary.complete, files: summary.received });
      void receiver.close().then(() => process.exit(0));
    });
    tell({ type: 'ready', port: receiver.port });
  } else if (mode === 'ft-send') {
    const [port = '0', code = '', ...paths] = args;
    tell({ type: 'ready' });
    await go();
    const plan = await planTransfer(paths);
    const results = await sendPlan(plan, { host: '127.0.0.1', port: Number(port), code });
    tell({ type: 'done', ok: results.every((r) => r.status === 'sent') });
    process.exit(0);
  } else if (mode === 'raw-receive') {
    const [file = ''] = args;
    const server = net.createServer(async (socket) => {
      await pipeline(socket, createWriteStream(file));
      const handle = await open(file, 'r');
      await handle.sync(); // durable, as the app's files are
      await handle.close();
      tell({ type: 'done', ok: true });
      server.close(() => process.exit(0));
    });
    server.listen(0, '127.0.0.1', () =>
      tell({ type: 'ready', port: (server.address() as net.AddressInfo).port }),
    );
  } else if (mode === 'raw-send') {
    const [port = '0', file = ''] = args;
    tell({ type: 'ready' });
    await go();
    const socket = net.connect(Number(port), '127.0.0.1');
    await once(socket, 'connect');
    await pipeline(createReadStream(file, { highWaterMark: 1024 * 1024 }), socket);
    tell({ type: 'done', ok: true });
    process.exit(0);
  } else throw new Error(`unknown mode ${mode}`);
}

main().catch((error: unknown) => {
  tell({ type: 'failed', message: String((error as Error)?.stack ?? error) });
  process.exit(1);
});
