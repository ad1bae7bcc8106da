// tftp-hpa's server, in.tftpd, run in the foreground on a loopback port: the real peer of the
// interoperability tests and the baseline of bench/tftp.ts.
import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { pollUntil } from '@socketlab/testkit';
import { tftpGet } from '../../src/tftp/client.ts';

/** Where Debian's tftpd-hpa package puts the server. */
export const IN_TFTPD = '/usr/sbin/in.tftpd';

/** A UDP port that was free on 127.0.0.1 a moment ago (for handing to another process). */
export async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** A running in.tftpd, in a process group of its own (it forks a child per transfer). */
export interface InTftpd {
  readonly port: number;
  readonly child: ChildProcess;
  /** Resolves when the main process has exited. */
  readonly exited: Promise<void>;
  /** SIGTERM to the whole process group. */
  stop(): void;
}

/**
 * Starts `in.tftpd` serving (and chrooted to) `root`, and resolves once it answers: a read of a
 * missing file gets ERROR 1. Needs root (the chroot). On failure it is stopped and this rejects.
 */
export async function startInTftpd(root: string, extra: string[] = []): Promise<InTftpd> {
  const port = await freeUdpPort();
  const child = spawn(
    IN_TFTPD,
    ['-L', '-a', `127.0.0.1:${port}`, '-s', root, '-u', 'root', ...extra],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = (): void => {
    if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
  };
  try {
    await pollUntil(
      async () => {
        if (child.exitCode !== null) throw new Error(`in.tftpd exited early: ${stderr}`);
        const error = await tftpGet('127.0.0.1', port, 'no-such-file-probe', {
          timeoutMs: 100,
          retries: 0,
        }).catch((e: unknown) => e as { remoteCode?: unknown });
        return (error as { remoteCode?: unknown } | undefined)?.remoteCode === 1;
      },
      'in.tftpd to answer',
      { ms: 10_000, intervalMs: 50 },
    );
  } catch (error) {
    stop();
    throw error;
  }
  return { port, child, exited, stop };
}
