// The options type is the exercise's contract, given complete (and documented) in the starter.
import type { TftpReadOptions } from '../../exercises/05-tftp-read/exercise.ts';
import { tftpGet } from '../../src/tftp/client.ts';

export type { TftpReadOptions };

/**
 * Reads one file over TFTP (octet, 512-byte blocks, numbers wrapping after 65535 to 0). The
 * library's client also negotiates `blksize`/`tsize`, bounds the file size, and keeps
 * acknowledging a resent last block for a while (a dally of 3 × timeoutMs), then closes its socket.
 */
export function tftpRead(
  host: string,
  port: number,
  filename: string,
  options: TftpReadOptions,
): Promise<Buffer> {
  return tftpGet(host, port, filename, { timeoutMs: options.timeoutMs, retries: options.retries });
}
