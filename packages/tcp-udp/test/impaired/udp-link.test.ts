import dgram from 'node:dgram';
import { once } from 'node:events';
import { pollUntil, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type ImpairedUdpLinkOptions, listenImpairedUdpLink } from '../../src/impaired/udp-link.ts';
import { openRecordingUdpSocket, sendUdp } from '../helpers/impaired-udp.ts';

const echo = (data: Buffer, from: dgram.RemoteInfo, socket: dgram.Socket): void => {
  socket.send(data, from.port, from.address);
};

async function startLink(options: Omit<ImpairedUdpLinkOptions, 'target'>, targetPort: number) {
  const link = await listenImpairedUdpLink({
    target: { host: '127.0.0.1', port: targetPort },
    ...options,
  });
  onTestFinished(() => link.close());
  return link;
}

/** Sends `count` numbered datagrams through a fresh link with `options` and returns what arrived. */
async function sendNumbered(options: Omit<ImpairedUdpLinkOptions, 'target'>, count: number) {
  const target = await openRecordingUdpSocket();
  const link = await startLink(options, target.port);
  const client = await openRecordingUdpSocket();
  // Paced in batches: a burst of hundreds of datagrams overflows the link socket's kernel receive
  // buffer before the event loop reads it, and the kernel drops them (real loss, not ours).
  for (let i = 0; i < count; i++) {
    await sendUdp(client.socket, `packet ${i}`, link.address.port);
    if (i % 20 === 19) {
      await pollUntil(() => link.stats.toTarget.received === i + 1, `the link to read ${i + 1}`);
    }
  }
  const expected = await pollUntil(
    () =>
      link.stats.toTarget.received === count &&
      link.stats.toTarget.pending === 0 &&
      link.stats.toTarget.forwarded,
    `the link to take ${count} datagrams (seed ${link.seed})`,
  ).catch((error: Error) => {
    throw new Error(`${error.message}; link stats ${JSON.stringify(link.stats)}`);
  });
  await pollUntil(
    () => target.received.length === expected,
    `the target to receive ${expected} datagrams (seed ${link.seed})`,
  );
  return { link, numbers: target.received.map((r) => Number(r.data.toString().split(' ')[1])) };
}

