import dgram from 'node:dgram';
import { withTimeout } from '@socketlab/testkit';
import { onTestFinished } from 'vitest';
import { decodeTftpPacket, encodeTftpPacket, type TftpPacket } from '../../src/tftp/packet.ts';

/** A hand-driven TFTP peer for tests: send any bytes, await the next packet with where it came from. */
export class RawTftpPeer {
  readonly #queue: { packet: TftpPacket; port: number }[] = [];
  #waiter: (() => void) | undefined;

  private constructor(readonly socket: dgram.Socket) {
    socket.on('message', (datagram, rinfo) => {
      this.#queue.push({ packet: decodeTftpPacket(datagram), port: rinfo.port });
      this.#waiter?.();
    });
  }

  static async open(host = '127.0.0.1'): Promise<RawTftpPeer> {
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    onTestFinished(() => new Promise<void>((resolve) => socket.close(() => resolve())));
    await new Promise<void>((resolve) => socket.bind(0, host, resolve));
    return new RawTftpPeer(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(port: number, packet: TftpPacket | Uint8Array, host = '127.0.0.1'): void {
    this.socket.send(packet instanceof Uint8Array ? packet : encodeTftpPacket(packet), port, host);
  }

  /** The next packet received, within `ms`. */
  async next(what: string, ms = 5000): Promise<{ packet: TftpPacket; port: number }> {
    const ready = new Promise<void>((resolve) => {
      if (this.#queue.length > 0) resolve();
      else this.#waiter = resolve;
    });
    await withTimeout(ready, what, ms);
    this.#waiter = undefined;
    const first = this.#queue.shift();
    if (!first) throw new Error(`no packet for ${what}`);
    return first;
  }
}
