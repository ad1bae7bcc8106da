import { createHash, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  describeByteDifference,
  hexdump,
  lessonOf,
  loadExercise,
  pollUntil,
  rejectionOf,
  withTimeout,
} from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { listenImpairedUdpLink } from '../../src/impaired/udp-link.ts';
import { createTftpServer } from '../../src/tftp/server.ts';

// This spec grades your tftpRead() against the library's TFTP server (src/tftp/server.ts), against
// hand-scripted servers that lose, duplicate and misdirect packets, and through a lossy link.
type Exercise = typeof import('./exercise.ts');
const lesson = lessonOf(import.meta.url);
const SEED = Number(process.env.SEED ?? 5_2026);

async function read(
  port: number,
  name: string,
  options = { timeoutMs: 1000, retries: 5 },
): Promise<Buffer> {
  const { tftpRead } = await loadExercise<Exercise>(import.meta.url);
  return withTimeout(
    tftpRead('127.0.0.1', port, name, options),
    `tftpRead of ${JSON.stringify(name)} to settle`,
    15_000,
  );
}

async function serve(
  files: Record<string, Buffer>,
  options: { timeoutMs?: number; retries?: number } = {},
) {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'socketlab-ex05-'));
  onTestFinished(() => fs.rm(root, { recursive: true, force: true }));
  for (const [name, bytes] of Object.entries(files))
    await fs.writeFile(path.join(root, name), bytes);
  const server = createTftpServer({ root, ...options });
  onTestFinished(() => server.close());
  const { port } = await server.listen();
  return { server, port };
}

function expectSame(got: Buffer, expected: Buffer, section: string): void {
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex').slice(0, 16);
  const difference = describeByteDifference(expected, got);
  if (difference) {
    throw new Error(
      `the file you read differs from the server's (sha256 ${sha(got)}…, expected ${sha(expected)}…): ${difference}\n${lesson.see(section)}`,
    );
  }
}

const op = (d: Buffer): number => (d.length >= 2 ? d.readUInt16BE(0) : -1);
const block = (d: Buffer): number => (d.length >= 4 ? d.readUInt16BE(2) : -1);
function dataPacket(n: number, bytes: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(3, 0);
  head.writeUInt16BE(n, 2);
  return Buffer.concat([head, bytes]);
}
function errorPacket(code: number, message: string): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(5, 0);
  head.writeUInt16BE(code, 2);
  return Buffer.concat([head, Buffer.from(`${message}\0`)]);
}

/** A socket the spec drives by hand; records what it receives. */
async function socketOn(): Promise<{
  socket: dgram.Socket;
  port: number;
  got: { bytes: Buffer; port: number }[];
}> {
  const socket = dgram.createSocket('udp4');
  onTestFinished(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  const got: { bytes: Buffer; port: number }[] = [];
  socket.on('message', (bytes, rinfo) => got.push({ bytes, port: rinfo.port }));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, port: socket.address().port, got };
}

function describeReceived(what: string, got: { bytes: Buffer }[]): string {
  return `${what} received ${got.length} packet(s):\n${got.map((g) => hexdump(g.bytes, 32)).join('\n')}`;
}

