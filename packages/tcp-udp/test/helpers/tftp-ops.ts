import type { TftpPacket } from '../../src/tftp/packet.ts';

/** A packet a machine asked to send, as one short readable word: `DATA 1 (8)`, `ACK 0`, `ERROR 5`, `RRQ`. */
export const tftpOp = ({ packet: p }: { packet: TftpPacket }): string =>
  p.op === 'data'
    ? `DATA ${p.block} (${p.data.length})`
    : p.op === 'ack'
      ? `ACK ${p.block}`
      : p.op === 'error'
        ? `ERROR ${p.code}`
        : p.op.toUpperCase();

/** {@link tftpOp} of each send. */
export const tftpOps = (sends: readonly { packet: TftpPacket }[]): string[] => sends.map(tftpOp);
