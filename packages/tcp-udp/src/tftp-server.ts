import dgram from 'node:dgram';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { ConnectionError, type TcpUdpError, UnsafePathError } from './errors.ts';
import { resolveSafePath } from './safe-path.ts';
import { toNetascii } from './tftp-netascii.ts';
import {
  decodeTftpPacket,
  encodeTftpPacket,
  TFTP_ERROR_CODES,
  TFTP_MAX_BLKSIZE,
  TFTP_MIN_BLKSIZE,
  type TftpPacket,
} from './tftp-packet.ts';
import { checkBlksize, type TftpEndpoint, type TftpSend, TftpSender } from './tftp-transfer.ts';

/** Options of {@link createTftpServer}. */
export interface TftpServerOptions {
  /** The directory served. Nothing outside it is ever read (no `..`, absolute path, NUL or symlink out). */
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
 * A read-only TFTP server (RFC 1350) with option negotiation: `blksize` (RFC 2348), `tsize` and
 * `timeout` (RFC 2349). Each transfer runs on its own socket, a new port: its TID. Write requests
 * (WRQ) are refused with ERROR 2: this server does not accept uploads.
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
  } = options;
  if (typeof root !== 'string' || root === '') throw new TypeError('root must be a directory path');
  if (net.isIP(host) === 0)
    throw new TypeError(`host must be an IP address, got ${JSON.stringify(host)}`);
  checkBlksize(maxBlksize);
  for (const [name, value, min] of [
    ['maxTransfers', maxTransfers, 1],
    ['maxFileBytes', maxFileBytes, 0],
    ['maxRequestBytes', maxRequestBytes, 4],
    ['port', port, 0],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < min)
      throw new RangeError(`${name} must be an integer ≥ ${min}, got ${value}`);
  }
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
    if (packet.op === 'wrq')
      return refuse(from, TFTP_ERROR_CODES.accessViolation, 'this server does not accept writes');
    if (packet.op !== 'rrq') {
      stats.malformed++;
      if (packet.op !== 'error')
        sendError(
          listener,
          from,
          TFTP_ERROR_CODES.illegalOperation,
          `expected RRQ, got ${packet.op.toUpperCase()}`,
        );
      return;
    }
    const key = `${from.address}|${from.port}`;
    if (active.has(key)) {
      stats.duplicateRequests++;
      return;
    }
    if (packet.mode !== 'octet' && !(packet.mode === 'netascii' && netascii)) {
      return refuse(
        from,
        TFTP_ERROR_CODES.illegalOperation,
        `transfer mode ${JSON.stringify(packet.mode.slice(0, 20))} is not supported (use octet)`,
      );
    }
    if (active.size >= maxTransfers)
      return refuse(from, TFTP_ERROR_CODES.notDefined, 'server busy, try again later');
    active.set(key, () => {});
    void serve(packet.filename, packet.mode, packet.options, from)
      .catch(() => {})
      .finally(() => active.delete(key));
  });
  listener.on('error', () => {});

  /** Opens the file, negotiates, then runs one transfer on a fresh socket. */
  async function serve(
    filename: string,
    mode: string,
    requested: ReadonlyArray<readonly [string, string]>,
    peer: TftpEndpoint,
  ): Promise<void> {
    let file: fs.FileHandle;
    let size: number;
    try {
      const full = resolveSafePath(rootPath, filename, { allowSubdirectories: true });
      const real = await fs.realpath(full);
      const realRoot = await fs.realpath(rootPath);
      if (!real.startsWith(realRoot + path.sep))
        throw new UnsafePathError('a symbolic link leads outside the root', filename);
      file = await fs.open(real, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
      const stat = await file.stat();
      if (!stat.isFile()) {
        await file.close();
        return refuse(peer, TFTP_ERROR_CODES.fileNotFound, 'not a regular file');
      }
      size = stat.size;
    } catch (err) {
      if (err instanceof UnsafePathError)
        return refuse(peer, TFTP_ERROR_CODES.accessViolation, 'Access violation: unsafe file name');
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR')
        return refuse(peer, TFTP_ERROR_CODES.fileNotFound, 'File not found');
      return refuse(peer, TFTP_ERROR_CODES.accessViolation, 'Access violation');
    }
    try {
      if (size > maxFileBytes)
        return refuse(
          peer,
          TFTP_ERROR_CODES.notDefined,
          `file larger than this server's limit of ${maxFileBytes} bytes`,
        );
      let text: Buffer | undefined;
      if (mode === 'netascii') {
        text = toNetascii(await file.readFile());
        size = text.length;
      }
      const granted: [string, string][] = [];
      let blksize = 512;
      let wait = timeoutMs;
      for (const [name, value] of requested) {
        const n = /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
        if (name === 'blksize' && n >= TFTP_MIN_BLKSIZE) {
          blksize = Math.min(n, maxBlksize);
          granted.push(['blksize', String(blksize)]);
        } else if (name === 'tsize' && n === 0) {
          granted.push(['tsize', String(size)]);
        } else if (name === 'timeout' && n >= 1 && n <= 255) {
          wait = n * 1000;
          granted.push(['timeout', value]);
        }
      }
      const readBlock = windowedReader(file);
      if (closed) return;
      stats.transfers++;
      await runTransfer(
        new TftpSender({ peer, blksize, timeoutMs: wait, retries }),
        granted,
        (offset, length) =>
          text
            ? Promise.resolve(text.subarray(offset, offset + length))
            : readBlock(offset, length),
      );
    } finally {
      await file.close();
    }
  }

  function runTransfer(
    sender: TftpSender,
    oack: [string, string][],
    read: (offset: number, length: number) => Promise<Uint8Array>,
  ): Promise<void> {
    const socket = dgram.createSocket({ type });
    let timer: NodeJS.Timeout | undefined;
    let pumping = false;
    return new Promise<void>((resolve) => {
      let ended = false;
      let inFlight = 0; // sends not yet handed to the kernel: closing now would cancel them
      const closeSocket = (): void => {
        try {
          socket.close(() => resolve());
        } catch {
          resolve();
        }
      };
      const end = (): void => {
        if (ended) return;
        ended = true;
        clearTimeout(timer);
        active.delete(`${sender.peer.address}|${sender.peer.port}`);
        stats.retransmits += sender.stats.retransmits;
        stats.foreign += sender.stats.foreign;
        if (sender.state === 'done') stats.completed++;
        else stats.failed++;
        if (inFlight === 0) closeSocket(); // else the last send's callback closes it (an ERROR must leave)
      };
      const stop = (): void => {
        if (!sender.finished)
          sender.abort(new ConnectionError('TCPUDP_ERR_CLOSED', 'the server is closing'));
        end();
      };
      active.set(`${sender.peer.address}|${sender.peer.port}`, stop);
      const act = (sends: TftpSend[]): void => {
        if (ended) return;
        for (const s of sends) {
          inFlight++;
          socket.send(encodeTftpPacket(s.packet), s.to.port, s.to.address, () => {
            inFlight--;
            if (ended && inFlight === 0) closeSocket();
          });
        }
        clearTimeout(timer);
        if (sender.finished) {
          end();
          return;
        }
        if (sender.deadline !== undefined) {
          timer = setTimeout(() => act(sender.tick()), Math.max(0, sender.deadline - Date.now()));
        }
        if (sender.state === 'ready' && !pumping) void pump();
      };
      const pump = async (): Promise<void> => {
        pumping = true;
        try {
          const chunk = await read(sender.blocks * sender.blksize, sender.blksize);
          pumping = false;
          if (sender.state === 'ready' && !closed) act(sender.offer(chunk));
        } catch (err) {
          pumping = false;
          act(sender.abort(err as TcpUdpError, TFTP_ERROR_CODES.notDefined, sender.peer));
        }
      };
      socket.on('message', (datagram, rinfo) => {
        let packet: TftpPacket;
        try {
          packet = decodeTftpPacket(datagram);
        } catch {
          return; // garbage on a transfer port: ignore it, the transfer goes on
        }
        act(sender.receive(packet, { address: rinfo.address, port: rinfo.port }));
      });
      let bound = false;
      socket.on('error', (err) => {
        // Before bind: the transfer cannot start (no free port); after: one send failed, the
        // timeout will resend. Either way the server goes on.
        if (!bound) {
          sender.abort(
            new ConnectionError(
              'TCPUDP_ERR_CONNECTION',
              `cannot bind a transfer socket: ${err.message}`,
              { cause: err },
            ),
          );
          end();
        }
      });
      socket.bind(0, host, () => {
        bound = true;
        act(sender.start(oack));
      });
    });
  }

  return {
    stats,
    get activeTransfers() {
      return active.size;
    },
    listen: () =>
      new Promise((resolve, reject) => {
        const onError = (err: Error): void =>
          reject(
            new ConnectionError(
              'TCPUDP_ERR_CONNECTION',
              `cannot bind ${host}:${port}: ${err.message}`,
              { cause: err },
            ),
          );
        listener.once('error', onError);
        listener.bind(port, host, () => {
          listener.off('error', onError);
          resolve(listener.address());
        });
      }),
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

/**
 * Reads blocks through a 64 KiB window: one file-system read serves many small blocks, instead
 * of a thread-pool round trip per 512-byte block.
 */
function windowedReader(file: fs.FileHandle, windowBytes = 64 * 1024) {
  let start = 0;
  let data: Buffer = Buffer.alloc(0);
  return async (offset: number, length: number): Promise<Buffer> => {
    if (offset < start || offset + length > start + data.length) {
      data = await readAt(file, offset, Math.max(windowBytes, length));
      start = offset;
    }
    return data.subarray(offset - start, offset - start + length);
  };
}

async function readAt(file: fs.FileHandle, offset: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await file.read(buffer, filled, length - filled, offset + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
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
