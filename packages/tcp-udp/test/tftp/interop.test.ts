// Interoperability with real TFTP implementations from Debian: tftp-hpa's client (`tftp`) and
// server (`in.tftpd`), and atftp's client. `.ci/run` installs them (packages tftp-hpa,
// tftpd-hpa, atftp); on a machine without them these tests fail and say what to install.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { pollUntil, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { tftpGet, tftpPut } from '../../src/tftp/client.ts';
import { IN_TFTPD, startInTftpd as startDaemon } from '../helpers/tftp-daemon.ts';
import { sha256, startTftpServer, tftpRoot } from '../helpers/tftp-files.ts';

const run = promisify(execFile);
const PEERS = { tftp: '/usr/bin/tftp', atftp: '/usr/bin/atftp', 'in.tftpd': IN_TFTPD };

function need(name: keyof typeof PEERS): string {
  const file = PEERS[name];
  if (!fs.existsSync(file)) {
    throw new Error(
      `${file} is missing: install Debian's tftp-hpa, tftpd-hpa and atftp (apt-get install -y tftp-hpa tftpd-hpa atftp) to run the interoperability tests`,
    );
  }
  return file;
}

/** How many processes are in process group `group` (Linux /proc). */
function processesInGroup(group: number): number {
  let count = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // fields after the command name (in parentheses): state, ppid, pgrp, …
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === group) count++;
    } catch {
      // the process ended while we looked
    }
  }
  return count;
}

/** Starts tftp-hpa's server in the foreground on a loopback port, serving (and chrooted to) `root`. */
async function startInTftpd(root: string, extra: string[] = []): Promise<number> {
  need('in.tftpd');
  if (process.getuid?.() !== 0)
    throw new Error('in.tftpd -s chroots into its directory, which needs root');
  const daemon = await startDaemon(root, extra);
  onTestFinished(async () => {
    const group = daemon.child.pid ?? 0;
    daemon.stop();
    await withTimeout(daemon.exited, 'in.tftpd to exit after SIGTERM');
    await pollUntil(
      () => processesInGroup(group) === 0,
      `every in.tftpd process of group ${group} to exit`,
    );
  });
  return daemon.port;
}

/** tftp-hpa's client gets `name` in `mode` from our server over a root holding `files`. */
async function hpaClientGets(
  files: Record<string, number | Buffer>,
  name: string,
  mode: 'binary' | 'ascii',
): Promise<{ got: Buffer; bytes: Record<string, Buffer> }> {
  const { root, bytes } = await tftpRoot(files);
  const { port } = await startTftpServer(root);
  const local = path.join(root, `got-${name}`);
  await run(need('tftp'), ['127.0.0.1', String(port), '-m', mode, '-c', 'get', name, local], {
    timeout: 15_000,
  });
  return { got: fs.readFileSync(local), bytes };
}

