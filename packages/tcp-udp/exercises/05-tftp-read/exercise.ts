// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter

/** How long to wait for the server's next packet, and how many times to send ours again. */
export interface TftpReadOptions {
  /** How long to wait for the next packet from the server before sending the last one again, in ms. */
  timeoutMs: number;
  /** How many times one packet may be sent again before giving up. */
  retries: number;
}

/**
 * Reads the file `filename` from the TFTP server at `host:port` (RFC 1350, octet mode, 512-byte
 * blocks, no options) and resolves with its bytes.
 * - Sends an RRQ to `host:port`; the server answers from a NEW port (its transfer id, TID): send
 *   every ACK to that port, and ignore (or answer with ERROR 5) packets from any other port.
 * - Acknowledges DATA n with ACK n; a DATA shorter than 512 bytes (even empty) is the last one.
 *   Block numbers are 16 bits: after 65535 comes 0, then 1, … (a file over 32 MiB wraps).
 * - A DATA you already have (your ACK was lost): acknowledge it again, do not keep its bytes twice.
 * - On a timeout, sends the last packet (RRQ or ACK) again, at most `retries` times, then rejects
 *   with an Error whose `code` is `'TCPUDP_ERR_RETRIES_EXHAUSTED'`.
 * - On an ERROR packet, rejects with an Error whose `code` is `'TCPUDP_ERR_REMOTE'` and whose
 *   `remoteCode` is the packet's error code (1 = file not found, …).
 * - Closes its socket on every ending (done, ERROR, giving up), at the latest 3 × `timeoutMs` later.
 * @example const bytes = await tftpRead('127.0.0.1', port, 'hello.txt', { timeoutMs: 500, retries: 5 });
 */
export async function tftpRead(
  host: string,
  port: number,
  filename: string,
  options: TftpReadOptions,
): Promise<Buffer> {
  // TODO: a udp4 socket (dgram.createSocket), bound to port 0.
  // TODO: send the RRQ: 00 01, the filename, 00, "octet", 00.
  // TODO: on 'message': read the opcode (readUInt16BE(0)). The first answer's port is the server's
  //       TID: remember it; from then on, packets from another port are not part of this transfer.
  // TODO: DATA (3): the expected block? keep the bytes, send ACK (00 04 + block), expect the next
  //       block, wrapping after 65535 to 0; fewer than 512 bytes → done. The previous block
  //       again? ACK it again only.
  // TODO: ERROR (5): reject with code 'TCPUDP_ERR_REMOTE' and remoteCode = the error code.
  // TODO: a timer: when nothing new came for timeoutMs, send the last packet again, up to
  //       `retries` times, then reject with code 'TCPUDP_ERR_RETRIES_EXHAUSTED'.
  // TODO: whatever happens (done, ERROR, giving up), clear the timer and close the socket.
  throw new Error('not implemented yet: read exercises/05-tftp-read/README.md');
}
