import { describe, expect, it } from 'vitest';
import type { TftpPacket } from '../../src/tftp/packet.ts';
import { type TftpEndpoint, TftpReceiver, TftpSender } from '../../src/tftp/transfer.ts';
import { tftpOps } from '../helpers/tftp-ops.ts';

const CLIENT: TftpEndpoint = { address: '127.0.0.1', port: 40_000 };
const SERVER: TftpEndpoint = { address: '127.0.0.1', port: 69 };
const SERVER_TID: TftpEndpoint = { address: '127.0.0.1', port: 50_000 };

function fakeClock() {
  const clock = { t: 0 };
  return { clock, now: () => clock.t };
}

const ops = tftpOps;

describe('the TFTP sender (fake time)', () => {
  it('sends block after block, each after the ACK of the one before, and ends on a short block', () => {
    const { now } = fakeClock();
    const tx = new TftpSender({ peer: CLIENT, blksize: 8, now });
    expect(tx.start()).toEqual([]);
    expect(ops(tx.offer(Buffer.alloc(8)))).toEqual(['DATA 1 (8)']);
    expect(() => tx.offer(Buffer.alloc(8))).toThrow(/state sending/);
    expect(tx.receive({ op: 'ack', block: 1 }, CLIENT)).toEqual([]);
    expect(tx.state).toBe('ready');
    expect(ops(tx.offer(Buffer.alloc(3)))).toEqual(['DATA 2 (3)']);
    tx.receive({ op: 'ack', block: 2 }, CLIENT);
    expect(tx.state).toBe('done');
  });

  it('ends a file that is an exact multiple of the block size with an empty DATA', () => {
    const tx = new TftpSender({ peer: CLIENT, blksize: 8 });
    tx.offer(Buffer.alloc(8));
    tx.receive({ op: 'ack', block: 1 }, CLIENT);
    expect(tx.state).toBe('ready');
    expect(ops(tx.offer(Buffer.alloc(0)))).toEqual(['DATA 2 (0)']);
    tx.receive({ op: 'ack', block: 2 }, CLIENT);
    expect(tx.state).toBe('done');
  });

  it('resends a lost DATA on timeout, only once the deadline passed', () => {
    const { clock, now } = fakeClock();
    const tx = new TftpSender({ peer: CLIENT, blksize: 8, timeoutMs: 100, retries: 2, now });
    tx.offer(Buffer.alloc(8));
    expect(tx.deadline).toBe(100);
    clock.t = 99;
    expect(tx.tick()).toEqual([]);
    clock.t = 100;
    expect(ops(tx.tick())).toEqual(['DATA 1 (8)']);
    expect(tx.deadline).toBe(200);
    expect(tx.stats.retransmits).toBe(1);
  });

  it('gives up with TCPUDP_ERR_RETRIES_EXHAUSTED after the last retry', () => {
    const { clock, now } = fakeClock();
    const tx = new TftpSender({ peer: CLIENT, blksize: 8, timeoutMs: 100, retries: 2, now });
    tx.offer(Buffer.alloc(8));
    for (const t of [100, 200]) {
      clock.t = t;
      expect(ops(tx.tick())).toEqual(['DATA 1 (8)']);
    }
    clock.t = 300;
    expect(tx.tick()).toEqual([]);
    expect(tx.state).toBe('failed');
    expect(tx.error).toMatchObject({ code: 'TCPUDP_ERR_RETRIES_EXHAUSTED', timeoutMs: 300 });
  });

  it('never answers a duplicate ACK with a resend (the Sorcerer\u2019s Apprentice, RFC 1123 §4.2.3.1)', () => {
    const tx = new TftpSender({ peer: CLIENT, blksize: 8 });
    tx.offer(Buffer.alloc(8));
    tx.receive({ op: 'ack', block: 1 }, CLIENT);
    tx.offer(Buffer.alloc(8)); // DATA 2 out
    // the ACK 1 arrives again (the network duplicated it, or the client re-acknowledged)
    expect(tx.receive({ op: 'ack', block: 1 }, CLIENT)).toEqual([]);
    expect(tx.receive({ op: 'ack', block: 1 }, CLIENT)).toEqual([]);
    expect(tx.state).toBe('sending');
    expect(tx.stats.duplicates).toBe(2);
    tx.receive({ op: 'ack', block: 2 }, CLIENT);
    expect(tx.state).toBe('ready');
  });

  it('answers a packet from another port with ERROR 5 to that port, and the transfer goes on', () => {
    const tx = new TftpSender({ peer: CLIENT, blksize: 8 });
    tx.offer(Buffer.alloc(8));
    const stranger = { address: '127.0.0.1', port: 40_001 };
    const sends = tx.receive({ op: 'ack', block: 1 }, stranger);
    expect(ops(sends)).toEqual(['ERROR 5']);
    expect(sends[0]?.to).toEqual(stranger);
    expect(tx.state).toBe('sending');
    tx.receive({ op: 'ack', block: 1 }, CLIENT);
    expect(tx.state).toBe('ready');
    expect(tx.stats.foreign).toBe(1);
  });

  it('wraps the block number from 65535 to 0', () => {
    const tx = new TftpSender({ peer: CLIENT, blksize: 8 });
    const blocks: number[] = [];
    for (let i = 1; i <= 65_538; i++) {
      const [send] = tx.offer(Buffer.alloc(8));
      const packet = send?.packet;
      if (packet?.op !== 'data') throw new Error('expected DATA');
      if (i >= 65_534) blocks.push(packet.block);
      tx.receive({ op: 'ack', block: packet.block }, CLIENT);
    }
    expect(blocks).toEqual([65_534, 65_535, 0, 1, 2]);
  });

  it('starts with an OACK that must be acknowledged with ACK 0, and resends it when lost', () => {
    const { clock, now } = fakeClock();
    const tx = new TftpSender({ peer: CLIENT, blksize: 1024, timeoutMs: 50, now });
    expect(ops(tx.start([['blksize', '1024']]))).toEqual(['OACK']);
    clock.t = 50;
    expect(ops(tx.tick())).toEqual(['OACK']);
    tx.receive({ op: 'ack', block: 0 }, CLIENT);
    expect(tx.state).toBe('ready');
  });

  it('fails on an ERROR from the peer, and on an unexpected packet (answered with ERROR 4)', () => {
    const a = new TftpSender({ peer: CLIENT });
    a.offer(Buffer.alloc(512));
    a.receive({ op: 'error', code: 3, message: 'Disk full' }, CLIENT);
    expect(a.error).toMatchObject({
      code: 'TCPUDP_ERR_REMOTE',
      remoteCode: 3,
      remoteMessage: 'Disk full',
    });
    const b = new TftpSender({ peer: CLIENT });
    b.offer(Buffer.alloc(512));
    expect(ops(b.receive({ op: 'data', block: 1, data: Buffer.alloc(1) }, CLIENT))).toEqual([
      'ERROR 4',
    ]);
    expect(b.error).toMatchObject({ code: 'TCPUDP_ERR_PROTOCOL' });
  });

  it('refuses a block size outside RFC 2348 and a block over it', () => {
    expect(() => new TftpSender({ peer: CLIENT, blksize: 7 })).toThrow(RangeError);
    expect(() => new TftpSender({ peer: CLIENT, blksize: 65_465 })).toThrow(RangeError);
    expect(() => new TftpSender({ peer: CLIENT, blksize: 8 }).offer(Buffer.alloc(9))).toThrow(
      RangeError,
    );
  });
});