describe('TFTP interoperability with Debian peers', () => {
  it.each([
    ['a 5000-byte file', 5000],
    ['an exact multiple of 512 (final empty DATA)', 2048],
    ['an empty file', 0],
  ])('tftp-hpa\u2019s client reads %s from our server (octet)', async (_, size) => {
    const { got, bytes } = await hpaClientGets({ 'f.bin': size }, 'f.bin', 'binary');
    expect(sha256(got)).toBe(sha256(bytes['f.bin'] ?? Buffer.alloc(0)));
  });

  it('tftp-hpa\u2019s client reads a text file from our server in netascii, line ends intact', async () => {
    const text = Buffer.from('one\ntwo\nthree\rfour\n'.repeat(100));
    const { got } = await hpaClientGets({ 't.txt': text }, 't.txt', 'ascii');
    expect(got.equals(text)).toBe(true);
  });

  it.each([
    ['blksize 1024', 10_000, ['--option', 'blksize 1024']],
    ['blksize 1024, an exact multiple', 4096, ['--option', 'blksize 1024']],
    ['blksize 8192 and tsize', 50_000, ['--option', 'blksize 8192', '--option', 'tsize 0']],
    ['no options', 3000, []],
  ])('atftp\u2019s client reads from our server with %s', async (_, size, options) => {
    const { root, bytes } = await tftpRoot({ 'f.bin': size });
    const { server, port } = await startTftpServer(root);
    const local = path.join(root, 'got.bin');
    const { stderr } = await run(
      need('atftp'),
      [...options, '-g', '-r', 'f.bin', '-l', local, '127.0.0.1', String(port)],
      {
        timeout: 15_000,
      },
    );
    expect(sha256(fs.readFileSync(local))).toBe(sha256(bytes['f.bin'] ?? Buffer.alloc(0)));
    if (options.length > 0) expect(stderr).toMatch(/blksize/); // atftp says which options were agreed
    await pollUntil(() => server.stats.completed === 1, 'our server to see the last ACK');
  });

  it.each([
    ['no options', 5000, {}],
    ['blksize 1024 and tsize', 10_000, { blksize: 1024, tsize: true }],
    ['blksize 1024, an exact multiple', 3072, { blksize: 1024 }],
    ['an exact multiple of 512', 1024, {}],
  ])('our client reads from tftp-hpa\u2019s in.tftpd with %s', async (_, size, options) => {
    const { root, bytes } = await tftpRoot({ 'f.bin': size });
    const port = await startInTftpd(root);
    const got = await tftpGet('127.0.0.1', port, 'f.bin', { ...options, timeoutMs: 1000 });
    expect(sha256(got)).toBe(sha256(bytes['f.bin'] ?? Buffer.alloc(0)));
  });

  it('our client gets in.tftpd\u2019s ERROR 1 for a missing file, as a RemoteError', async () => {
    const { root } = await tftpRoot({ 'f.bin': 10 });
    const port = await startInTftpd(root);
    await expect(tftpGet('127.0.0.1', port, 'missing.bin')).rejects.toMatchObject({
      code: 'TCPUDP_ERR_REMOTE',
      remoteCode: 1,
    });
  });

  it.each([
    ['tftp-hpa\u2019s client, no options', 'tftp', 5000, [] as string[]],
    ['tftp-hpa\u2019s client, an exact multiple of 512', 'tftp', 1536, [] as string[]],
    ['atftp\u2019s client with blksize 1024', 'atftp', 10_000, ['--option', 'blksize 1024']],
    [
      'atftp\u2019s client with blksize 1024, an exact multiple',
      'atftp',
      4096,
      ['--option', 'blksize 1024'],
    ],
  ])('%s writes a file to our server (allowWrite)', async (_, client, size, options) => {
    const { root, bytes } = await tftpRoot({ 'local.bin': size });
    await fs.promises.mkdir(path.join(root, 'inbox'));
    const { server, port } = await startTftpServer(path.join(root, 'inbox'), { allowWrite: true });
    const local = path.join(root, 'local.bin');
    const args =
      client === 'tftp'
        ? ['127.0.0.1', String(port), '-m', 'binary', '-c', 'put', local, 'up.bin']
        : [...options, '-p', '-l', local, '-r', 'up.bin', '127.0.0.1', String(port)];
    await run(need(client as 'tftp' | 'atftp'), args, { timeout: 15_000 });
    await pollUntil(() => server.stats.completed === 1, 'our server to commit the upload');
    expect(sha256(fs.readFileSync(path.join(root, 'inbox', 'up.bin')))).toBe(
      sha256(bytes['local.bin'] ?? Buffer.alloc(0)),
    );
  });

  it.each([
    ['no options', 5000, {}],
    ['blksize 1024 and tsize', 10_000, { blksize: 1024, tsize: true }],
  ])('our client writes to in.tftpd -c with %s', async (_, size, options) => {
    const { root } = await tftpRoot({});
    const port = await startInTftpd(root, ['-c']);
    const data = randomBytes(size);
    await tftpPut('127.0.0.1', port, 'put.bin', data, { ...options, timeoutMs: 1000 });
    // in.tftpd writes as it receives: wait until the whole file is there
    await pollUntil(
      () =>
        fs.existsSync(path.join(root, 'put.bin')) &&
        fs.statSync(path.join(root, 'put.bin')).size === size,
      'the file on in.tftpd\u2019s side',
    );
    expect(sha256(fs.readFileSync(path.join(root, 'put.bin')))).toBe(sha256(data));
  });
});
