import { tftpGet } from '../../src/tftp/client.ts';

/** How long to wait for the server's next packet, and how many times to send ours again. */
export interface TftpReadOptions {
  /** How long to wait for the next packet from the server before sending the last one again, in ms. */
  timeoutMs: number;
  /** How many times one packet may be sent again before giving up. */
  retries: number;
}

/**
 * Reads one file over TFTP (octet, 512-byte blocks). The library's client also negotiates
 * `blksize`/`tsize`, bounds the file size, and keeps acknowledging a resent last block for a while.
 */
export function tftpRead(
  host: string,
  port: number,
  filename: string,
  options: TftpReadOptions,
): Promise<Buffer> {
  return tftpGet(host, port, filename, { timeoutMs: options.timeoutMs, retries: options.retries });
}
