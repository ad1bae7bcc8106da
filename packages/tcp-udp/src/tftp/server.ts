import dgram from 'node:dgram';
import net from 'node:net';
import path from 'node:path';
import { checkInteger } from '@socketlab/internal';
import { ConnectionError } from '../errors.ts';
import { bindUdpSocket } from '../udp/index.ts';
import { driveTftpTransfer, onTftpPackets, type TftpDriverOptions } from './driver.ts';
import { toNetascii } from './netascii.ts';
import {
  decodeTftpPacket,
  encodeTftpPacket,
  TFTP_ERROR_CODES,
  TFTP_MAX_BLKSIZE,
  TFTP_MIN_BLKSIZE,
  type TftpOptions,
  type TftpPacket,
} from './packet.ts';
import {
  createTftpUpload,
  openTftpReadFile,
  TftpRefusal,
  tftpRefusalFor,
  windowedReader,
} from './server-files.ts';
import {
  checkBlksize,
  type TftpEndpoint,
  TftpReceiver,
  type TftpSend,
  TftpSender,
} from './transfer.ts';

/** Options of {@link createTftpServer}. */
export interface TftpServerOptions {
  /** The directory served. Nothing outside it is ever read or written (no `..`, absolute path, NUL or symlink out). */
  readonly root: string;
  /** Address to bind; an IPv6 address makes a `udp6` server. @default '127.0.0.1' */
  readonly host?: string;
  /** Port to bind (TFTP's own is 69); 0 lets the kernel choose. @default 0 */
  readonly port?: number;
  /** Transfers at once; one more request gets ERROR 0 "server busy". @default 64 */
  readonly maxTransfers?: number;
  /** The largest file served; a larger one is refused with ERROR 0. @default 1 GiB */
  readonly maxFileBytes?: number;
  /** The largest block size granted to a `blksize` request (RFC 2348). @default 65464 */
  readonly maxBlksize?: number;
  /** The largest request datagram read; RFC 2347 caps requests at 512 bytes. @default 512 */
  readonly maxRequestBytes?: number;
  /** Wait for an ACK before resending a block, in ms (a client's `timeout` option overrides it). @default 1000 */
  readonly timeoutMs?: number;
  /** Resends of one block before the transfer is dropped. @default 5 */
  readonly retries?: number;
  /** Serve `netascii` requests (LF → CR LF); when false they get ERROR 4. @default true */
  readonly netascii?: boolean;
  /**
   * Accept write requests (WRQ, octet only): a new file under `root`, written to a hidden part
   * file and linked under its name when complete; an existing name gets ERROR 6 (no overwrite),
   * a file over `maxFileBytes` ERROR 3. Off, a WRQ gets ERROR 2. @default false
   */
  readonly allowWrite?: boolean;
}

/** What a {@link TftpServer} counted. */
export interface TftpServerStats {
  /** Read requests that started a transfer. */
  transfers: number;
  /** Transfers whose last block was acknowledged. */
  completed: number;
  /** Transfers that ended with an error or a timeout. */
  failed: number;
  /** Requests refused with an ERROR (missing file, unsafe name, WRQ, busy, bad mode, …). */
  refused: number;
  /** Datagrams to the server port that were not a valid request. */
  malformed: number;
  /** Retransmitted requests for a transfer already running (ignored). */
  duplicateRequests: number;
  /** Blocks resent after a timeout, over all transfers. */
  retransmits: number;
  /** Packets from a wrong port answered with ERROR 5, over all transfers. */
  foreign: number;
}

/** A running TFTP server. */
export interface TftpServer {
  /** Binds and resolves with the address. */
  listen(): Promise<{ address: string; port: number; family: string }>;
  /** Counters since start. */
  readonly stats: Readonly<TftpServerStats>;
  /** Transfers running now. */
  readonly activeTransfers: number;
  /** Stops listening and drops every running transfer. */
  close(): Promise<void>;
}

