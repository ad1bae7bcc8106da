/**
 * A TFTP server for one directory, and (with --get) a read from it with our client.
 *
 *   pnpm exec tsx --conditions=@socketlab/source examples/tftp.ts <dir> [port]
 *   pnpm exec tsx --conditions=@socketlab/source examples/tftp.ts <dir> --get <name>
 *
 * Then, from another terminal: `tftp 127.0.0.1 <port> -m binary -c get <name>`, or
 * `atftp --option "blksize 1024" -g -r <name> -l /tmp/out 127.0.0.1 <port>`.
 * With TFTP_WRITE=1 the server also accepts new files: `tftp 127.0.0.1 <port> -m binary -c put <file>`.
 */
import { createHash } from 'node:crypto';
import { createTftpServer, tftpGet } from '../src/index.ts';

const [root, second, third] = process.argv.slice(2);
if (!root) {
  console.error('usage: examples/tftp.ts <dir> [port] | <dir> --get <name>');
  process.exit(2);
}
const allowWrite = process.env.TFTP_WRITE === '1';
const server = createTftpServer({
  root,
  port: second && second !== '--get' ? Number(second) : 0,
  allowWrite,
});
const { address, port } = await server.listen();
const access = allowWrite ? 'reads and new files' : 'read-only';
console.log(`serving ${root} on ${address}:${port} (${access}; Ctrl-C stops)`);

if (second === '--get' && third) {
  const started = performance.now();
  const bytes = await tftpGet('127.0.0.1', port, third, { blksize: 1428, tsize: true });
  const ms = performance.now() - started;
  const sha = createHash('sha256').update(bytes).digest('hex');
  console.log(`got ${third}: ${bytes.length} bytes in ${ms.toFixed(0)} ms, sha256 ${sha}`);
  // the server counts the transfer complete when our last ACK reaches it: wait for it (≤ 1 s)
  for (let i = 0; i < 100 && server.stats.completed === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  console.log(server.stats);
  await server.close();
} else {
  process.on('SIGINT', () => {
    console.log(server.stats);
    void server.close().then(() => process.exit(0));
  });
}
