import dgram from 'node:dgram';
import fs from 'node:fs/promises';
import net from 'node:net';
import { checkInteger, checkNumber, TIMER_MAX_MS } from '@socketlab/internal';
import { ConnectionError, FileSystemError, quoteInput } from '../errors.ts';
import { driveTftpTransfer, onTftpPackets, type TftpDriver } from './driver.ts';
import type { TftpMachine } from './machine.ts';
import { fromNetascii } from './netascii.ts';
import { encodeTftpPacket, type TftpPacket } from './packet.ts';
import { TftpReceiver, type TftpSend, TftpSender } from './transfer.ts';

/** Options of {@link tftpGet}. */
export interface TftpGetOptions {
  /** The block size to ask for (RFC 2348, 8..65464); 512 asks for nothing. @default 512 */
  readonly blksize?: number;
  /** Wait for the next DATA before resending the last packet, in ms. @default 1000 */
  readonly timeoutMs?: number;
  /** Resends of one packet before giving up. @default 5 */
  readonly retries?: number;
  /** `octet` (bytes as they are) or `netascii` (text; CR LF turned back into LF). @default 'octet' */
  readonly mode?: 'octet' | 'netascii';
  /** Ask the server for the size first (RFC 2349 `tsize`), to refuse a too-large file early. @default false */
  readonly tsize?: boolean;
  /** The largest file accepted; a larger one is refused with ERROR 3. @default 64 MiB */
  readonly maxBytes?: number;
  /**
   * After the last ACK, how long the socket stays open to acknowledge the last DATA again if the
   * server resends it (our ACK was lost). RFC 1350 §6 asks the last ACK's sender to "dally". It
   * runs after the promise resolved. @default 3 × timeoutMs
   */
  readonly dallyMs?: number;
}

/** What a finished read reports besides the bytes. */
export interface TftpGetResult {
  /** The block size used. */
  readonly blksize: number;
  /** Packets sent again after a timeout. */
  readonly retransmits: number;
  /** Duplicate DATA/OACK received. */
  readonly duplicates: number;
}

/**
 * Reads one file from a TFTP server (an RRQ) into memory.
 * @param host the server's address (IPv4 or IPv6 literal).
 * @param port the server's port (69 for a system server).
 * @param remoteName the file name as the server knows it.
 * @throws {RemoteError} `TCPUDP_ERR_REMOTE` when the server answers ERROR (`remoteCode` is its code:
 *   1 file not found, 2 access violation, …).
 * @throws {TimeoutError} `TCPUDP_ERR_RETRIES_EXHAUSTED` when the server stops answering.
 * @throws {LimitExceededError} `TCPUDP_ERR_LIMIT_EXCEEDED` when the file is over `maxBytes`.
 * @throws {ProtocolError} `TCPUDP_ERR_PROTOCOL` when the server breaks the protocol (an OACK with
 *   options not asked for, DATA over the block size).
 * @see RFC 1350, RFC 2347, RFC 2348
 * @example const bytes = await tftpGet('127.0.0.1', 69, 'pxelinux.0', { blksize: 1428 });
 */
export function tftpGet(
  host: string,
  port: number,
  remoteName: string,
  options: TftpGetOptions = {},
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  return tftpRead(host, port, remoteName, options, (data) => chunks.push(Buffer.from(data))).then(
    () => {
      const whole = Buffer.concat(chunks);
      return options.mode === 'netascii' ? fromNetascii(whole) : whole;
    },
  );
}

/**
 * Reads one file from a TFTP server into `localPath`, block by block as it arrives (octet mode).
 * The file is written to `localPath + '.part'` and renamed when complete, so a failed transfer
 * never leaves a truncated file under the final name.
 * @throws as {@link tftpGet}, and {@link FileSystemError} `TCPUDP_ERR_FILE_SYSTEM` when the
 *   local file cannot be written.
 * @example await tftpGetFile('127.0.0.1', 69, 'boot.img', '/tmp/boot.img', { blksize: 8192 });
 */
export function tftpGetFile(
  host: string,
  port: number,
  remoteName: string,
  localPath: string,
  options: Omit<TftpGetOptions, 'mode'> = {},
): Promise<TftpGetResult> {
  receiverFor(host, port, remoteName, options); // bad options throw now, not later
  return getToFile(host, port, remoteName, localPath, options);
}