/**
 * A TFTP server (RFC 1350) with option negotiation: `blksize` (RFC 2348), `tsize` and
 * `timeout` (RFC 2349). Each transfer runs on its own socket, a new port: its TID. Reads (RRQ)
 * are served from `root`; write requests (WRQ) are refused with ERROR 2 unless `allowWrite` is
 * set, and then only create new files.
 * @throws {TypeError|RangeError} for bad options.
 * @see RFC 1350, RFC 2347, RFC 2348, RFC 2349
 * @example
 * const server = createTftpServer({ root: '/srv/tftp' });
 * const { port } = await server.listen(); // then: tftp 127.0.0.1 $port -m binary -c get file
 */
export function createTftpServer(options: TftpServerOptions): TftpServer {
  const {
    root,
    host = '127.0.0.1',
    port = 0,
    maxTransfers = 64,
    maxFileBytes = 1024 ** 3,
    maxBlksize = TFTP_MAX_BLKSIZE,
    maxRequestBytes = 512,
    timeoutMs = 1000,
    retries = 5,
    netascii = true,
    allowWrite = false,
  } = options;
  if (typeof root !== 'string' || root === '') throw new TypeError('root must be a directory path');
  if (net.isIP(host) === 0)
    throw new TypeError(`host must be an IP address, got ${JSON.stringify(host)}`);
  checkBlksize(maxBlksize);
  checkInteger('maxTransfers', maxTransfers, 1);
  checkInteger('maxFileBytes', maxFileBytes, 0);
  checkInteger('maxRequestBytes', maxRequestBytes, 4);
  checkInteger('port', port, 0, 65_535);
  // Checks timing now rather than at the first transfer.
  new TftpSender({ peer: { address: host, port: 1 }, timeoutMs, retries });
  const type = net.isIPv6(host) ? 'udp6' : 'udp4';
  const listener = dgram.createSocket({ type });
  const stats: TftpServerStats = {
    transfers: 0,
    completed: 0,
    failed: 0,
    refused: 0,
    malformed: 0,
    duplicateRequests: 0,
    retransmits: 0,
    foreign: 0,
  };
  const active = new Map<string, () => void>();
  const rootPath = path.resolve(root);
  let closed = false;

  const refuse = (to: TftpEndpoint, code: number, message: string): void => {
    stats.refused++;
    sendError(listener, to, code, message);
  };

  listener.on('message', (datagram, rinfo) => {
    const from = { address: rinfo.address, port: rinfo.port };
    if (datagram.length > maxRequestBytes) {
      stats.malformed++;
      sendError(
        listener,
        from,
        TFTP_ERROR_CODES.illegalOperation,
        `request over ${maxRequestBytes} bytes`,
      );
      return;
    }
    let packet: TftpPacket;
    try {
      packet = decodeTftpPacket(datagram);
    } catch (err) {
      stats.malformed++;
      sendError(listener, from, TFTP_ERROR_CODES.illegalOperation, (err as Error).message);
      return;
    }
    if (packet.op === 'wrq' && !allowWrite) {
      return refuse(from, TFTP_ERROR_CODES.accessViolation, 'this server does not accept writes');
    }
    if (packet.op !== 'rrq' && packet.op !== 'wrq') {
      stats.malformed++;
      if (packet.op !== 'error') {
        const message = `expected RRQ${allowWrite ? ' or WRQ' : ''}, got ${packet.op.toUpperCase()}`;
        sendError(listener, from, TFTP_ERROR_CODES.illegalOperation, message);
      }
      return;
    }
    const key = `${from.address}|${from.port}`;
    if (active.has(key)) {
      stats.duplicateRequests++;
      return;
    }
    const modeOk =
      packet.mode === 'octet' || (packet.mode === 'netascii' && netascii && packet.op === 'rrq');
    if (!modeOk) {
      const mode = JSON.stringify(packet.mode.slice(0, 20));
      return refuse(
        from,
        TFTP_ERROR_CODES.illegalOperation,
        `transfer mode ${mode} is not supported here (use octet)`,
      );
    }
    if (active.size >= maxTransfers) {
      return refuse(from, TFTP_ERROR_CODES.notDefined, 'server busy, try again later');
    }
    active.set(key, () => {});
    const run =
      packet.op === 'rrq'
        ? serveRead(packet.filename, packet.mode, packet.options, from)
        : serveWrite(packet.filename, packet.options, from);
    void run
      .catch((err: unknown) => {
        const refusal = tftpRefusalFor(err);
        refuse(from, refusal.tftpCode, refusal.message);
      })
      .finally(() => active.delete(key));
  });
  listener.on('error', () => {});

  /** Grants what the server supports of the requested options (RFC 2347/2348/2349). */
  function negotiate(requested: TftpOptions, size: number | undefined) {
    const granted: [string, string][] = [];
    let blksize = 512;
    let wait = timeoutMs;
    for (const [name, value] of requested) {
      const n = /^\d{1,12}$/.test(value) ? Number(value) : Number.NaN;
      if (name === 'blksize' && n >= TFTP_MIN_BLKSIZE) {
        blksize = Math.min(n, maxBlksize);
        granted.push(['blksize', String(blksize)]);
      } else if (name === 'tsize' && size === undefined && n >= 0) {
        granted.push(['tsize', value]); // a WRQ announces its size: echo it (checked by the caller)
      } else if (name === 'tsize' && size !== undefined && n === 0) {
        granted.push(['tsize', String(size)]);
      } else if (name === 'timeout' && n >= 1 && n <= 255) {
        wait = n * 1000;
        granted.push(['timeout', value]);
      }
    }
    return { granted, blksize, wait };
  }

  /** Opens the file, negotiates, then sends it on a fresh socket. */
  async function serveRead(
    filename: string,
    mode: string,
    requested: TftpOptions,
    peer: TftpEndpoint,
  ): Promise<void> {
    const { file, size: fileSize } = await openTftpReadFile(rootPath, filename);
    try {
      if (fileSize > maxFileBytes) {
        throw new TftpRefusal(
          TFTP_ERROR_CODES.notDefined,
          `file larger than this server's limit of ${maxFileBytes} bytes`,
        );
      }
      const text = mode === 'netascii' ? toNetascii(await file.readFile()) : undefined;
      const { granted, blksize, wait } = negotiate(requested, text ? text.length : fileSize);
      const readBlock = windowedReader(file);
      const read = (offset: number, length: number): Promise<Uint8Array> =>
        text ? Promise.resolve(text.subarray(offset, offset + length)) : readBlock(offset, length);
      if (closed) return;
      stats.transfers++;
      const sender = new TftpSender({ peer, blksize, timeoutMs: wait, retries });
      const done = await runTransfer(
        sender,
        peer,
        () => sender.start(granted),
        (packet, from) => sender.receive(packet, from),
        { readBlock: read },
      );
      stats[done ? 'completed' : 'failed']++;
    } finally {
      await file.close();
    }
  }

  /** Prepares the upload, negotiates, then receives it on a fresh socket. */
  async function serveWrite(
    filename: string,
    requested: TftpOptions,
    peer: TftpEndpoint,
  ): Promise<void> {
    const { granted, blksize, wait } = negotiate(requested, undefined);
    const announced = Number(granted.find(([name]) => name === 'tsize')?.[1] ?? 0);
    if (announced > maxFileBytes) {
      throw new TftpRefusal(
        TFTP_ERROR_CODES.diskFull,
        `file larger than this server's limit of ${maxFileBytes} bytes`,
      );
    }
    const upload = await createTftpUpload(rootPath, filename);
    if (closed) return upload.abort();
    stats.transfers++;
    const receiver = new TftpReceiver({
      server: peer,
      filename,
      timeoutMs: wait,
      retries,
      maxBytes: maxFileBytes,
    });
    const done = await runTransfer(
      receiver,
      peer,
      () => receiver.accept(blksize, granted),
      (packet, from) => receiver.receive(packet, from, (data) => upload.write(data)),
      { dallyMs: wait * 4 }, // the last ACK may be lost: re-ACK a resent last DATA meanwhile
    );
    if (!done) {
      stats.failed++;
      await upload.abort();
      return;
    }
    // The bytes all arrived (and were acknowledged); a link that fails now (a file of that name
    // appeared meanwhile) can no longer be reported to the client: it is counted as failed.
    const committed = await upload.commit().then(
      () => true,
      () => false,
    );
    stats[committed ? 'completed' : 'failed']++;
  }

  /**
   * Runs one transfer's machine on its own socket (a new port: the server's TID) until it is
   * done or failed; resolves true when it is done. The driver does the rest (`tftp/driver.ts`).
   */
  function runTransfer(
    machine: TftpSender | TftpReceiver,
    peer: TftpEndpoint,
    start: () => TftpSend[],
    receive: (packet: TftpPacket, from: TftpEndpoint) => TftpSend[],
    drive: Pick<TftpDriverOptions, 'readBlock' | 'dallyMs'>,
  ): Promise<boolean> {
    const socket = dgram.createSocket({ type });
    const key = `${peer.address}|${peer.port}`;
    return new Promise<boolean>((settle) => {
      const resolve = (): void => settle(machine.state === 'done');
      let inFlight = 0; // sends not yet handed to the kernel: closing now would cancel them
      const closeSocket = (): void => {
        try {
          socket.close(() => resolve());
        } catch {
          resolve();
        }
      };
      const driver = driveTftpTransfer(machine, {
        ...drive,
        send: (s) => {
          inFlight++;
          socket.send(encodeTftpPacket(s.packet), s.to.port, s.to.address, () => {
            inFlight--;
            if (driver.ended && inFlight === 0) closeSocket();
          });
        },
        onEnd: () => {
          stats.retransmits += machine.stats.retransmits;
          stats.foreign += machine.stats.foreign;
          if (inFlight === 0) closeSocket(); // else the last send's callback closes it (an ERROR must leave)
        },
      });
      active.set(key, () => {
        if (!machine.finished)
          machine.abort(new ConnectionError('TCPUDP_ERR_CLOSED', 'the server is closing'));
        driver.stop();
      });
      onTftpPackets(socket, (packet, from) => driver.act(receive(packet, from)));
      let bound = false;
      socket.on('error', (err) => {
        // Before bind: the transfer cannot start (no free port); after: one send failed, the
        // timeout will resend. Either way the server goes on.
        if (!bound) {
          machine.abort(
            new ConnectionError(
              'TCPUDP_ERR_CONNECTION',
              `cannot bind a transfer socket: ${err.message}`,
              { cause: err },
            ),
          );
          driver.stop();
        }
      });
      socket.bind(0, host, () => {
        bound = true;
        driver.act(start());
      });
    });
  }

  return {
    stats,
    get activeTransfers() {
      return active.size;
    },
    listen: () => bindUdpSocket(listener, port, host),
    close: async () => {
      if (closed) return;
      closed = true;
      for (const stop of [...active.values()]) stop();
      await new Promise<void>((resolve) => {
        try {
          listener.close(() => resolve());
        } catch {
          resolve();
        }
      });
    },
  };
}

function sendError(socket: dgram.Socket, to: TftpEndpoint, code: number, message: string): void {
  const packet = encodeTftpPacket({
    op: 'error',
    code,
    message: message.replaceAll('\0', ' ').slice(0, 200),
  });
  try {
    socket.send(packet, to.port, to.address, () => {});
  } catch {
    // the server closed meanwhile (a refusal decided after an await): nothing to tell anyone
  }
}
