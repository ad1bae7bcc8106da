/**
 * The two lock-step TFTP state machines, pure: they take packets and the time, and return the
 * packets to send. The I/O edge (`tftp/server.ts`, `tftp/client.ts`) owns sockets and timers: it
 * calls `receive` for every datagram, and `tick` when `deadline` has passed.
 * @see RFC 1350 (the protocol), RFC 1123 §4.2.3.1 (the Sorcerer's Apprentice), RFC 2347/2348/2349
 */
import { checkInteger } from '@socketlab/internal';
import { LimitExceededError, ProtocolError, quoteInput } from '../errors.ts';
import {
  checkBlksize,
  sameEndpoint,
  type TftpEndpoint,
  TftpMachine,
  type TftpSend,
  type TftpTimingOptions,
} from './machine.ts';
import {
  DEFAULT_TFTP_BLKSIZE,
  TFTP_ERROR_CODES,
  TFTP_MIN_BLKSIZE,
  type TftpOptions,
  type TftpPacket,
} from './packet.ts';

export {
  checkBlksize,
  type TftpEndpoint,
  type TftpSend,
  type TftpTimingOptions,
  type TftpTransferState,
  type TftpTransferStats,
} from './machine.ts';

/** Options of {@link TftpSender}. */
export interface TftpSenderOptions extends TftpTimingOptions {
  /** The receiving peer (its address and TID); for a write request, the server's well-known port. */
  readonly peer: TftpEndpoint;
  /** The agreed block size (a server), or the one to ask for (a client's WRQ). @default 512 */
  readonly blksize?: number;
  /**
   * Client side of a write: `start()` sends this WRQ to `peer`; the port of the server's answer
   * (ACK 0, or an OACK) becomes the peer. Without it the machine is a server answering an RRQ.
   */
  readonly request?: { readonly filename: string; readonly tsize?: number };
}

/**
 * The sending side of a transfer: a server answering an RRQ, or a client that sent a WRQ.
 * Lock-step: one DATA out, wait for its ACK, then the next. A duplicate ACK is never answered
 * with a resend — that is the Sorcerer's Apprentice bug, where every duplicate doubles the
 * traffic (RFC 1123 §4.2.3.1); only a timeout resends.
 * @example
 * const tx = new TftpSender({ peer: { address: '127.0.0.1', port: 40000 } });
 * tx.start(); // state 'ready': call tx.offer(firstBlock)
 */
export class TftpSender extends TftpMachine {
  /** The receiving peer; for a write request, updated to the server's TID when it answers. */
  peer: TftpEndpoint;
  /** The block size in use (a WRQ's asked size only once the server's OACK agreed it). */
  blksize: number;
  /** Blocks sent so far (not wrapped); the block number on the wire is this mod 65536. */
  blocks = 0;
  #awaiting = 0;
  #lastBlock = false;
  readonly #request: TftpSenderOptions['request'];
  readonly #asked: number;

  /** @throws {RangeError}/{TypeError} for a block size outside 8..65464 or bad timing. */
  constructor(options: TftpSenderOptions) {
    super('ready', options);
    this.peer = options.peer;
    this.#asked = checkBlksize(options.blksize ?? DEFAULT_TFTP_BLKSIZE);
    this.#request = options.request;
    this.blksize = this.#request ? DEFAULT_TFTP_BLKSIZE : this.#asked;
  }

