/**
 * The one loop that runs a TFTP transfer machine (`tftp/transfer.ts`) against real time: it
 * performs what the pure machine asks for — send these packets, wait until `deadline` then
 * `tick`, produce the next block when a sender is `ready`, linger after the last ACK — and says
 * when the transfer is over. The client's get and put and every server transfer use it; they
 * only own their socket.
 * @see RFC 1350 §6 (the last ACK's sender dallies)
 */
import type dgram from 'node:dgram';
import type { TcpUdpError } from '../errors.ts';
import type { TftpEndpoint, TftpMachine, TftpSend } from './machine.ts';
import { decodeTftpPacket, TFTP_ERROR_CODES, type TftpPacket } from './packet.ts';
import { TftpSender } from './transfer.ts';

/** How {@link driveTftpTransfer} reaches the outside world. */
export interface TftpDriverOptions {
  /** Hands one packet to the socket. */
  readonly send: (s: TftpSend) => void;
  /**
   * A sender's next block: `length` bytes (fewer for the last one) from byte `offset`. A promise
   * is awaited; a rejection aborts the transfer with ERROR 0 to the peer. Required for a sender.
   */
  readonly readBlock?: (offset: number, length: number) => Uint8Array | Promise<Uint8Array>;
  /**
   * After the machine is `done`, stay this long (still answering the peer: a receiver re-ACKs a
   * resent last DATA, RFC 1350 §6) before the transfer is over. @default 0
   */
  readonly dallyMs?: number;
  /** Called once, as soon as the machine is `done` (before any dally). */
  readonly onDone?: () => void;
  /**
   * Called once when the transfer is over: failed, done (after the dally), or stopped. The
   * machine's `state` and `error` say how; the caller closes its socket here.
   */
  readonly onEnd: () => void;
}

/** A running transfer, as {@link driveTftpTransfer} returns it. */
export interface TftpDriver {
  /** Performs a machine's answer (from `start`, `receive`, `accept` …): sends, then what comes next. */
  act(sends: TftpSend[]): void;
  /**
   * Ends the transfer now (timers cleared, later `act` calls ignored, `onEnd` called if it was
   * not yet). To fail it with a reason, `abort` the machine first.
   */
  stop(): void;
  /** True once the transfer is over. */
  readonly ended: boolean;
}

/**
 * Drives one TFTP transfer machine. Nothing happens until the first {@link TftpDriver.act}
 * (usually `driver.act(machine.start())` once the socket is bound); then every packet received
 * goes through `driver.act(machine.receive(…))`.
 * @example
 * const driver = driveTftpTransfer(sender, { send, readBlock, onEnd: () => socket.close() });
 * socket.bind(0, () => driver.act(sender.start()));
 */
export function driveTftpTransfer(machine: TftpMachine, options: TftpDriverOptions): TftpDriver {
  const { send, readBlock, dallyMs = 0, onDone, onEnd } = options;
  let timer: NodeJS.Timeout | undefined;
  let dally: NodeJS.Timeout | undefined;
  let ended = false;
  let doneSeen = false;
  let reading = false;

  const stop = (): void => {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    clearTimeout(dally);
    onEnd();
  };

  const offerNext = (sender: TftpSender): void => {
    if (readBlock === undefined) throw new Error('driveTftpTransfer: a sender needs readBlock');
    // A block that cannot be read (or offered) aborts the transfer with ERROR 0 to the peer.
    const offer = (data: Uint8Array): void => {
      let sends: TftpSend[];
      try {
        sends = sender.offer(data);
      } catch (err) {
        sends = sender.abort(err as TcpUdpError, TFTP_ERROR_CODES.notDefined, sender.peer);
      }
      act(sends);
    };
    const fail = (err: unknown): void => {
      act(sender.abort(err as TcpUdpError, TFTP_ERROR_CODES.notDefined, sender.peer));
    };
    let block: Uint8Array | Promise<Uint8Array>;
    try {
      block = readBlock(sender.blocks * sender.blksize, sender.blksize);
    } catch (err) {
      fail(err);
      return;
    }
    if (!(block instanceof Promise)) {
      offer(block);
      return;
    }
    reading = true;
    block.then(
      (data) => {
        reading = false;
        if (!ended && sender.state === 'ready') offer(data);
      },
      (err: unknown) => {
        reading = false;
        fail(err);
      },
    );
  };

  const act = (sends: TftpSend[]): void => {
    if (ended) return;
    for (const s of sends) send(s);
    clearTimeout(timer);
    timer = undefined;
    if (machine.state === 'failed') {
      stop();
      return;
    }
    if (machine.state === 'done') {
      if (!doneSeen) {
        doneSeen = true;
        onDone?.();
      }
      if (dallyMs === 0) stop();
      else dally ??= setTimeout(stop, dallyMs).unref();
      return;
    }
    if (machine.deadline !== undefined) {
      const wait = Math.max(0, machine.deadline - Date.now());
      timer = setTimeout(() => act(machine.tick()), wait);
    }
    if (machine.state === 'ready' && machine instanceof TftpSender && !reading) offerNext(machine);
  };

  return {
    act,
    stop,
    get ended() {
      return ended;
    },
  };
}

/**
 * Hands every TFTP packet that reaches a transfer's `socket` to `onPacket`, with its sender. A
 * datagram that is not TFTP is ignored: garbage on a transfer port never stops the transfer.
 */
export function onTftpPackets(
  socket: dgram.Socket,
  onPacket: (packet: TftpPacket, from: TftpEndpoint) => void,
): void {
  socket.on('message', (datagram, rinfo) => {
    let packet: TftpPacket;
    try {
      packet = decodeTftpPacket(datagram);
    } catch {
      return;
    }
    onPacket(packet, { address: rinfo.address, port: rinfo.port });
  });
}
