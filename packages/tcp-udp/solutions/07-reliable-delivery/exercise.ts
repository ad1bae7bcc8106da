import dgram from 'node:dgram';
// The types are the exercise's contract, given complete (and documented) in the starter.
import type {
  RunningReceiver,
  SendOptions,
  SendReport,
} from '../../exercises/07-reliable-delivery/exercise.ts';

export type { RunningReceiver, SendOptions, SendReport };

// A solved stop-and-wait sender and receiver. The library's own reliable UDP
// (src/reliable/) goes much further — windows, SACK, RFC 6298 timers — but speaks another
// wire format, so this exercise's solution is written out here in full.

/** Packet types of the exercise's wire format. */
const DATA = 0x44; // 'D'
const ACK = 0x41; // 'A'
const END = 0x45; // 'E'

function packet(type: number, seq: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const out = Buffer.alloc(5 + payload.length);
  out[0] = type;
  out.writeUInt32BE(seq >>> 0, 1);
  out.set(payload, 5);
  return out;
}

export async function startReceiver(host = '127.0.0.1'): Promise<RunningReceiver> {
  const socket = dgram.createSocket('udp4');
  const chunks: Buffer[] = [];
  let expected = 0;
  let resolve: (data: Buffer) => void = () => {};
  const received = new Promise<Buffer>((r) => {
    resolve = r;
  });
  socket.on('message', (bytes, from) => {
    if (bytes.length < 5) return;
    const type = bytes[0];
    const seq = bytes.readUInt32BE(1);
    if (type !== DATA && type !== END) return;
    if (seq === expected) {
      expected++;
      if (type === DATA) chunks.push(Buffer.from(bytes.subarray(5)));
      else resolve(Buffer.concat(chunks));
    }
    // acknowledge the new packet and any repeat of an old one; ignore packets from the future
    if (seq < expected) socket.send(packet(ACK, seq), from.port, from.address);
  });
  await new Promise<void>((r) => socket.bind(0, host, r));
  return {
    port: socket.address().port,
    received,
    close: () => new Promise<void>((r) => socket.close(() => r())),
  };
}

export async function sendReliably(
  data: Uint8Array,
  host: string,
  port: number,
  options: SendOptions = {},
): Promise<SendReport> {
  const { retransmitMs = 30, maxTries = 50, chunkBytes = 1024 } = options;
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const report: SendReport = { packets: 0, retransmissions: 0 };
  let waiting: { seq: number; done: () => void } | undefined;
  socket.on('message', (bytes) => {
    if (bytes.length >= 5 && bytes[0] === ACK && waiting && bytes.readUInt32BE(1) === waiting.seq) {
      waiting.done();
    }
  });
  const deliver = async (datagram: Buffer, seq: number): Promise<void> => {
    for (let attempt = 0; attempt < maxTries; attempt++) {
      if (attempt > 0) report.retransmissions++;
      report.packets++;
      socket.send(datagram, port, host);
      const acked = await new Promise<boolean>((r) => {
        const timer = setTimeout(() => r(false), retransmitMs);
        waiting = {
          seq,
          done: () => {
            clearTimeout(timer);
            r(true);
          },
        };
      });
      waiting = undefined;
      if (acked) return;
    }
    throw new Error(`packet ${seq} was not acknowledged after ${maxTries} tries`);
  };
  try {
    let seq = 0;
    for (let offset = 0; offset < data.length; offset += chunkBytes, seq++) {
      await deliver(packet(DATA, seq, data.subarray(offset, offset + chunkBytes)), seq);
    }
    await deliver(packet(END, seq), seq);
    return report;
  } finally {
    socket.close();
  }
}
