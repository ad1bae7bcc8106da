/**
 * TFTP: a 1 MiB read from our server against the same read from tftp-hpa's in.tftpd, both with
 * our client, at 512-byte and 8192-byte blocks. Needs /usr/sbin/in.tftpd and root (it chroots);
 * without them the in.tftpd rows are left out and a line on stderr says why.
 *   BENCH_QUICK=1 pnpm exec tsx --conditions=@socketlab/source bench/index.ts tftp
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH_QUICK, type BenchRow, compare } from '@socketlab/testkit';
import { createTftpServer, tftpGet } from '../src/index.ts';

const SIZE = BENCH_QUICK ? 256 * 1024 : 1024 * 1024;

async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

async function startInTftpd(
  root: string,
): Promise<{ port: number; child: ChildProcess } | undefined> {
  if (!fs.existsSync('/usr/sbin/in.tftpd') || process.getuid?.() !== 0) {
    console.error('tftp bench: in.tftpd missing or not root; only our server is measured');
    return undefined;
  }
  const port = await freeUdpPort();
  const child = spawn(
    '/usr/sbin/in.tftpd',
    ['-L', '-a', `127.0.0.1:${port}`, '-s', root, '-u', 'root'],
    { stdio: 'ignore', detached: true }, // its own process group: it forks a child per transfer
  );
  for (let i = 0; i < 100; i++) {
    const answered = await tftpGet('127.0.0.1', port, 'probe-missing', {
      timeoutMs: 50,
      retries: 0,
    }).catch((e: { remoteCode?: number }) => e.remoteCode === 1);
    if (answered === true) return { port, child };
  }
  process.kill(-(child.pid ?? 0), 'SIGTERM');
  console.error('tftp bench: in.tftpd did not answer');
  return undefined;
}

export async function rows(): Promise<BenchRow[]> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'socketlab-tftp-bench-'));
  fs.writeFileSync(path.join(root, 'f.bin'), randomBytes(SIZE));
  const ours = createTftpServer({ root });
  const { port } = await ours.listen();
  const theirs = await startInTftpd(root);
  const out: BenchRow[] = [];
  try {
    for (const blksize of [512, 8192]) {
      const read = (p: number) => async (n: number) => {
        for (let i = 0; i < n; i++)
          await tftpGet('127.0.0.1', p, 'f.bin', { blksize, timeoutMs: 1000, dallyMs: 0 });
      };
      if (!theirs) continue;
      const row = await compare(
        `tftp-read-${SIZE / 1024}KiB-blksize-${blksize}`,
        'MiB/s',
        { name: 'socketlab server', run: read(port) },
        { name: 'in.tftpd (tftp-hpa)', run: read(theirs.port) },
        { batch: 1, budgetMs: BENCH_QUICK ? 200 : 2000 },
      );
      const mib = SIZE / (1024 * 1024);
      out.push({ ...row, value: row.value * mib, baselineValue: row.baselineValue * mib });
    }
  } finally {
    if (theirs) process.kill(-(theirs.child.pid ?? 0), 'SIGTERM');
    await ours.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
  return out;
}
