/**
 * What both TFTP state machines share: the endpoint and send types, timing, and the base class
 * that owns retransmission (`tick`), failure and the ERROR packets for strangers and illegal
 * packets. Pure: no sockets, no timers, time comes from an injected clock.
 * @see RFC 1350
 */
import { checkInteger, checkNumber, TIMER_MAX_MS } from '@socketlab/internal';
import {
  ProtocolError,
  quoteInput,
  RemoteError,
  type TcpUdpError,
  TimeoutError,
} from '../errors.ts';
import { TFTP_ERROR_CODES, TFTP_MAX_BLKSIZE, TFTP_MIN_BLKSIZE, type TftpPacket } from './packet.ts';

/** A transfer's peer: its address and port (the port is its transfer id, TID). */
export interface TftpEndpoint {
  readonly address: string;
  readonly port: number;
}

/** What a machine asks its edge to do: send this packet to that endpoint. */
export interface TftpSend {
  readonly packet: TftpPacket;
  readonly to: TftpEndpoint;
}

/** Where a transfer is. */
export type TftpTransferState =
  | 'requesting'
  | 'sending'
  | 'ready'
  | 'receiving'
  | 'done'
  | 'failed';

/** Timing shared by both machines. */
export interface TftpTimingOptions {
  /** How long to wait for the peer's next packet before sending ours again, in ms. @default 1000 */
  readonly timeoutMs?: number;
  /** Retransmissions of one packet before giving up. @default 5 */
  readonly retries?: number;
  /** The clock, in ms. @default Date.now */
  readonly now?: () => number;
}

/** What a machine counted. */
export interface TftpTransferStats {
  /** Packets sent again after a timeout. */
  retransmits: number;
  /** Duplicate or old DATA/ACK packets received (and not answered with new data). */
  duplicates: number;
  /** Packets from another port, answered with ERROR 5. */
  foreign: number;
}

/** The base of `TftpSender` and `TftpReceiver` (tftp-transfer.ts): retransmission, failure, ERROR replies. */
export abstract class TftpMachine {
  state: TftpTransferState;
  /** When `tick` must be called next (ms on the injected clock), or undefined when not waiting. */
  deadline: number | undefined;
  /** Why the transfer failed (state `failed`). */
  error: TcpUdpError | undefined;
  readonly stats: TftpTransferStats = { retransmits: 0, duplicates: 0, foreign: 0 };
  protected readonly timeoutMs: number;
  protected readonly retries: number;
  protected readonly now: () => number;
  protected last: TftpSend | undefined;
  protected retriesLeft = 0;

  constructor(state: TftpTransferState, options: TftpTimingOptions) {
    const { timeoutMs = 1000, retries = 5, now = Date.now } = options;
    checkNumber('timeoutMs', timeoutMs, 1, TIMER_MAX_MS);
    checkInteger('retries', retries, 0, 1000);
    this.state = state;
    this.timeoutMs = timeoutMs;
    this.retries = retries;
    this.now = now;
  }

  /** True once the transfer is over, either way. */
  get finished(): boolean {
    return this.state === 'done' || this.state === 'failed';
  }

  /**
   * Call when `deadline` has passed: sends the last packet again, or fails with
   * `TCPUDP_ERR_RETRIES_EXHAUSTED` when no retry is left.
   */
  tick(): TftpSend[] {
    if (this.deadline === undefined || this.now() < this.deadline || !this.last) return [];
    if (this.retriesLeft <= 0) {
      const total = this.timeoutMs * (this.retries + 1);
      this.fail(
        new TimeoutError(
          'TCPUDP_ERR_RETRIES_EXHAUSTED',
          `no answer from the TFTP peer after ${this.retries + 1} tries of ${this.timeoutMs} ms (${this.describeWait()})`,
          total,
        ),
      );
      return [];
    }
    this.retriesLeft--;
    this.stats.retransmits++;
    this.deadline = this.now() + this.timeoutMs;
    return [this.last];
  }

  /** Gives up: an ERROR packet for the peer (when it is known), state `failed`. */
  abort(
    error: TcpUdpError,
    code: number = TFTP_ERROR_CODES.notDefined,
    to = this.last?.to,
  ): TftpSend[] {
    this.fail(error);
    return to ? [{ packet: { op: 'error', code, message: error.message.slice(0, 200) }, to }] : [];
  }

  protected abstract describeWait(): string;

  protected transmit(send: TftpSend): TftpSend[] {
    this.last = send;
    this.retriesLeft = this.retries;
    this.deadline = this.now() + this.timeoutMs;
    return [send];
  }

  protected fail(error: TcpUdpError): void {
    if (this.finished) return;
    this.state = 'failed';
    this.error = error;
    this.deadline = undefined;
  }

  protected foreign(from: TftpEndpoint): TftpSend[] {
    this.stats.foreign++;
    return [
      {
        packet: {
          op: 'error',
          code: TFTP_ERROR_CODES.unknownTransferId,
          message: 'Unknown transfer ID',
        },
        to: from,
      },
    ];
  }

  protected remote(packet: { code: number; message: string }): void {
    this.fail(
      new RemoteError(
        `the TFTP peer sent ERROR ${packet.code}: ${quoteInput(packet.message)}`,
        packet.code,
        packet.message,
      ),
    );
  }

  protected illegal(packet: TftpPacket, to: TftpEndpoint, expected: string): TftpSend[] {
    return this.abort(
      new ProtocolError(
        'TCPUDP_ERR_PROTOCOL',
        `unexpected TFTP ${packet.op.toUpperCase()} while ${expected}`,
      ),
      TFTP_ERROR_CODES.illegalOperation,
      to,
    );
  }
}

/**
 * Checks a block size against RFC 2348's range.
 * @throws {RangeError} outside 8..65464; {TypeError} when it is not an integer.
 */
export function checkBlksize(blksize: number): number {
  return checkInteger('blksize', blksize, TFTP_MIN_BLKSIZE, TFTP_MAX_BLKSIZE);
}

/** True when two endpoints are the same address and port. */
export function sameEndpoint(a: TftpEndpoint, b: TftpEndpoint): boolean {
  return a.port === b.port && a.address === b.address;
}
