/**
 * TFTP: a 1 MiB read from our server against the same read from tftp-hpa's in.tftpd, both with
 * our client, at 512-byte and 8192-byte blocks. Needs /usr/sbin/in.tftpd and root (it chroots);
 * without them the in.tftpd rows are left out and a line on stderr says why.
 *   BENCH_QUICK=1 pnpm exec tsx --conditions=@socketlab/source bench/index.ts tftp
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH_QUICK, type BenchRow, compare } from '@socketlab/testkit';
import { createTftpServer, tftpGet } from '../src/index.ts';
import { IN_TFTPD, type InTftpd, startInTftpd } from '../test/helpers/tftp-daemon.ts';

const SIZE = BENCH_QUICK ? 256 * 1024 : 1024 * 1024;

async function startBaseline(root: string): Promise<InTftpd | undefined> {
  if (!fs.existsSync(IN_TFTPD) || process.getuid?.() !== 0) {
    console.error('tftp bench: in.tftpd missing or not root; only our server is measured');
    return undefined;
  }
  return startInTftpd(root).catch((error: Error) => {
    console.error(`tftp bench: in.tftpd did not answer (${error.message})`);
    return undefined;
  });
}

export async function rows(): Promise<BenchRow[]> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'socketlab-tftp-bench-'));
  fs.writeFileSync(path.join(root, 'f.bin'), randomBytes(SIZE));
  const ours = createTftpServer({ root });
  const { port } = await ours.listen();
  const theirs = await startBaseline(root);
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
    theirs?.stop();
    await ours.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
  return out;
}
