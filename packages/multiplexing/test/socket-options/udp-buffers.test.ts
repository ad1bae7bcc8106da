import dgram from 'node:dgram';
import { once } from 'node:events';
import { pollUntil, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { applyUdpSocketOptions, readUdpSocketOptions } from '../../src/index.ts';

async function boundUdp(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  onTestFinished(() => {
    socket.close();
  });
  socket.bind(0, '127.0.0.1');
  await withTimeout(once(socket, 'listening'), 'the UDP socket to bind');
  return socket;
}

/**
 * Sends `count` datagrams of 1 KiB to `receiver` in one turn of the event loop (the receiver
 * cannot read meanwhile), then a marker until one arrives, and returns how many data datagrams
 * got through.
 */
async function burst(receiver: dgram.Socket, count: number): Promise<number> {
  const sender = await boundUdp();
  const { port } = receiver.address();
  let data = 0;
  let marked = false;
  receiver.on('message', (message: Buffer) => {
    if (message.length === 1) marked = true;
    else data++;
  });
  const payload = Buffer.alloc(1_024, 0x64);
  for (let i = 0; i < count; i++) sender.send(payload, port, '127.0.0.1');
  await pollUntil(() => {
    if (!marked) sender.send(Buffer.from('m'), port, '127.0.0.1');
    return marked;
  }, 'a marker datagram after the burst');
  return data;
}

describe.runIf(process.platform === 'linux')('UDP buffer sizes', () => {
  it('reads back twice the size asked (Linux keeps half for its bookkeeping)', async () => {
    const socket = await boundUdp();
    const read = applyUdpSocketOptions(socket, {
      receiveBufferBytes: 32_768,
      sendBufferBytes: 16_384,
    });
    expect(read).toEqual({ receiveBufferBytes: 65_536, sendBufferBytes: 32_768 });
    expect(readUdpSocketOptions(socket)).toEqual(read);
  });

  it('drops a burst the small receive buffer cannot hold, and keeps it in a large one', async () => {
    const small = await boundUdp();
    applyUdpSocketOptions(small, { receiveBufferBytes: 4_096 });
    const large = await boundUdp();
    applyUdpSocketOptions(large, { receiveBufferBytes: 1_048_576 });
    const count = 60;
    const keptBySmall = await burst(small, count);
    const keptByLarge = await burst(large, count);
    // Each 1 KiB datagram costs the receive buffer its truesize (~2.3 KiB on loopback): 8 KiB
    // holds a handful, the large one (capped by net.core.rmem_max, so 416 KiB at least) holds all 60 even at twice that.
    expect(keptBySmall).toBeLessThan(count / 2);
    expect(keptByLarge).toBe(count);
  });

  it('refuses a size out of range', async () => {
    const socket = await boundUdp();
    expect(() => applyUdpSocketOptions(socket, { receiveBufferBytes: 0 })).toThrow(
      /receiveBufferBytes must be an integer from 1/,
    );
    expect(() => applyUdpSocketOptions(socket, { sendBufferBytes: 1.5 })).toThrow(TypeError);
  });
});
