import dgram from 'node:dgram';
import { once } from 'node:events';
import { pollUntil, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  decodeReliablePacket,
  encodeReliablePacket,
  type ReliablePacket,
  seqAdd,
} from '../../src/reliable/packet.ts';
import { listenReliableUdp } from '../../src/reliable/server.ts';
import type { ReliableUdpConnection } from '../../src/reliable/socket.ts';
import {
  connectTo,
  LOOPBACK_LIMITS,
  readAll,
  seededBytes,
  sha256,
  writeAll,
} from '../helpers/reliable-peers.ts';

/** A hand-driven peer on a raw UDP socket: it speaks the wire format and nothing else. */
async function rawPeer(serverPort: number) {
  const socket = dgram.createSocket('udp4');
  const inbox: ReliablePacket[] = [];
  let wake: (() => void) | undefined;
  socket.on('message', (data) => {
    inbox.push(decodeReliablePacket(data, { maxSackBlocks: 255 }));
    wake?.();
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  onTestFinished(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  const send = (packet: Partial<ReliablePacket> & Pick<ReliablePacket, 'type'>): void => {
    const full: ReliablePacket = {
      flags: 0,
      connectionId: 0xc0ffee,
      seq: 0,
      ack: 0,
      window: 64,
      sack: [],
      payload: new Uint8Array(0),
      ...packet,
    };
    socket.send(encodeReliablePacket(full), serverPort, '127.0.0.1');
  };
  const next = (type: ReliablePacket['type']): Promise<ReliablePacket> =>
    withTimeout(
      (async () => {
        for (let i = 0; i < 10_000; i++) {
          const index = inbox.findIndex((p) => p.type === type);
          if (index >= 0) return inbox.splice(index, 1)[0] as ReliablePacket;
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
        throw new Error(`no ${type} among 10000 packets`);
      })(),
      `a ${type} from the server`,
    );
  /** SYN, SYN-ACK, ACK by hand; returns the sequence numbers to continue with. */
  const open = async (isn = 1000) => {
    send({ type: 'SYN', seq: isn });
    const synAck = await next('SYN_ACK');
    const ours = seqAdd(isn, 1);
    const theirs = seqAdd(synAck.seq, 1);
    send({ type: 'ACK', seq: ours, ack: theirs });
    return { ours, theirs };
  };
  return { socket, inbox, send, next, open };
}

/** A server that sends `bytes` to every connection; records each connection and how reads failed. */
async function startSendingServer(bytes: Uint8Array, maxInvalidPackets: number) {
  const accepted: ReliableUdpConnection[] = [];
  const readFailures: unknown[] = [];
  const server = await listenReliableUdp(
    {
      ...LOOPBACK_LIMITS,
      maxSendBufferBytes: 64_000,
      maxReceiveBufferBytes: 64_000,
      maxInvalidPackets,
    },
    (connection) => {
      accepted.push(connection);
      onTestFinished(() => connection.close());
      (async () => {
        const received = readAll(connection);
        received.catch((error: unknown) => readFailures.push(error));
        await writeAll(connection, bytes);
        await connection.end();
        await received;
      })().catch(() => {});
    },
  );
  onTestFinished(() => server.close());
  return { server, accepted, readFailures };
}

/**
 * A {@link startSendingServer} with `maxInvalidPackets`, and a raw attacker past its handshake:
 * its sequence numbers, and its connection on the server (the victim).
 */
async function attackerConnected(data: Uint8Array, maxInvalidPackets: number) {
  const { server, accepted, readFailures } = await startSendingServer(data, maxInvalidPackets);
  const port = server.address.port;
  const attacker = await rawPeer(port);
  const { ours, theirs } = await attacker.open();
  await pollUntil(() => accepted.length === 1, 'the attacker connection to be accepted');
  const victim = accepted[0] as ReliableUdpConnection;
  return { port, readFailures, attacker, ours, theirs, victim };
}

/** The attacker's connection is reset for a protocol error: its reason, an RST on the wire, a typed read failure. */
async function expectProtocolReset(
  { victim, attacker, readFailures }: Awaited<ReturnType<typeof attackerConnected>>,
  who: string,
): Promise<void> {
  const why = `${who} to be reset: ${JSON.stringify(victim.stats)}`;
  expect(await withTimeout(victim.closed, why)).toBe('protocol-error');
  await attacker.next('RST');
  expect(readFailures).toMatchObject([{ code: 'TCPUDP_ERR_PROTOCOL' }]);
}

/** A well-behaved client that uploads and downloads while the attack runs. */
async function wellBehavedTransfer(port: number, expected: Uint8Array) {
  const client = await connectTo(port);
  const back = readAll(client);
  back.catch(() => {}); // awaited below; this only keeps an early failure from going unhandled
  await writeAll(client, seededBytes(99, 50_000));
  await client.end();
  const got = await withTimeout(back, 'the well-behaved transfer during the attack', 15_000);
  expect(sha256(got)).toBe(sha256(expected));
}

describe('reliable UDP against hostile peers', () => {
  it('counts and ignores an ACK flood, then resets the flooder with PROTOCOL, while serving a good client', async () => {
    const data = seededBytes(1, 120_000);
    // The kernel drops much of a 6000-datagram burst: a limit far below what arrives (~400
    // ACKs for data never sent, measured) makes the reset certain.
    const attack = await attackerConnected(data, 100);
    const { port, attacker, ours, theirs, victim } = attack;
    await attacker.next('DATA');
    const good = wellBehavedTransfer(port, data);
    // 3000 duplicate ACKs, 2000 ACKs for data never sent, 1000 with SACK blocks of nothing sent
    for (let i = 0; i < 6000; i++) {
      const kind = i % 6;
      const ack = kind < 3 ? theirs : kind < 5 ? seqAdd(theirs, 1_000_000 + i) : theirs;
      const sack = kind === 5 ? [{ start: seqAdd(theirs, 5000), end: seqAdd(theirs, 6000) }] : [];
      attacker.send({ type: 'ACK', seq: ours, ack, window: 64, sack });
      if (i % 200 === 199) await new Promise((resolve) => setImmediate(resolve));
    }
    await good;
    // The 100th ACK for data never sent (maxInvalidPackets) resets the flooder, with a typed error.
    await expectProtocolReset(attack, 'the flooding peer');
    const stats = victim.stats;
    // Until then, every one was counted and ignored: 3 duplicate and 1 bogus-SACK ACK per 2 invalid.
    expect(stats.invalidAcks, JSON.stringify(stats)).toBe(100);
    expect(stats.duplicateAcks, JSON.stringify(stats)).toBeGreaterThan(100);
    expect(stats.invalidSacks, JSON.stringify(stats)).toBeGreaterThan(20);
    // duplicate ACKs trigger one fast retransmit per hole, not one per ACK
    expect(stats.fastRetransmits).toBeLessThanOrEqual(1);
    // every retransmission is explained by a timeout (at most a window of 64 each) or that one
    expect(stats.retransmissions).toBeLessThanOrEqual(stats.timeouts * 64 + stats.fastRetransmits);
    expect(stats.sendBufferedBytes).toBeLessThanOrEqual(64_000);
  });

  it('refuses sequence numbers far outside the window, holding nothing, then resets the sender with PROTOCOL, while serving a good client', async () => {
    const data = seededBytes(2, 60_000);
    const attack = await attackerConnected(data, 300);
    const { port, attacker, ours, theirs, victim } = attack;
    const good = wellBehavedTransfer(port, data);
    const payload = new Uint8Array(1000).fill(0x41);
    for (let i = 0; i < 2000; i++) {
      attacker.send({ type: 'DATA', seq: seqAdd(ours, 10_000 + i * 7919), ack: theirs, payload });
      // paced, so the kernel's receive buffer does not drop most of them before they are seen
      if (i % 20 === 19) await new Promise((resolve) => setImmediate(resolve));
    }
    await good;
    // The 300th far-off segment (maxInvalidPackets) resets the sender, with a typed error.
    await expectProtocolReset(attack, 'the far-off sender');
    expect(victim.stats.outsideWindow).toBe(300);
    expect(victim.stats.outOfOrderBytes).toBe(0);
    expect(victim.stats.accepted).toBe(0);
  });

  it('answers a packet for an unknown connection with RST, and counts junk', async () => {
    const { server } = await startSendingServer(new Uint8Array(0), 1000);
    const stranger = await rawPeer(server.address.port);
    stranger.send({ type: 'DATA', seq: 5, ack: 9, payload: Uint8Array.of(1) });
    const rst = await stranger.next('RST');
    expect(rst.connectionId).toBe(0xc0ffee);
    stranger.socket.send(Buffer.from('not a packet at all'), server.address.port, '127.0.0.1');
    await pollUntil(() => server.stats.malformed === 1, 'the junk datagram to be counted');
    expect(server.stats.resetsSent).toBe(1);
  });

  it('refuses connections past maxConnections with RST', async () => {
    const server = await listenReliableUdp({ ...LOOPBACK_LIMITS, maxConnections: 1 }, () => {});
    onTestFinished(() => server.close());
    const first = await rawPeer(server.address.port);
    await first.open();
    const second = await rawPeer(server.address.port);
    second.send({ type: 'SYN', seq: 1 });
    await second.next('RST');
    expect(server.stats.refused).toBe(1);
  });

  it('drops a peer that falls silent after the handshake (idle timeout)', async () => {
    const closed: Promise<string>[] = [];
    const server = await listenReliableUdp(
      { ...LOOPBACK_LIMITS, idleTimeoutMs: 300, keepaliveMs: 100 },
      (connection) => {
        closed.push(connection.closed);
      },
    );
    onTestFinished(() => server.close());
    const silent = await rawPeer(server.address.port);
    await silent.open();
    await pollUntil(() => closed.length === 1, 'the connection to open');
    expect(await withTimeout(closed[0] as Promise<string>, 'the idle timeout')).toBe('idle');
    expect(silent.inbox.some((p) => p.type === 'ACK' && p.flags === 1)).toBe(true); // keep-alives
    expect(server.stats.connections).toBe(0);
  });
});