describe('tftpRead, a TFTP read-request client', () => {
  it.each([
    ['an empty file', 0],
    ['a 100-byte file (one short block)', 100],
    ['exactly 512 bytes (a full block, then an empty one)', 512],
    ['1300 bytes (three blocks)', 1300],
    ['70000 bytes (137 blocks)', 70_000],
  ])('reads %s from the library\u2019s server', async (_, size) => {
    const bytes = randomBytes(size);
    const { server, port } = await serve({ 'f.bin': bytes });
    expectSame(await read(port, 'f.bin'), bytes, size % 512 === 0 ? 'The last block' : 'Lock-step');
    await pollUntil(
      () => server.stats.completed === 1,
      `the server to receive your ACK of the last block, numbered as that block (${lesson.see('The last block')})`,
      {
        ms: 5000,
      },
    );
  });

  it('rejects with TCPUDP_ERR_REMOTE and remoteCode 1 for a missing file', async () => {
    const { port } = await serve({});
    const error = await rejectionOf(
      read(port, 'nope.bin'),
      'reading a file the server does not have',
      lesson.see('ERROR packets'),
    );
    expect(error, lesson.see('ERROR packets')).toMatchObject({
      code: 'TCPUDP_ERR_REMOTE',
      remoteCode: 1,
    });
  });

  it('sends the RRQ again when the first is lost, ACKs the server\u2019s TID, ignores a stranger, re-ACKs a duplicate', async () => {
    const listener = await socketOn(); // the server's well-known port
    const tid = await socketOn(); // the port the transfer runs on
    const stranger = await socketOn(); // someone else
    const first = randomBytes(512);
    let clientPort = 0;
    listener.socket.on('message', (_request, rinfo) => {
      if (listener.got.length === 1) return; // lose the first RRQ
      if (listener.got.length > 2) return; // a third RRQ: the transfer has already started
      clientPort = rinfo.port;
      tid.socket.send(dataPacket(1, first), rinfo.port, '127.0.0.1');
      tid.socket.send(dataPacket(1, first), rinfo.port, '127.0.0.1'); // a duplicate
      stranger.socket.send(dataPacket(2, Buffer.from('evil')), rinfo.port, '127.0.0.1');
      stranger.socket.send(errorPacket(0, 'not your server'), rinfo.port, '127.0.0.1');
    });
    let ackOnes = 0;
    tid.socket.on('message', (ack) => {
      if (op(ack) === 4 && block(ack) === 1 && ++ackOnes === 2) {
        tid.socket.send(dataPacket(2, Buffer.from('end')), clientPort, '127.0.0.1');
      }
    });
    const got = await read(listener.port, 'x.bin', { timeoutMs: 100, retries: 5 }).catch(
      (err: Error) => {
        throw new Error(
          `${err.message}\n${describeReceived('the listening port', listener.got)}\n${describeReceived('the transfer port (TID)', tid.got)}`,
        );
      },
    );
    const rrq = listener.got[0]?.bytes ?? Buffer.alloc(0);
    expect(
      rrq.toString('latin1').toLowerCase(),
      `the RRQ must be 00 01, the name, 00, "octet", 00: ${lesson.see('The five packets')}`,
    ).toBe('\u0000\u0001x.bin\u0000octet\u0000');
    expect(
      listener.got.length,
      `the first RRQ was lost: ${lesson.see('Timeouts')}`,
    ).toBeGreaterThanOrEqual(2);
    expectSame(got, Buffer.concat([first, Buffer.from('end')]), 'Transfer ids (TIDs)');
    expect(
      ackOnes,
      `DATA 1 came twice: each must be acknowledged (read "Duplicates")`,
    ).toBeGreaterThanOrEqual(2);
    await pollUntil(
      () => tid.got.some((g) => op(g.bytes) === 4 && block(g.bytes) === 2),
      `your ACK 2 (the last block must be acknowledged too: ${lesson.see('The last block')})`,
      { ms: 2000 },
    );
  });

  it('counts retries per packet: a server that ignores the first ACK of every block, with retries 1', async () => {
    const listener = await socketOn();
    const tid = await socketOn();
    const blocks = [randomBytes(512), randomBytes(512), randomBytes(512), Buffer.from('end')];
    let clientPort = 0;
    listener.socket.on('message', (_request, rinfo) => {
      if (clientPort) return;
      clientPort = rinfo.port;
      tid.socket.send(dataPacket(1, blocks[0] ?? Buffer.alloc(0)), rinfo.port, '127.0.0.1');
    });
    const acks = new Map<number, number>();
    tid.socket.on('message', (ack) => {
      if (op(ack) !== 4) return;
      const n = block(ack);
      const seen = (acks.get(n) ?? 0) + 1;
      acks.set(n, seen);
      const next = blocks[n];
      // The first ACK of each block is "lost": only its resend moves the transfer on.
      if (seen === 2 && next) tid.socket.send(dataPacket(n + 1, next), clientPort, '127.0.0.1');
    });
    const got = await read(listener.port, 'slow.bin', { timeoutMs: 50, retries: 1 }).catch(
      (err: Error) => {
        throw new Error(
          `${err.message}\nEvery block needed one resend of its ACK, and retries was 1: retries bounds the resends of one packet, so reset the count whenever a new block arrives. ${lesson.see('Timeouts')}\n${describeReceived('the transfer port (TID)', tid.got)}`,
        );
      },
    );
    expectSame(got, Buffer.concat(blocks), 'Timeouts');
  });

  it('acknowledges a duplicate DATA at once, without waiting for its own timeout', async () => {
    const listener = await socketOn();
    const tid = await socketOn();
    const first = randomBytes(512);
    let clientPort = 0;
    listener.socket.on('message', (_request, rinfo) => {
      clientPort = rinfo.port;
      tid.socket.send(dataPacket(1, first), rinfo.port, '127.0.0.1');
      tid.socket.send(dataPacket(1, first), rinfo.port, '127.0.0.1'); // as if our timer fired
    });
    let ackOnes = 0;
    tid.socket.on('message', (ack) => {
      if (op(ack) === 4 && block(ack) === 1 && ++ackOnes === 2) {
        tid.socket.send(dataPacket(2, Buffer.from('end')), clientPort, '127.0.0.1');
      }
    });
    // retries: 0, so the only way to a second ACK 1 is answering the duplicate DATA 1 itself.
    const got = await read(listener.port, 'dup.bin', { timeoutMs: 2000, retries: 0 }).catch(
      (err: Error) => {
        throw new Error(
          `${err.message}\nDATA 1 came twice (your ACK was lost, says the server): answer the repeat with ACK 1 again when it arrives, not only when your timer fires. ${lesson.see('Duplicates')}\n${describeReceived('the transfer port (TID)', tid.got)}`,
        );
      },
    );
    expectSame(got, Buffer.concat([first, Buffer.from('end')]), 'Duplicates');
  });

  it('rejects with the server\u2019s ERROR in the middle of a transfer', async () => {
    const listener = await socketOn();
    const tid = await socketOn();
    listener.socket.on('message', (_req, rinfo) =>
      tid.socket.send(dataPacket(1, randomBytes(512)), rinfo.port, '127.0.0.1'),
    );
    tid.socket.on('message', (_ack, rinfo) =>
      tid.socket.send(errorPacket(3, 'Disk full or allocation exceeded'), rinfo.port, '127.0.0.1'),
    );
    const error = await rejectionOf(
      read(listener.port, 'f'),
      'a read answered with ERROR 3',
      lesson.see('ERROR packets'),
    );
    expect(error, lesson.see('ERROR packets')).toMatchObject({
      code: 'TCPUDP_ERR_REMOTE',
      remoteCode: 3,
    });
  });

  it('gives up with TCPUDP_ERR_RETRIES_EXHAUSTED after retries + 1 RRQs to a silent server', async () => {
    const silent = await socketOn();
    const error = await rejectionOf(
      read(silent.port, 'f', { timeoutMs: 40, retries: 2 }),
      'a read from a silent server',
      lesson.see('Timeouts'),
    );
    expect(error, lesson.see('Timeouts')).toMatchObject({
      code: 'TCPUDP_ERR_RETRIES_EXHAUSTED',
    });
    await pollUntil(() => silent.got.length >= 3, 'three RRQs', { ms: 2000 });
    expect(silent.got.length, describeReceived('the silent server', silent.got)).toBe(3);
  });

  it('reads past block 65535: the block number wraps to 0 and the transfer goes on', async () => {
    // 65,536 full blocks (numbered 1..65535, then 0) and a short one numbered 1 again: 32 MiB.
    // Each block carries its position (a u32 at both ends), so a block kept twice, dropped or
    // misplaced shows in the byte comparison.
    const FULL_BLOCKS = 65_536;
    const LAST = FULL_BLOCKS + 1;
    const whole = Buffer.alloc(FULL_BLOCKS * 512 + 3);
    for (let i = 1; i <= FULL_BLOCKS; i++) {
      whole.writeUInt32BE(i, (i - 1) * 512);
      whole.writeUInt32BE(i, i * 512 - 4);
    }
    whole.write('end', FULL_BLOCKS * 512);
    const blockAt = (i: number): Buffer =>
      whole.subarray((i - 1) * 512, Math.min(i * 512, whole.length));
    const listener = await socketOn();
    const tid = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => tid.bind(0, '127.0.0.1', resolve));
    // The server keeps a few blocks in flight (as RFC 7440's windowsize does) so the grader stays
    // fast; your client sees them one by one, in order, as from a lock-step server, and ACKs
    // each. If a datagram is lost, the server sends again from the first block not acknowledged.
    const WINDOW = 16;
    let clientPort = 0;
    let sent = 0; // positions in the file, 1-based and not wrapped
    let acked = 0;
    const strayAcks: string[] = [];
    const send = (i: number): void => {
      tid.send(dataPacket(i % 65_536, blockAt(i)), clientPort, '127.0.0.1');
    };
    const fill = (): void => {
      while (sent < LAST && sent < acked + WINDOW) send(++sent);
    };
    let progressAt = acked;
    const resend = setInterval(() => {
      if (clientPort && acked < LAST && acked === progressAt) {
        for (let i = acked + 1; i <= sent; i++) send(i);
      }
      progressAt = acked;
    }, 250);
    onTestFinished(() => {
      clearInterval(resend);
      return new Promise<void>((resolve) => tid.close(() => resolve()));
    });
    listener.socket.on('message', (_request, rinfo) => {
      if (clientPort) return;
      clientPort = rinfo.port;
      fill();
    });
    tid.on('message', (ack) => {
      if (op(ack) !== 4) return;
      const n = block(ack);
      let matched = false;
      for (let i = acked + 1; i <= sent; i++) {
        if (i % 65_536 === n) {
          acked = i;
          matched = true;
          break;
        }
      }
      if (matched) fill();
      else if (n !== acked % 65_536 && strayAcks.length < 5) {
        strayAcks.push(
          `ACK ${n} when DATA ${(acked + 1) % 65_536} (block ${acked + 1} of the file) was due`,
        );
      }
    });
    const { tftpRead } = await loadExercise<Exercise>(import.meta.url);
    // 65,537 round trips take 5-10 s on a quiet machine and over 45 s under CI's full load, so
    // the bound is on progress: the read fails once no block has been acknowledged for 10 s (a
    // client that hangs), with 170 s in all as a backstop.
    let stalled: NodeJS.Timeout | undefined;
    const noProgress = new Promise<never>((_, reject) => {
      let seen = -1;
      stalled = setInterval(() => {
        if (acked === seen)
          reject(new Error('tftpRead of 65,537 blocks made no progress for 10 s'));
        seen = acked;
      }, 10_000);
    });
    onTestFinished(() => clearInterval(stalled));
    const got = await withTimeout(
      Promise.race([
        tftpRead('127.0.0.1', listener.port, 'big.bin', { timeoutMs: 1000, retries: 5 }),
        noProgress,
      ]),
      'tftpRead of 65,537 blocks',
      170_000,
    ).catch((err: Error) => {
      // `acked` is read now, when the wait failed, not when it started.
      throw new Error(
        `${err.message} (${acked} acknowledged when it stopped)\nACKs that matched no DATA in flight: ${strayAcks.join('; ') || 'none'}\n${lesson.see('Lock-step')}`,
      );
    });
    try {
      expectSame(got, whole, 'Lock-step');
    } catch (error) {
      throw new Error(
        `${(error as Error).message}\nByte ${(FULL_BLOCKS - 1) * 512} starts block ${FULL_BLOCKS} of the file, numbered 0 on the wire: after 65535 the number wraps to 0, not to 1; block i of the file starts at byte (i - 1) × 512.`,
      );
    }
    expect(
      strayAcks,
      `after DATA 65535 comes DATA 0, acknowledged with ACK 0 (${lesson.see('Lock-step')})`,
    ).toEqual([]);
    await pollUntil(
      () => acked === LAST,
      `your ACK 1 of the last block, block ${LAST} of the file (${lesson.see('The last block')})`,
      { ms: 2000 },
    );
  }, 180_000);

  it.each([
    ['the last ACK of a file', 'done'],
    ['an ERROR from the server', 'error'],
    ['giving up on a silent server', 'silent'],
  ] as const)('closes its socket after %s', async (_, ending) => {
    const listener = await socketOn();
    const tid = await socketOn();
    let clientPort = 0;
    listener.socket.on('message', (_request, rinfo) => {
      if (clientPort) return;
      clientPort = rinfo.port;
      if (ending === 'silent') return;
      const first =
        ending === 'done'
          ? dataPacket(1, Buffer.from('short'))
          : errorPacket(2, 'Access violation');
      tid.socket.send(first, rinfo.port, '127.0.0.1');
    });
    const timeoutMs = 50;
    const { tftpRead } = await loadExercise<Exercise>(import.meta.url);
    const outcome = await withTimeout(
      tftpRead('127.0.0.1', listener.port, 'c.bin', { timeoutMs, retries: 1 }).then(
        (bytes) => `resolved with ${bytes.length} bytes`,
        (error: Error) => `rejected: ${error.message}`,
      ),
      'tftpRead to settle',
    );
    if (/not implemented yet/.test(outcome)) throw new Error(outcome);
    expect(clientPort, 'the port your RRQ came from').toBeGreaterThan(0);
    // A datagram to a closed UDP port is answered with ICMP "port unreachable", which a
    // connected socket reports as ECONNREFUSED: that is how the grader sees your socket closed.
    const probe = dgram.createSocket('udp4');
    onTestFinished(() => new Promise<void>((resolve) => probe.close(() => resolve())));
    let refused = false;
    probe.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') refused = true;
    });
    await new Promise<void>((resolve) => probe.connect(clientPort, '127.0.0.1', resolve));
    const allowedMs = 3 * timeoutMs + 1000; // a dally of up to 3 × timeoutMs, and slack for a busy machine
    await pollUntil(
      () => {
        if (!refused) probe.send(Buffer.alloc(4)); // opcode 0: no TFTP packet, ignored if open
        return refused;
      },
      `your socket (port ${clientPort}) to be closed after the transfer ${outcome} (it still received datagrams ${allowedMs} ms later): close it on every ending, success or failure (${lesson.see('Your task')})`,
      { ms: allowedMs, intervalMs: 25, maxTries: 1_000 },
    );
  });

  it('reads a file intact through a link that loses 10% and duplicates 10% of datagrams (seeded)', async () => {
    const bytes = randomBytes(20_000);
    const { port } = await serve({ 'f.bin': bytes }, { timeoutMs: 60, retries: 20 });
    const link = await listenImpairedUdpLink({
      target: { host: '127.0.0.1', port },
      loss: 0.1,
      duplicate: 0.1,
      seed: SEED,
    });
    onTestFinished(() => link.close());
    const { tftpRead } = await loadExercise<Exercise>(import.meta.url);
    const got = await withTimeout(
      tftpRead('127.0.0.1', link.address.port, 'f.bin', { timeoutMs: 60, retries: 20 }),
      'a read through loss',
      15_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message} (seed ${SEED}; replay with SEED=${SEED})`);
    });
    expectSame(got, bytes, 'Timeouts');
  });
});
