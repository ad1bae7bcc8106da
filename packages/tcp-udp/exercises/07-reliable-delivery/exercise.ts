// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter

/** A running receiver: its port, the bytes it will deliver, and a way to stop it. */
export interface RunningReceiver {
  /** The UDP port the receiver listens on (the kernel's choice: bind port 0). */
  port: number;
  /** Resolves with every byte sent, once, in order, when the END packet arrives in turn. */
  received: Promise<Buffer>;
  /** Closes the socket. */
  close(): Promise<void>;
}

/** How the sender paces itself and when it gives up. */
export interface SendOptions {
  /** How long to wait for an ACK before sending the same packet again, in ms. @default 30 */
  retransmitMs?: number;
  /** Transmissions of one packet (the first included) before giving up. @default 50 */
  maxTries?: number;
  /** Payload bytes per DATA packet. @default 1024 */
  chunkBytes?: number;
}

/** What the sender did: packets put on the wire (retransmissions included), and how many were repeats. */
export interface SendReport {
  packets: number;
  retransmissions: number;
}

/**
 * Starts the receiving side of stop-and-wait on `host`, port 0. For each DATA or END packet:
 * when its sequence number is the one expected next, take it (keep a DATA payload; an END
 * finishes `received`) and expect the next number; then, if its number is below the next
 * expected one (new or a repeat), answer ACK with that number to the address it came from.
 * Packets from the future, short packets and unknown types are ignored.
 * @example const rx = await startReceiver(); await sendReliably(data, '127.0.0.1', rx.port); await rx.received;
 */
export async function startReceiver(host = '127.0.0.1'): Promise<RunningReceiver> {
  // TODO: dgram.createSocket('udp4'); keep `expected` (starts at 0) and the payloads taken so far.
  // TODO: on 'message': skip datagrams shorter than 5 bytes or of another type than DATA/END;
  //       read the sequence number (bytes 1–4, big-endian).
  // TODO: if seq === expected: take it (DATA: keep a copy of bytes 5…; END: resolve `received`
  //       with all payloads joined) and increment expected.
  // TODO: if seq < expected: send ACK (type 0x41, same seq) back to the sender's address and port.
  // TODO: bind(0, host), wait for it, and resolve with the port, `received` and a close().
  throw new Error('not implemented yet: read exercises/07-reliable-delivery/README.md');
}

/**
 * Sends `data` to the receiver at `host:port` with stop-and-wait: cut it into DATA packets
 * numbered 0, 1, 2, …, send one, wait for the ACK with its number (retransmitting every
 * `retransmitMs`), then the next; finish with an END packet numbered after the last DATA, sent
 * and acknowledged the same way. Rejects with an Error when one packet was sent `maxTries`
 * times without its ACK. Closes its socket whatever happens.
 * @example const report = await sendReliably(Buffer.from('hello'), '127.0.0.1', port);
 */
export async function sendReliably(
  data: Uint8Array,
  host: string,
  port: number,
  options: SendOptions = {},
): Promise<SendReport> {
  // TODO: dgram.createSocket('udp4') and bind it (port 0) before sending.
  // TODO: build packets: byte 0 = type (0x44 DATA, 0x45 END), bytes 1–4 = seq (big-endian),
  //       then the payload (DATA only, at most chunkBytes bytes).
  // TODO: for each packet: send it, wait up to retransmitMs for an ACK (type 0x41) with the SAME
  //       seq; ignore any other ACK (a late duplicate of an older one); resend on timeout; count
  //       packets and retransmissions; after maxTries sends without the ACK, reject.
  // TODO: close the socket in a finally block, and resolve with the report.
  throw new Error('not implemented yet: read exercises/07-reliable-delivery/README.md');
}