async function getToFile(
  host: string,
  port: number,
  remoteName: string,
  localPath: string,
  options: Omit<TftpGetOptions, 'mode'>,
): Promise<TftpGetResult> {
  const part = `${localPath}.part`;
  const file = await fs.open(part, 'w').catch((err: NodeJS.ErrnoException) => {
    throw new FileSystemError(`cannot write ${quoteInput(part)}: ${err.message}`, err.code, {
      cause: err,
    });
  });
  let writing = Promise.resolve();
  let writeError: NodeJS.ErrnoException | undefined;
  try {
    const result = await tftpRead(host, port, remoteName, options, (data) => {
      const copy = Buffer.from(data);
      writing = writing.then(() =>
        file.write(copy).then(
          () => {},
          (err: NodeJS.ErrnoException) => {
            writeError ??= err;
          },
        ),
      );
    });
    await writing;
    if (writeError) {
      throw new FileSystemError(
        `cannot write ${quoteInput(part)}: ${writeError.message}`,
        writeError.code,
        { cause: writeError },
      );
    }
    await file.close();
    await fs.rename(part, localPath);
    return result;
  } catch (err) {
    await writing;
    await file.close().catch(() => {});
    await fs.rm(part, { force: true });
    throw err;
  }
}

/** A server address must be an IP address and a port in 1..65535 (thrown synchronously). */
function checkServer(host: string, port: number): void {
  if (net.isIP(host) === 0) {
    throw new TypeError(`host must be an IP address, got ${quoteInput(host)}`);
  }
  checkInteger('port', port, 1, 65_535);
}

