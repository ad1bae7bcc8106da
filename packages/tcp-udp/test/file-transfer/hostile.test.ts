import { link, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { encodeFileTransferMessage } from '../../src/file-transfer/codec.ts';
import type { FileTransferMessage, FileTransferReason } from '../../src/file-transfer/protocol.ts';
import type { FileReceiverOptions } from '../../src/file-transfer/receiver-options.ts';
import { partialFileName } from '../../src/file-transfer/receiver-store.ts';
import { sendFiles } from '../../src/file-transfer/sender.ts';
import {
  RawFileTransferPeer,
  type ReceiverLog,
  sha256Of,
  startReceiver,
} from '../helpers/file-transfer-fixtures.ts';

const SECRET = 'outside: must never change';
const BODY = Buffer.from('pwned');

interface Setup {
  dst: string;
  outside: string;
}

interface HostileCase {
  what: string;
  options?: Partial<FileReceiverOptions>;
  /** Plants things in the receiver's directory before the attack. */
  plant?: (setup: Setup) => Promise<void>;
  /** Runs the attack and returns what the receiver answered (the first non-hello reply). */
  attack: (peer: RawFileTransferPeer) => Promise<FileTransferMessage>;
  expected: { type: 'refuse' | 'error'; reason: FileTransferReason };
  /** Files the receiver keeps on purpose (a partial file, for a resume). */
  keeps?: string[];
}

const header = (
  name: string,
  size = BODY.length,
  sha256 = sha256Of(BODY),
): FileTransferMessage => ({
  type: 'file',
  name,
  size,
  mode: 0o644,
  sha256,
});

/** Plants a link (`symlink`, or a hard `link`) named `name` in the receiver's directory, to the secret outside it. */
const linkSecretAs =
  (how: typeof link, name: string) =>
  ({ dst, outside }: Setup): Promise<void> =>
    how(path.join(outside, 'secret.txt'), path.join(dst, name));

const announce =
  (name: string, size?: number, sha256?: string) =>
  async (peer: RawFileTransferPeer): Promise<FileTransferMessage> => {
    await peer.hello();
    await peer.send(header(name, size, sha256));
    const reply = await peer.read();
    if (reply.type === 'accept') await peer.send(BODY); // should never happen: say what it did
    return reply;
  };

/** A case in which announcing `name` must be refused as an unsafe name, with nothing planted. */
const unsafeName = (
  what: string,
  name: string,
  options?: Partial<FileReceiverOptions>,
): HostileCase => ({
  what,
  ...(options ? { options } : {}),
  attack: announce(name),
  expected: { type: 'refuse', reason: 'unsafe-name' },
});

const CASES: HostileCase[] = [
  unsafeName('a traversal name ../../etc/passwd', '../../etc/passwd'),
  unsafeName('a traversal into a sibling, with subdirectories on', '../outside/secret.txt', {
    allowSubdirectories: true,
  }),
  unsafeName('an absolute path', '/tmp/evil'),
  unsafeName('the device name NUL', 'NUL'),
  unsafeName('a NUL byte in the name', 'a\0.txt'),
  unsafeName("the name of another upload's partial file", partialFileName('x', 'a'.repeat(64))),
  {
    what: 'a symlink planted under the final name, pointing outside',
    plant: linkSecretAs(symlink, 'link.txt'),
    attack: announce('link.txt'),
    expected: { type: 'refuse', reason: 'unsafe-name' },
  },
  {
    what: 'a symlink planted as a parent directory',
    options: { allowSubdirectories: true },
    plant: ({ dst, outside }) => symlink(outside, path.join(dst, 'sub')),
    attack: announce('sub/secret.txt'),
    expected: { type: 'refuse', reason: 'unsafe-name' },
  },
  {
    what: 'a symlink planted under the partial name',
    plant: linkSecretAs(symlink, partialFileName('p.txt', sha256Of(BODY))),
    attack: announce('p.txt'),
    expected: { type: 'refuse', reason: 'unsafe-name' },
  },
  {
    what: 'a hard link to a file outside planted under the partial name',
    plant: linkSecretAs(link, partialFileName('p.txt', sha256Of(BODY))),
    attack: announce('p.txt'),
    expected: { type: 'refuse', reason: 'unsafe-name' },
  },
  {
    what: 'a hard link to a file outside planted under the final name (a hash oracle)',
    plant: linkSecretAs(link, 'h.txt'),
    attack: announce('h.txt', Buffer.byteLength(SECRET), sha256Of(Buffer.from(SECRET))),
    expected: { type: 'refuse', reason: 'unsafe-name' },
  },
  {
    what: 'a hard link planted under the final name, with overwrite on',
    options: { overwrite: true },
    plant: linkSecretAs(link, 'h.txt'),
    attack: announce('h.txt'),
    expected: { type: 'refuse', reason: 'unsafe-name' },
  },
  {
    what: 'a size over the limit',
    options: { maxFileBytes: 1000 },
    attack: announce('big.bin', 1001),
    expected: { type: 'refuse', reason: 'too-large' },
  },
  {
    what: 'a size of 2^53-1 bytes',
    attack: announce('huge.bin', Number.MAX_SAFE_INTEGER),
    expected: { type: 'refuse', reason: 'too-large' },
  },
  {
    what: 'too many files in one session',
    options: { maxFilesPerSession: 2, maxFileBytes: 100 },
    attack: async (peer) => {
      await peer.hello();
      for (let i = 0; i < 2; i++) {
        await peer.send(header(`f${i}`, 101));
        const refused = await peer.read();
        if (refused.type !== 'refuse') return refused;
      }
      await peer.send(header('f2'));
      return peer.read();
    },
    expected: { type: 'error', reason: 'too-many-files' },
  },
  {
    what: 'a size past 2^53-1',
    attack: async (peer) => {
      await peer.hello();
      const wire = encodeFileTransferMessage(header('x.bin', 1));
      wire.writeBigUInt64BE(2n ** 60n, 5);
      await peer.send(wire);
      return peer.read();
    },
    expected: { type: 'error', reason: 'malformed' },
  },
  {
    what: 'a garbage header',
    attack: async (peer) => {
      await peer.hello();
      await peer.send(Buffer.from('GET /etc/passwd HTTP/1.1\r\n\r\n'));
      return peer.read();
    },
    expected: { type: 'error', reason: 'malformed' },
  },
  {
    what: 'a header declaring a 1 GiB payload',
    attack: async (peer) => {
      await peer.hello();
      await peer.send(Buffer.from([0x02, 0x40, 0, 0, 0]));
      return peer.read();
    },
    expected: { type: 'error', reason: 'malformed' },
  },
  {
    what: 'a header that never ends',
    options: { headerTimeoutMs: 800 }, // room for the concurrent sender on a loaded machine
    attack: async (peer) => {
      await peer.hello();
      await peer.send(encodeFileTransferMessage(header('slow.txt')).subarray(0, 12));
      return peer.read();
    },
    expected: { type: 'error', reason: 'timeout' },
  },
  {
    what: 'a body that stalls',
    options: { idleTimeoutMs: 800 },
    attack: async (peer) => {
      await peer.hello();
      await peer.send(header('stall.txt'));
      await peer.read();
      await peer.send(BODY.subarray(0, 2));
      return peer.read();
    },
    expected: { type: 'error', reason: 'timeout' },
    keeps: [partialFileName('stall.txt', sha256Of(BODY))],
  },
  {
    what: 'a wrong protocol version',
    attack: async (peer) => {
      await peer.send({ type: 'hello', version: 99 });
      return peer.read();
    },
    expected: { type: 'error', reason: 'unsupported-version' },
  },
  {
    what: 'one session too many',
    options: { maxSessions: 2 }, // the well-behaved sender holds one, a silent peer the other
    attack: async (peer) => peer.read(),
    expected: { type: 'error', reason: 'busy' },
  },
];

async function contentsOf(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

describe('a file receiver facing a hostile sender', () => {
  it.each(CASES)('refuses $what, and serves a well-behaved sender meanwhile', async (test) => {
    const [src, dst, parent] = [await tempDir(), await tempDir(), await tempDir()];
    const outside = path.join(parent, 'outside');
    await mkdir(outside);
    await writeFile(path.join(outside, 'secret.txt'), SECRET);
    await test.plant?.({ dst, outside });
    const planted = await contentsOf(dst);
    const { port, log } = await startReceiver({ directory: dst, ...test.options });

    // A well-behaved session is open (hello done) before the attack and finishes after it; and,
    // except when the point is that all sessions are taken, another sender runs during it.
    const good = path.join(src, 'good.txt');
    await writeFile(good, 'well-behaved');
    // (Not when the header timeout is the point: an idle session is cut by it too, rightly.)
    const polite = test.options?.headerTimeoutMs
      ? undefined
      : await RawFileTransferPeer.connect(port);
    await polite?.hello();
    const busy = test.what === 'one session too many';
    const silent = busy ? await RawFileTransferPeer.connect(port) : undefined;
    if (silent) await silent.hello();

    const hostile = await RawFileTransferPeer.connect(port);
    const [reply, during] = await Promise.all([
      test.attack(hostile),
      busy ? undefined : sendFiles('127.0.0.1', port, [{ path: good, name: 'during.txt' }]),
    ]);
    expect(reply, `the receiver's reply to ${test.what}`).toMatchObject(test.expected);
    expect((reply as { message: string }).message.length, 'a refusal says why').toBeGreaterThan(5);
    if (during) expect(during[0]?.status, 'a sender served during the attack').toBe('sent');
    if (reply.type === 'error') {
      const rest = await hostile.wire.readToEnd();
      expect(rest.length, 'after an error message the receiver sends nothing more and closes').toBe(
        0,
      );
    }

    if (polite) {
      const body = Buffer.from('well-behaved');
      await polite.send({
        type: 'file',
        name: 'good.txt',
        size: body.length,
        mode: 0o644,
        sha256: sha256Of(body),
      });
      expect(await polite.read(), 'the session opened before the attack').toEqual({
        type: 'accept',
        offset: 0,
      });
      await polite.send(body);
      expect(await polite.read()).toMatchObject({ type: 'result', status: 'verified' });
    } else {
      expect((await sendFiles('127.0.0.1', port, [good]))[0]?.status).toBe('sent');
    }
    silent?.wire.close();
    expect(await readFile(path.join(dst, 'good.txt'), 'utf8')).toBe('well-behaved');
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8'), 'the file outside').toBe(
      SECRET,
    );
    expect(await readdir(outside)).toEqual(['secret.txt']);
    expect(
      await contentsOf(dst),
      'the directory holds only what was planted and the good file',
    ).toEqual(
      [...planted, ...(test.keeps ?? []), 'good.txt', ...(busy ? [] : ['during.txt'])].sort(),
    );
    expectReported(log, test.expected);
  });
});

function expectReported(log: ReceiverLog, expected: HostileCase['expected']): void {
  if (expected.type === 'refuse') {
    expect(log.refused.map((e) => e.reason)).toContain(expected.reason);
  } else {
    expect(log['session-error'].length, 'a session error reported to the owner').toBeGreaterThan(0);
    expect(log['session-error'].every((e) => e.code.startsWith('TCPUDP_ERR_'))).toBe(true);
  }
}