describe('the TFTP receiver (fake time)', () => {
  function reader(options: Partial<ConstructorParameters<typeof TftpReceiver>[0]> = {}) {
    const { clock, now } = fakeClock();
    const rx = new TftpReceiver({
      server: SERVER,
      filename: 'f',
      timeoutMs: 100,
      retries: 2,
      now,
      ...options,
    });
    const got: Buffer[] = [];
    const feed = (packet: TftpPacket, from = SERVER_TID) =>
      ops(rx.receive(packet, from, (d) => got.push(Buffer.from(d))));
    return { rx, clock, got, feed, bytes: () => Buffer.concat(got) };
  }
  const data = (block: number, text: string): TftpPacket => ({
    op: 'data',
    block,
    data: Buffer.from(text),
  });

  it('sends an RRQ, locks onto the port of the first answer, acknowledges in order', () => {
    const { rx, feed, bytes } = reader({ blksize: 8 });
    const [rrq] = rx.start();
    expect(rrq?.to).toEqual(SERVER);
    expect(rrq?.packet).toEqual({
      op: 'rrq',
      filename: 'f',
      mode: 'octet',
      options: [['blksize', '8']],
    });
    expect(feed({ op: 'oack', options: [['blksize', '8']] })).toEqual(['ACK 0']);
    expect(feed(data(1, '12345678'))).toEqual(['ACK 1']);
    expect(feed(data(2, 'end'))).toEqual(['ACK 2']);
    expect(rx.state).toBe('done');
    expect(bytes().toString()).toBe('12345678end');
    expect(rx.peer).toEqual(SERVER_TID);
  });

  it('falls back to 512-byte blocks when the server ignores the options and sends DATA 1', () => {
    const { rx, feed } = reader({ blksize: 1024 });
    rx.start();
    expect(feed({ op: 'data', block: 1, data: Buffer.alloc(512) })).toEqual(['ACK 1']);
    expect(rx.blksize).toBe(512);
    expect(rx.state).toBe('receiving');
  });

  it('re-acknowledges a duplicate DATA (its ACK was lost) and delivers it once', () => {
    const { rx, feed, bytes } = reader();
    rx.start();
    feed({ op: 'data', block: 1, data: Buffer.alloc(512, 1) });
    expect(feed({ op: 'data', block: 1, data: Buffer.alloc(512, 1) })).toEqual(['ACK 1']);
    expect(feed(data(3, 'too early'))).toEqual([]);
    feed(data(2, 'x'));
    expect(bytes().length).toBe(513);
    expect(rx.stats.duplicates).toBe(2);
    // the final ACK was lost too: the last DATA comes again and is answered again
    expect(feed(data(2, 'x'))).toEqual(['ACK 2']);
    expect(bytes().length).toBe(513);
  });

  it('resends its last ACK on timeout (the DATA was lost), then gives up', () => {
    const { rx, feed, clock } = reader();
    rx.start();
    clock.t = 10;
    feed({ op: 'data', block: 1, data: Buffer.alloc(512) });
    clock.t = 110;
    expect(ops(rx.tick())).toEqual(['ACK 1']);
    clock.t = 210;
    expect(ops(rx.tick())).toEqual(['ACK 1']);
    clock.t = 310;
    expect(rx.tick()).toEqual([]);
    expect(rx.error).toMatchObject({ code: 'TCPUDP_ERR_RETRIES_EXHAUSTED' });
  });

  it('resends the RRQ when nothing answers it', () => {
    const { rx, clock } = reader();
    rx.start();
    clock.t = 100;
    expect(ops(rx.tick())).toEqual(['RRQ']);
  });

  it('answers a stranger with ERROR 5 and keeps receiving from the locked port', () => {
    const { rx, feed } = reader();
    rx.start();
    feed({ op: 'data', block: 1, data: Buffer.alloc(512) });
    expect(feed(data(2, 'evil'), { address: '127.0.0.1', port: 50_001 })).toEqual(['ERROR 5']);
    expect(feed(data(2, 'good'))).toEqual(['ACK 2']);
    expect(rx.state).toBe('done');
    expect(rx.bytes).toBe(516);
  });

  it('receives across the block wrap 65535 → 0', () => {
    const { rx, feed } = reader({ blksize: 8, maxBytes: 10_000_000 });
    rx.start();
    feed({ op: 'oack', options: [['blksize', '8']] });
    const full = Buffer.alloc(8);
    const acks: number[] = [];
    for (let i = 1; i <= 65_537; i++) {
      for (const { packet } of rx.receive(
        { op: 'data', block: i & 0xffff, data: full },
        SERVER_TID,
        () => {},
      )) {
        if (packet.op === 'ack' && i >= 65_534) acks.push(packet.block);
      }
    }
    expect(acks).toEqual([65_534, 65_535, 0, 1]);
    expect(feed(data(2, 'end'))).toEqual(['ACK 2']);
    expect(rx.state).toBe('done');
    expect(rx.bytes).toBe(65_537 * 8 + 3);
  });

  it('refuses an OACK with options it did not ask for, or a larger blksize, with ERROR 8', () => {
    const a = reader({ blksize: 1024 });
    a.rx.start();
    expect(a.feed({ op: 'oack', options: [['blksize', '2048']] })).toEqual(['ERROR 8']);
    expect(a.rx.error).toMatchObject({ code: 'TCPUDP_ERR_PROTOCOL' });
    const b = reader();
    b.rx.start();
    expect(b.feed({ op: 'oack', options: [['windowsize', '4']] })).toEqual(['ERROR 8']);
  });

  it('refuses a file over maxBytes with ERROR 3, from tsize or as data arrives', () => {
    const a = reader({ tsize: true, maxBytes: 100 });
    a.rx.start();
    expect(a.feed({ op: 'oack', options: [['tsize', '101']] })).toEqual(['ERROR 3']);
    expect(a.rx.error).toMatchObject({
      code: 'TCPUDP_ERR_LIMIT_EXCEEDED',
      limit: 100,
      actual: 101,
    });
    const b = reader({ maxBytes: 600 });
    b.rx.start();
    b.feed({ op: 'data', block: 1, data: Buffer.alloc(512) });
    expect(b.feed({ op: 'data', block: 2, data: Buffer.alloc(512) })).toEqual(['ERROR 3']);
    expect(b.bytes().length).toBe(512);
  });

  it('fails with the server\u2019s ERROR, and refuses DATA over the block size', () => {
    const a = reader();
    a.rx.start();
    a.feed({ op: 'error', code: 1, message: 'File not found' });
    expect(a.rx.error).toMatchObject({ code: 'TCPUDP_ERR_REMOTE', remoteCode: 1 });
    const b = reader();
    b.rx.start();
    expect(b.feed({ op: 'data', block: 1, data: Buffer.alloc(513) })).toEqual(['ERROR 4']);
  });

  it('answers a packet from another host before the lock with ERROR 5', () => {
    const { rx, feed } = reader();
    rx.start();
    expect(feed(data(1, 'x'), { address: '127.0.0.2', port: 69 })).toEqual(['ERROR 5']);
    expect(rx.peer).toBeUndefined();
  });
});