describe('listenImpairedUdpLink', () => {
  it('forwards both ways untouched when no impairment is set', async () => {
    const target = await openRecordingUdpSocket(echo);
    const link = await startLink({ seed: 1 }, target.port);
    const client = await openRecordingUdpSocket();
    for (let i = 0; i < 20; i++) await sendUdp(client.socket, `hello ${i}`, link.address.port);
    await pollUntil(() => client.received.length === 20, '20 echoes through the link');
    expect(client.received.map((r) => r.data.toString())).toEqual(
      Array.from({ length: 20 }, (_, i) => `hello ${i}`),
    );
    // the replies come from the link's own address, and the target saw one upstream port
    expect(new Set(client.received.map((r) => r.from.port))).toEqual(new Set([link.address.port]));
    expect(new Set(target.received.map((r) => r.from.port)).size).toBe(1);
    expect(link.stats.toTarget).toMatchObject({ received: 20, forwarded: 20, dropped: 0 });
    expect(link.stats.toClient).toMatchObject({ received: 20, forwarded: 20, dropped: 0 });
    expect(link.stats.sessions).toBe(1);
  });

  it('drops the same packets for the same seed, and about the configured share', async () => {
    const seed = 2024;
    const first = await sendNumbered({ seed, loss: 0.3 }, 300);
    const second = await sendNumbered({ seed, loss: 0.3 }, 300);
    expect(second.numbers, `seed ${seed}`).toEqual(first.numbers);
    // 300 at p = 0.3: sigma ~ 7.9; 5 sigma around 90 dropped
    const dropped = first.link.stats.toTarget.dropped;
    expect(Math.abs(dropped - 90), `seed ${seed}: dropped ${dropped}`).toBeLessThan(40);
    expect(first.numbers.length).toBe(300 - dropped);
    const other = await sendNumbered({ seed: seed + 1, loss: 0.3 }, 300);
    expect(other.numbers).not.toEqual(first.numbers);
  });

  it('duplicates packets on real sockets', async () => {
    const { link, numbers } = await sendNumbered({ seed: 5, duplicate: 1 }, 50);
    expect(link.stats.toTarget.duplicated).toBe(50);
    const counts = new Map<number, number>();
    for (const n of numbers) counts.set(n, (counts.get(n) ?? 0) + 1);
    for (let i = 0; i < 50; i++) expect(counts.get(i), `packet ${i}`).toBe(2);
  });

  it('reorders packets with jitter, and delivers them all', async () => {
    const seed = 77;
    const { link, numbers } = await sendNumbered({ seed, jitterMs: 30 }, 60);
    expect(link.stats.toTarget.delayed).toBe(60);
    expect([...numbers].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    let inversions = 0;
    for (let i = 1; i < numbers.length; i++)
      if ((numbers[i] ?? 0) < (numbers[i - 1] ?? 0)) inversions++;
    expect(inversions, `seed ${seed}: arrival order ${numbers.join(',')}`).toBeGreaterThan(0);
  });

  it('impairs each direction on its own', async () => {
    const target = await openRecordingUdpSocket(echo);
    const link = await startLink({ seed: 3, toClient: { loss: 1 } }, target.port);
    const client = await openRecordingUdpSocket();
    for (let i = 0; i < 10; i++) await sendUdp(client.socket, `x${i}`, link.address.port);
    await pollUntil(() => link.stats.toClient.received === 10, 'ten replies to reach the link');
    expect(target.received).toHaveLength(10);
    expect(link.stats.toClient.dropped).toBe(10);
    link.setImpairment('toClient', { loss: 0 });
    await sendUdp(client.socket, 'after', link.address.port);
    await pollUntil(() => client.received.length === 1, 'the reply after lifting the loss');
    expect(() => link.setImpairment('both', { loss: 2 })).toThrow(RangeError);
  });

  it('follows a server that answers from a new port (a TFTP TID), both ways', async () => {
    // The "server" answers a request from a fresh socket, then expects the client to talk to it there.
    const transfer = await openRecordingUdpSocket((data, from, socket) => {
      socket.send(Buffer.from(`ack ${data.toString()}`), from.port, from.address);
    });
    const listener = await openRecordingUdpSocket((_data, from) => {
      transfer.socket.send('hello from the transfer port', from.port, from.address);
    });
    const link = await startLink({ seed: 9 }, listener.port);
    const client = await openRecordingUdpSocket((data, from, socket) => {
      if (data.toString().startsWith('hello')) socket.send('data 1', from.port, from.address);
    });
    await sendUdp(client.socket, 'RRQ', link.address.port);
    await pollUntil(
      () => client.received.length === 2,
      'the reply, then the ack from the transfer port',
    );
    const [hello, ack] = client.received;
    expect(hello?.data.toString()).toBe('hello from the transfer port');
    expect(hello?.from.port).not.toBe(link.address.port);
    expect(ack?.data.toString()).toBe('ack data 1');
    expect(ack?.from.port).toBe(hello?.from.port);
    // the server saw one client port for both the request and the transfer
    expect(transfer.received[0]?.from.port).toBe(listener.received[0]?.from.port);
    expect(link.stats.sideSockets).toBe(1);
  });

  it('refuses clients past maxSessions and counts them', async () => {
    const target = await openRecordingUdpSocket();
    const link = await startLink({ seed: 1, maxSessions: 1 }, target.port);
    const a = await openRecordingUdpSocket();
    const b = await openRecordingUdpSocket();
    await sendUdp(a.socket, 'a', link.address.port);
    await sendUdp(b.socket, 'b', link.address.port);
    await pollUntil(() => link.stats.refused === 1, 'the second client to be refused');
    await pollUntil(() => target.received.length === 1, 'the first client to get through');
    expect(target.received[0]?.data.toString()).toBe('a');
  });

  it('forgets a client that stays silent for sessionIdleTimeoutMs', async () => {
    const target = await openRecordingUdpSocket(echo);
    const link = await startLink({ seed: 1, sessionIdleTimeoutMs: 40 }, target.port);
    const client = await openRecordingUdpSocket();
    await sendUdp(client.socket, 'hi', link.address.port);
    await pollUntil(() => client.received.length === 1, 'the echo');
    expect(link.stats.sessions).toBe(1);
    await pollUntil(() => link.stats.sessions === 0, 'the idle session to be swept');
    await sendUdp(client.socket, 'again', link.address.port);
    await pollUntil(() => client.received.length === 2, 'an echo through a fresh session');
    expect(new Set(target.received.map((r) => r.from.port)).size).toBe(2);
  });

  it('cancels delayed packets on close', async () => {
    const target = await openRecordingUdpSocket();
    const link = await listenImpairedUdpLink({
      target: { host: '127.0.0.1', port: target.port },
      delayMs: 30_000,
      seed: 1,
    });
    const client = await openRecordingUdpSocket();
    await sendUdp(client.socket, 'late', link.address.port);
    await pollUntil(() => link.stats.toTarget.received === 1, 'the link to hold the packet');
    await withTimeout(link.close(), 'close with a pending delayed packet', 2_000);
    await link.close();
    expect(link.stats.toTarget.forwarded).toBe(0);
  });

  it.each([
    [{ target: { host: 'localhost', port: 1 } }, TypeError],
    [{ target: { host: '::1', port: 1 } }, TypeError],
    [{ target: { host: '127.0.0.1', port: 0 } }, RangeError],
    [{ target: { host: '127.0.0.1', port: 1 }, loss: 1.5 }, RangeError],
    [{ target: { host: '127.0.0.1', port: 1 }, toClient: { jitterMs: -1 } }, RangeError],
    [{ target: { host: '127.0.0.1', port: 1 }, maxSessions: 0 }, RangeError],
  ])('refuses bad options %o', async (options, type) => {
    await expect(listenImpairedUdpLink(options as ImpairedUdpLinkOptions)).rejects.toThrow(type);
  });

  it('rejects with TCPUDP_ERR_CONNECTION when its port is taken', async () => {
    const taken = dgram.createSocket('udp4');
    taken.bind(0, '127.0.0.1');
    await once(taken, 'listening');
    onTestFinished(() => new Promise<void>((resolve) => taken.close(() => resolve())));
    await expect(
      listenImpairedUdpLink({ target: { host: '127.0.0.1', port: 9 }, port: taken.address().port }),
    ).rejects.toMatchObject({ code: 'TCPUDP_ERR_CONNECTION' });
  });
});