/** Checks the options (synchronously) and makes the state machine of one read. */
function receiverFor(
  host: string,
  port: number,
  remoteName: string,
  options: TftpGetOptions,
): TftpReceiver {
  checkServer(host, port);
  checkNumber('dallyMs', options.dallyMs ?? 0, 0, TIMER_MAX_MS);
  return new TftpReceiver({
    server: { address: host, port },
    filename: remoteName,
    ...(options.mode !== undefined && { mode: options.mode }),
    ...(options.blksize !== undefined && { blksize: options.blksize }),
    ...(options.tsize !== undefined && { tsize: options.tsize }),
    ...(options.maxBytes !== undefined && { maxBytes: options.maxBytes }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    ...(options.retries !== undefined && { retries: options.retries }),
  });
}

/** One client transfer's socket: packets decoded, failures typed, sends finished before it closes. */
interface TftpClientSocket {
  send(s: TftpSend): void;
  /** Closes once every send so far has left (closing earlier would cancel the last ACK). */
  close(): void;
}

function openTftpClientSocket(
  host: string,
  onPacket: (packet: TftpPacket, from: { address: string; port: number }) => void,
  onError: (error: ConnectionError) => void,
  onBound: () => void,
): TftpClientSocket {
  const socket = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4' });
  let closing = false;
  let closed = false;
  let inFlight = 0; // sends not yet handed to the kernel
  const io: TftpClientSocket = {
    send(s) {
      inFlight++;
      socket.send(encodeTftpPacket(s.packet), s.to.port, s.to.address, () => {
        inFlight--;
        if (closing && inFlight === 0) io.close();
      });
    },
    close() {
      closing = true;
      if (closed || inFlight > 0) return; // the last send's callback closes it
      closed = true;
      socket.close();
    },
  };
  onTftpPackets(socket, onPacket);
  socket.on('error', (err) => {
    io.close();
    onError(
      new ConnectionError('TCPUDP_ERR_CONNECTION', `TFTP socket error: ${err.message}`, {
        cause: err,
      }),
    );
  });
  // A loopback server is reached from a loopback address; anything else from the wildcard.
  const local = host === '::1' ? '::1' : host.startsWith('127.') ? '127.0.0.1' : undefined;
  socket.bind({ port: 0, ...(local && { address: local }) }, onBound);
  return io;
}

/**
 * The I/O edge of a read: one socket, the {@link TftpReceiver} machine, its timers. Bad options
 * throw synchronously; everything else rejects.
 */
function tftpRead(
  host: string,
  port: number,
  remoteName: string,
  options: TftpGetOptions,
  onData: (data: Uint8Array) => void,
): Promise<TftpGetResult> {
  const receiver = receiverFor(host, port, remoteName, options);
  return new Promise<TftpGetResult>((resolve, reject) => {
    const driver = driveTftpTransfer(receiver, {
      send: (s) => io.send(s),
      // The last ACK may be lost: re-ACK a resent last block meanwhile (after resolving).
      dallyMs: options.dallyMs ?? 3 * (options.timeoutMs ?? 1000),
      onDone: () =>
        resolve({
          blksize: receiver.blksize,
          retransmits: receiver.stats.retransmits,
          duplicates: receiver.stats.duplicates,
        }),
      onEnd: () => {
        io.close();
        if (receiver.state === 'failed') reject(receiver.error);
      },
    });
    const io = openTftpClientSocket(
      host,
      (packet, from) => driver.act(receiver.receive(packet, from, onData)),
      (error) => failWith(receiver, driver, error),
      () => driver.act(receiver.start()),
    );
  });
}

/** A socket error ends a transfer (already resolved when it came while dallying). */
function failWith(machine: TftpMachine, driver: TftpDriver, error: ConnectionError): void {
  machine.abort(error);
  driver.stop();
}

/** Options of {@link tftpPut}. */
export interface TftpPutOptions {
  /** The block size to ask for (RFC 2348, 8..65464); 512 asks for nothing. @default 512 */
  readonly blksize?: number;
  /** Wait for each ACK before sending the block again, in ms. @default 1000 */
  readonly timeoutMs?: number;
  /** Resends of one packet before giving up. @default 5 */
  readonly retries?: number;
  /** Announce the size in the WRQ (RFC 2349 `tsize`), so the server can refuse it at once. @default false */
  readonly tsize?: boolean;
}

/** What a finished write reports. */
export interface TftpPutResult {
  /** The block size used. */
  readonly blksize: number;
  /** Blocks sent again after a timeout. */
  readonly retransmits: number;
}

/**
 * Writes `data` as the file `remoteName` on a TFTP server (a WRQ, octet mode). The server must
 * accept writes (`createTftpServer({ allowWrite: true })`, or `in.tftpd -c`).
 * @throws {RemoteError} `TCPUDP_ERR_REMOTE` when the server answers ERROR (`remoteCode` 2: writes
 *   refused or unsafe name, 6: the file exists, 3: too large, …).
 * @throws {TimeoutError} `TCPUDP_ERR_RETRIES_EXHAUSTED` when the server stops answering.
 * @throws {ProtocolError} `TCPUDP_ERR_PROTOCOL` for an OACK with options not asked for.
 * @throws {TypeError|RangeError} (synchronously) for a bad host, port or option.
 * @see RFC 1350, RFC 2347, RFC 2348, RFC 2349
 * @example await tftpPut('127.0.0.1', port, 'upload.bin', Buffer.from('hello'), { blksize: 1024 });
 */
export function tftpPut(
  host: string,
  port: number,
  remoteName: string,
  data: Uint8Array,
  options: TftpPutOptions = {},
): Promise<TftpPutResult> {
  checkServer(host, port);
  const sender = new TftpSender({
    peer: { address: host, port },
    request: { filename: remoteName, ...(options.tsize && { tsize: data.length }) },
    ...(options.blksize !== undefined && { blksize: options.blksize }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    ...(options.retries !== undefined && { retries: options.retries }),
  });
  return new Promise<TftpPutResult>((resolve, reject) => {
    const driver = driveTftpTransfer(sender, {
      send: (s) => io.send(s),
      readBlock: (offset, length) => data.subarray(offset, offset + length),
      onEnd: () => {
        io.close();
        if (sender.state === 'failed') reject(sender.error);
        else resolve({ blksize: sender.blksize, retransmits: sender.stats.retransmits });
      },
    });
    const io = openTftpClientSocket(
      host,
      (packet, from) => driver.act(sender.receive(packet, from)),
      (error) => failWith(sender, driver, error),
      () => driver.act(sender.start()),
    );
  });
}