describe('a write (WRQ), both sides (fake time)', () => {
  it('client: sends the WRQ, locks onto the port of ACK 0, then sends blocks there', () => {
    const { clock, now } = fakeClock();
    const tx = new TftpSender({
      peer: SERVER,
      request: { filename: 'up.bin' },
      timeoutMs: 100,
      now,
    });
    const [wrq] = tx.start();
    expect(wrq?.packet).toEqual({ op: 'wrq', filename: 'up.bin', mode: 'octet', options: [] });
    expect(wrq?.to).toEqual(SERVER);
    clock.t = 100;
    expect(ops(tx.tick())).toEqual(['WRQ']); // lost: sent again
    expect(ops(tx.receive({ op: 'ack', block: 0 }, { address: '127.0.0.2', port: 9 }))).toEqual([
      'ERROR 5',
    ]);
    expect(tx.receive({ op: 'ack', block: 0 }, SERVER_TID)).toEqual([]);
    expect(tx.state).toBe('ready');
    const [data] = tx.offer(Buffer.alloc(10));
    expect(data?.to).toEqual(SERVER_TID);
    tx.receive({ op: 'ack', block: 1 }, SERVER_TID);
    expect(tx.state).toBe('done');
  });

  it('client: takes the blksize of the OACK, falls back to 512 on a plain ACK 0, refuses more', () => {
    const a = new TftpSender({
      peer: SERVER,
      blksize: 1024,
      request: { filename: 'f', tsize: 3000 },
    });
    expect(a.start()[0]?.packet).toMatchObject({
      options: [
        ['blksize', '1024'],
        ['tsize', '3000'],
      ],
    });
    a.receive(
      {
        op: 'oack',
        options: [
          ['blksize', '1000'],
          ['tsize', '3000'],
        ],
      },
      SERVER_TID,
    );
    expect(a.blksize).toBe(1000);
    expect(a.receive({ op: 'oack', options: [['blksize', '1000']] }, SERVER_TID)).toEqual([]); // a resent OACK
    const b = new TftpSender({ peer: SERVER, blksize: 1024, request: { filename: 'f' } });
    b.start();
    b.receive({ op: 'ack', block: 0 }, SERVER_TID);
    expect(b.blksize).toBe(512);
    const c = new TftpSender({ peer: SERVER, blksize: 1024, request: { filename: 'f' } });
    c.start();
    expect(ops(c.receive({ op: 'oack', options: [['blksize', '2048']] }, SERVER_TID))).toEqual([
      'ERROR 8',
    ]);
    expect(c.error).toMatchObject({ code: 'TCPUDP_ERR_PROTOCOL' });
  });

  it('server: answers with ACK 0 (or the OACK), resends it when DATA 1 does not come, then receives', () => {
    const { clock, now } = fakeClock();
    const rx = new TftpReceiver({ server: CLIENT, filename: 'up.bin', timeoutMs: 100, now });
    expect(ops(rx.accept())).toEqual(['ACK 0']);
    clock.t = 100;
    expect(ops(rx.tick())).toEqual(['ACK 0']);
    const got: Buffer[] = [];
    expect(
      ops(
        rx.receive({ op: 'data', block: 1, data: Buffer.from('hi') }, CLIENT, (d) =>
          got.push(Buffer.from(d)),
        ),
      ),
    ).toEqual(['ACK 1']);
    expect(rx.state).toBe('done');
    expect(Buffer.concat(got).toString()).toBe('hi');
    const withOptions = new TftpReceiver({ server: CLIENT, filename: 'f' });
    expect(ops(withOptions.accept(1024, [['blksize', '1024']]))).toEqual(['OACK']);
    expect(withOptions.blksize).toBe(1024);
  });
});