  /**
   * Starts the transfer. A server: with an OACK to be acknowledged (ACK 0), or straight to
   * block 1 (state `ready`). A client with a `request`: sends the WRQ (state `requesting`).
   */
  start(oack?: TftpOptions): TftpSend[] {
    if (this.#request) {
      const options: [string, string][] = [];
      if (this.#asked !== DEFAULT_TFTP_BLKSIZE) options.push(['blksize', String(this.#asked)]);
      if (this.#request.tsize !== undefined) options.push(['tsize', String(this.#request.tsize)]);
      this.state = 'requesting';
      const wrq = { op: 'wrq', filename: this.#request.filename, mode: 'octet', options } as const;
      return this.transmit({ packet: wrq, to: this.peer });
    }
    if (!oack || oack.length === 0) return [];
    this.state = 'sending';
    this.#awaiting = 0;
    return this.transmit({ packet: { op: 'oack', options: oack }, to: this.peer });
  }

  /**
   * Sends the next block. A block shorter than `blksize` (even empty) is the last one.
   * @throws {Error} when the machine is not `ready` (the previous block is not acknowledged).
   * @throws {RangeError} when `data` is longer than `blksize`.
   */
  offer(data: Uint8Array): TftpSend[] {
    if (this.state !== 'ready') throw new Error(`TftpSender.offer() called in state ${this.state}`);
    if (data.length > this.blksize) {
      throw new RangeError(`a block of ${data.length} bytes is over blksize ${this.blksize}`);
    }
    this.blocks++;
    this.#awaiting = this.blocks & 0xffff;
    this.#lastBlock = data.length < this.blksize;
    this.state = 'sending';
    return this.transmit({ packet: { op: 'data', block: this.#awaiting, data }, to: this.peer });
  }

  /** The server's first answer to a WRQ: ACK 0 or an OACK, from its new port. */
  #answer(packet: TftpPacket, from: TftpEndpoint): TftpSend[] {
    if (from.address !== this.peer.address) return this.foreign(from);
    if (packet.op === 'error') {
      this.remote(packet);
      return [];
    }
    if (packet.op === 'ack' && packet.block === 0) {
      this.peer = from;
    } else if (packet.op === 'oack') {
      for (const [name, value] of packet.options) {
        const n = /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
        const fine =
          (name === 'blksize' &&
            n >= TFTP_MIN_BLKSIZE &&
            n <= this.#asked &&
            this.#asked !== DEFAULT_TFTP_BLKSIZE) ||
          (name === 'tsize' && this.#request?.tsize !== undefined);
        if (!fine) {
          return this.abort(
            new ProtocolError(
              'TCPUDP_ERR_PROTOCOL',
              `the server's OACK sets ${quoteInput(name)} to ${quoteInput(value)}, which was not asked for`,
            ),
            TFTP_ERROR_CODES.optionsRefused,
            from,
          );
        }
        if (name === 'blksize') this.blksize = n;
      }
      this.peer = from;
    } else {
      return this.illegal(packet, from, 'waiting for the answer to a write request');
    }
    this.state = 'ready';
    this.deadline = undefined;
    return [];
  }

  /** Handles one packet from `from`. */
  receive(packet: TftpPacket, from: TftpEndpoint): TftpSend[] {
    if (this.state === 'requesting') return this.#answer(packet, from);
    if (!sameEndpoint(from, this.peer)) return this.foreign(from);
    if (this.finished) return [];
    switch (packet.op) {
      case 'oack':
        this.stats.duplicates++; // a resent OACK: our DATA 1 (or its ACK) is on its way
        return [];
      case 'ack':
        if (this.state === 'sending' && packet.block === this.#awaiting) {
          this.state = this.#lastBlock ? 'done' : 'ready';
          this.deadline = undefined;
        } else {
          this.stats.duplicates++; // an old ACK: ignore it, never resend on it
        }
        return [];
      case 'error':
        this.remote(packet);
        return [];
      default:
        return this.illegal(packet, from, `sending (waiting for ACK ${this.#awaiting})`);
    }
  }

  protected describeWait(): string {
    return this.state === 'requesting'
      ? 'waiting for the answer to a write request'
      : `waiting for ACK ${this.#awaiting}`;
  }
}

/** Options of {@link TftpReceiver}. */
export interface TftpReceiverOptions extends TftpTimingOptions {
  /** Where the request goes (the server's well-known port); its reply comes from a new port. */
  readonly server: TftpEndpoint;
  /** The file to read. */
  readonly filename: string;
  /** The transfer mode. @default 'octet' */
  readonly mode?: 'octet' | 'netascii';
  /** The block size to ask for (RFC 2348); 512 asks for nothing. @default 512 */
  readonly blksize?: number;
  /** Ask for the file's size (RFC 2349 `tsize`). @default false */
  readonly tsize?: boolean;
  /** The most bytes accepted; a larger file is refused with ERROR 3. @default 64 MiB */
  readonly maxBytes?: number;
}

/**
 * The receiving side of a read (a client's RRQ): sends the request, locks onto the port the first
 * answer comes from (the server's TID), acknowledges each DATA in order, re-acknowledges a
 * duplicate (its ACK was lost), and finishes on a block shorter than the block size.
 * Data comes out of `receive` as `deliver` chunks, in order, each once.
 * @example
 * const rx = new TftpReceiver({ server: { address: '127.0.0.1', port: 69 }, filename: 'a.txt' });
 * const toSend = rx.start(); // the RRQ
 */
export class TftpReceiver extends TftpMachine {
  /** The server's transfer port, once its first answer came. */
  peer: TftpEndpoint | undefined;
  /** The block size in use: the asked one once an OACK agreed it, else 512. */
  blksize = DEFAULT_TFTP_BLKSIZE;
  /** Bytes received (and delivered) so far. */
  bytes = 0;
  /** The size the server announced in its OACK (`tsize`), if it did. */
  announcedSize: number | undefined;
  readonly #options: TftpReceiverOptions;
  readonly #requested: TftpOptions;
  readonly #maxBytes: number;
  #expected = 1;

  /** @throws {RangeError}/{TypeError} for a bad block size, limit or timing. */
  constructor(options: TftpReceiverOptions) {
    super('requesting', options);
    this.#options = options;
    const asked = checkBlksize(options.blksize ?? DEFAULT_TFTP_BLKSIZE);
    const requested: [string, string][] = [];
    if (asked !== DEFAULT_TFTP_BLKSIZE) requested.push(['blksize', String(asked)]);
    if (options.tsize) requested.push(['tsize', '0']);
    this.#requested = requested;
    this.#maxBytes = checkInteger('maxBytes', options.maxBytes ?? 64 * 1024 * 1024, 0);
  }

  /**
   * Server side of a write: instead of `start()`, answer the client's WRQ with an OACK (when
   * options were agreed) or ACK 0 from this transfer's port, then receive DATA 1, 2, …
   * Construct with the client as `server` and the requested name as `filename`.
   * @throws {RangeError} for a block size outside 8..65464.
   */
  accept(blksize = DEFAULT_TFTP_BLKSIZE, oack?: TftpOptions): TftpSend[] {
    const peer = this.#options.server;
    this.peer = peer;
    this.blksize = checkBlksize(blksize);
    this.state = 'receiving';
    return oack && oack.length > 0
      ? this.transmit({ packet: { op: 'oack', options: oack }, to: peer })
      : this.#ack(0, peer);
  }

  /** The RRQ to send first. */
  start(): TftpSend[] {
    return this.transmit({
      packet: {
        op: 'rrq',
        filename: this.#options.filename,
        mode: this.#options.mode ?? 'octet',
        options: this.#requested,
      },
      to: this.#options.server,
    });
  }

  /**
   * Handles one packet from `from`. Returns what to send; `onData` gets each new block's bytes
   * in order (never a duplicate).
   */
  receive(packet: TftpPacket, from: TftpEndpoint, onData: (data: Uint8Array) => void): TftpSend[] {
    if (this.peer === undefined) {
      if (from.address !== this.#options.server.address) return this.foreign(from);
      if (packet.op === 'oack' || packet.op === 'data' || packet.op === 'error') this.peer = from;
      else return this.illegal(packet, from, 'waiting for the answer to a read request');
    } else if (!sameEndpoint(from, this.peer)) {
      return this.foreign(from);
    }
    const peer = this.peer;
    if (this.state === 'done') {
      // The final ACK was lost and the server sent its last DATA again: answer it again.
      if (packet.op === 'data' && packet.block === this.#previous())
        return this.#ack(packet.block, peer);
      return [];
    }
    if (this.finished) return [];
    switch (packet.op) {
      case 'error':
        this.remote(packet);
        return [];
      case 'oack':
        if (this.state === 'requesting') return this.#negotiate(packet.options, peer);
        this.stats.duplicates++;
        return this.#expected === 1 ? this.#ack(0, peer) : []; // our ACK 0 was lost
      case 'data':
        return this.#data(packet.block, packet.data, peer, onData);
      default:
        return this.illegal(packet, from, 'reading');
    }
  }

  protected describeWait(): string {
    return this.state === 'requesting'
      ? `waiting for an answer to the read request for ${quoteInput(this.#options.filename)}`
      : `waiting for DATA ${this.#expected}`;
  }

  #previous(): number {
    return (this.#expected + 0xffff) & 0xffff;
  }

  #ack(block: number, to: TftpEndpoint): TftpSend[] {
    return this.transmit({ packet: { op: 'ack', block }, to });
  }

  #negotiate(options: TftpOptions, peer: TftpEndpoint): TftpSend[] {
    const asked = new Map(this.#requested);
    for (const [name, value] of options) {
      const refused = (why: string): TftpSend[] =>
        this.abort(
          new ProtocolError('TCPUDP_ERR_PROTOCOL', `the server's OACK ${why}`),
          TFTP_ERROR_CODES.optionsRefused,
          peer,
        );
      if (!asked.has(name))
        return refused(`has option ${quoteInput(name)}, which was not asked for`);
      const n = /^\d{1,12}$/.test(value) ? Number(value) : Number.NaN;
      if (name === 'blksize') {
        if (!(n >= TFTP_MIN_BLKSIZE && n <= Number(asked.get('blksize')))) {
          return refused(
            `sets blksize ${quoteInput(value)}, not in ${TFTP_MIN_BLKSIZE}..${asked.get('blksize')}`,
          );
        }
        this.blksize = n;
      } else if (name === 'tsize') {
        if (Number.isNaN(n)) return refused(`sets tsize ${quoteInput(value)}, not a number`);
        this.announcedSize = n;
        if (n > this.#maxBytes) {
          return this.abort(
            new LimitExceededError(
              'TCPUDP_ERR_LIMIT_EXCEEDED',
              `the file is ${n} bytes, over maxBytes ${this.#maxBytes}`,
              this.#maxBytes,
              n,
            ),
            TFTP_ERROR_CODES.diskFull,
            peer,
          );
        }
      }
    }
    this.state = 'receiving';
    return this.#ack(0, peer);
  }

  #data(
    block: number,
    data: Uint8Array,
    peer: TftpEndpoint,
    onData: (data: Uint8Array) => void,
  ): TftpSend[] {
    if (block !== this.#expected) {
      this.stats.duplicates++;
      // Our ACK of the previous block was lost: acknowledge it again. Anything else: ignore.
      if (block === this.#previous() && this.state === 'receiving') return this.#ack(block, peer);
      return [];
    }
    if (data.length > this.blksize) {
      return this.abort(
        new ProtocolError(
          'TCPUDP_ERR_PROTOCOL',
          `DATA ${block} has ${data.length} bytes, over blksize ${this.blksize}`,
        ),
        TFTP_ERROR_CODES.illegalOperation,
        peer,
      );
    }
    if (this.bytes + data.length > this.#maxBytes) {
      return this.abort(
        new LimitExceededError(
          'TCPUDP_ERR_LIMIT_EXCEEDED',
          `the file is over maxBytes ${this.#maxBytes}`,
          this.#maxBytes,
          this.bytes + data.length,
        ),
        TFTP_ERROR_CODES.diskFull,
        peer,
      );
    }
    this.state = 'receiving';
    this.bytes += data.length;
    onData(data);
    this.#expected = (block + 1) & 0xffff;
    const sends = this.#ack(block, peer);
    if (data.length < this.blksize) {
      this.state = 'done';
      this.deadline = undefined;
    }
    return sends;
  }
}
