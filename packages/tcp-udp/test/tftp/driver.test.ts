import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FileSystemError } from '../../src/errors.ts';
import { driveTftpTransfer, type TftpDriverOptions } from '../../src/tftp/driver.ts';
import type { TftpEndpoint, TftpMachine } from '../../src/tftp/machine.ts';
import { TftpReceiver, TftpSender } from '../../src/tftp/transfer.ts';
import { tftpOp } from '../helpers/tftp-ops.ts';

const CLIENT: TftpEndpoint = { address: '127.0.0.1', port: 40_000 };
const SERVER_TID: TftpEndpoint = { address: '127.0.0.1', port: 50_000 };

// The driver's timers and the machines' clock (Date.now) are both fake: time moves only when a
// test says so.
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function drive(machine: TftpMachine, options: Partial<TftpDriverOptions> = {}) {
  const sent: string[] = [];
  const events: string[] = [];
  const driver = driveTftpTransfer(machine, {
    send: (s) => sent.push(tftpOp(s)),
    onDone: () => events.push('done'),
    onEnd: () => events.push(`end ${machine.state}`),
    ...options,
  });
  return { driver, sent, events };
}

describe('driveTftpTransfer', () => {
  it('feeds a sender block after block from readBlock and ends on the last ACK', () => {
    const data = Buffer.alloc(20, 0x61);
    const sender = new TftpSender({ peer: CLIENT, blksize: 8 });
    const { driver, sent, events } = drive(sender, {
      readBlock: (offset, length) => data.subarray(offset, offset + length),
    });
    driver.act(sender.start());
    for (const block of [1, 2, 3]) driver.act(sender.receive({ op: 'ack', block }, CLIENT));
    expect(sent).toEqual(['DATA 1 (8)', 'DATA 2 (8)', 'DATA 3 (4)']);
    expect(events).toEqual(['done', 'end done']);
    expect(driver.ended).toBe(true);
  });

  it('awaits a block read that is a promise, and aborts with ERROR 0 when it rejects', async () => {
    const sender = new TftpSender({ peer: CLIENT, blksize: 8 });
    const { driver, sent, events } = drive(sender, {
      readBlock: () => Promise.reject(new FileSystemError('disk gone', 'EIO')),
    });
    driver.act(sender.start());
    await vi.runAllTimersAsync();
    expect(sent).toEqual(['ERROR 0']);
    expect(events).toEqual(['end failed']);
    expect(sender.error?.message).toBe('disk gone');
  });

  it('aborts with ERROR 0 when readBlock returns more than a block', () => {
    const sender = new TftpSender({ peer: CLIENT, blksize: 8 });
    const { driver, sent, events } = drive(sender, { readBlock: () => Buffer.alloc(9) });
    driver.act(sender.start());
    expect(sent).toEqual(['ERROR 0']);
    expect(events).toEqual(['end failed']);
    expect(sender.error).toBeInstanceOf(RangeError);
  });

  it('resends on the machine deadline, and fails once the retries are used up', async () => {
    const sender = new TftpSender({ peer: CLIENT, blksize: 8, timeoutMs: 100, retries: 2 });
    const { driver, sent, events } = drive(sender, { readBlock: () => Buffer.alloc(8) });
    driver.act(sender.start());
    await vi.advanceTimersByTimeAsync(99);
    expect(sent).toEqual(['DATA 1 (8)']);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual(['DATA 1 (8)', 'DATA 1 (8)']);
    await vi.advanceTimersByTimeAsync(200);
    expect(sent).toHaveLength(3);
    expect(events).toEqual(['end failed']);
    expect(sender.error?.code).toBe('TCPUDP_ERR_RETRIES_EXHAUSTED');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('lets a receiver dally after the last block, re-ACKing a resent one, then ends', async () => {
    const receiver = new TftpReceiver({ server: CLIENT, filename: 'up.bin' });
    const { driver, sent, events } = drive(receiver, { dallyMs: 300 });
    driver.act(receiver.accept(512));
    const last = { op: 'data' as const, block: 1, data: Buffer.from('short') };
    driver.act(receiver.receive(last, CLIENT, () => {}));
    expect(events).toEqual(['done']);
    await vi.advanceTimersByTimeAsync(200);
    driver.act(receiver.receive(last, CLIENT, () => {})); // our ACK was lost: it comes again
    expect(sent).toEqual(['ACK 0', 'ACK 1', 'ACK 1']);
    await vi.advanceTimersByTimeAsync(100);
    expect(events).toEqual(['done', 'end done']);
  });

  it('stops once: timers cleared, onEnd called, later answers ignored', () => {
    const receiver = new TftpReceiver({ server: SERVER_TID, filename: 'f' });
    const { driver, sent, events } = drive(receiver);
    driver.act(receiver.start());
    driver.stop();
    driver.stop();
    driver.act([{ packet: { op: 'ack', block: 0 }, to: SERVER_TID }]);
    expect(sent).toEqual(['RRQ']);
    expect(events).toEqual(['end requesting']);
    expect(vi.getTimerCount()).toBe(0);
  });
});
