import dgram from 'node:dgram';
import { once } from 'node:events';
import { withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { ReliableConnection } from '../../src/reliable/connection.ts';
import { HelloCookies } from '../../src/reliable/cookie.ts';
import {
  decodeReliablePacket,
  encodeReliablePacket,
  RELIABLE_COOKIE_BYTES,
  type ReliablePacket,
} from '../../src/reliable/packet.ts';
import {
  connectTo,
  readAll,
  seededBytes,
  sha256,
  startReliableServer,
  writeAll,
} from '../helpers/reliable-peers.ts';

const empty = new Uint8Array(0);

describe('HelloCookies (injected clock)', () => {
  const jar = (clock: { t: number }) => new HelloCookies({ rotationMs: 1000, now: () => clock.t });

  it('accepts its own cookie for that hello only: not another address, port, id or ISN', () => {
    const clock = { t: 0 };
    const cookies = jar(clock);
    const cookie = cookies.issue('127.0.0.1', 4000, 7, 1000);
    expect(cookie.length).toBe(RELIABLE_COOKIE_BYTES);
    expect(cookies.verify('127.0.0.1', 4000, 7, 1000, cookie)).toBe(true);
    expect(cookies.verify('127.0.0.2', 4000, 7, 1000, cookie)).toBe(false);
    expect(cookies.verify('127.0.0.1', 4001, 7, 1000, cookie)).toBe(false);
    expect(cookies.verify('127.0.0.1', 4000, 8, 1000, cookie)).toBe(false);
    expect(cookies.verify('127.0.0.1', 4000, 7, 1001, cookie)).toBe(false);
    expect(cookies.verify('127.0.0.1', 4000, 7, 1000, cookie.subarray(1))).toBe(false);
    // Another server (another secret) does not take it either.
    expect(jar(clock).verify('127.0.0.1', 4000, 7, 1000, cookie)).toBe(false);
  });

  it('still accepts a cookie right after a rotation (the previous secret), not after two', () => {
    const clock = { t: 999 };
    const cookies = jar(clock);
    const cookie = cookies.issue('::1', 5000, 1, 2);
    clock.t = 1000; // the secret rotates: the cookie was signed by the previous one
    expect(cookies.verify('::1', 5000, 1, 2, cookie)).toBe(true);
    const fresh = cookies.issue('::1', 5000, 1, 2);
    expect(fresh.equals(cookie)).toBe(false);
    clock.t = 2000; // two rotations: expired
    expect(cookies.verify('::1', 5000, 1, 2, cookie)).toBe(false);
    expect(cookies.verify('::1', 5000, 1, 2, fresh)).toBe(true);
  });

  it('forgets the previous secret after a quiet spell of more than one rotation', () => {
    const clock = { t: 0 };
    const cookies = jar(clock);
    const cookie = cookies.issue('127.0.0.1', 4000, 7, 1000);
    clock.t = 2500;
    expect(cookies.verify('127.0.0.1', 4000, 7, 1000, cookie)).toBe(false);
  });
});

describe('a client connection and a COOKIE', () => {
  const cookie = Uint8Array.from({ length: RELIABLE_COOKIE_BYTES }, (_, i) => i + 1);
  const cookiePacket = (seq: number): ReliablePacket => ({
    type: 'COOKIE',
    flags: 0,
    connectionId: 1,
    seq,
    ack: 0,
    window: 0,
    sack: [],
    payload: cookie,
  });

  it('sends its SYN again at once with the cookie, and every later SYN carries it', () => {
    const client = new ReliableConnection(
      { role: 'client', connectionId: 1, isn: 7, rto: { minRtoMs: 20, initialRtoMs: 100 } },
      0,
    );
    expect(client.flush(0).map((p) => Buffer.from(p.payload).length)).toEqual([0]);
    client.onPacket(cookiePacket(7), 1);
    const [again] = client.flush(1);
    expect(again?.type).toBe('SYN');
    expect(Buffer.from(again?.payload ?? empty)).toEqual(Buffer.from(cookie));
    client.onTimer(100); // the SYN's deadline did not move: the retry carries the cookie too
    const [retry] = client.flush(100);
    expect(retry?.type).toBe('SYN');
    expect(Buffer.from(retry?.payload ?? empty)).toEqual(Buffer.from(cookie));
  });

  it('ignores a COOKIE that does not echo its ISN', () => {
    const client = new ReliableConnection({ role: 'client', connectionId: 1, isn: 7 }, 0);
    client.flush(0);
    client.onPacket(cookiePacket(8), 1);
    expect(client.flush(1)).toEqual([]);
    expect(client.stats.ignoredPackets).toBe(1);
  });
});

/** A raw UDP socket on 127.0.0.1 that speaks the wire format, and what came back to it. */
async function rawPeer(serverPort: number) {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
  const inbox: ReliablePacket[] = [];
  let wake: (() => void) | undefined;
  socket.on('message', (data) => {
    inbox.push(decodeReliablePacket(data));
    wake?.();
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  onTestFinished(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  const hello = (connectionId: number, isn: number, payload: Uint8Array = empty): void => {
    const syn: ReliablePacket = {
      type: 'SYN',
      flags: 0,
      connectionId,
      seq: isn,
      ack: 0,
      window: 64,
      sack: [],
      payload,
    };
    socket.send(encodeReliablePacket(syn), serverPort, '127.0.0.1');
  };
  /** Waits (bounded) until `count` packets are in the inbox. */
  const received = (count: number, what: string): Promise<void> =>
    withTimeout(
      (async () => {
        for (let i = 0; i < 1_000_000 && inbox.length < count; i++) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
      })(),
      what,
      15_000,
    );
  return { inbox, hello, received };
}

/** Sends `count` hellos, each with another connection id and ISN, in bounded batches. */
async function flood(peer: Awaited<ReturnType<typeof rawPeer>>, count: number, firstId: number) {
  const batch = 100; // small enough that no kernel buffer drops an answer
  peer.inbox.length = 0;
  for (let sent = 0; sent < count; sent += batch) {
    for (let i = 0; i < batch; i++) peer.hello(firstId + sent + i, (firstId + sent + i) * 7919);
    await peer.received(sent + batch, `the answers to hellos ${sent}..${sent + batch}`);
  }
  return peer.inbox.splice(0);
}

describe('listenReliableUdp({ requireHelloCookie: true })', () => {
  it('answers a flood of hellos with cookies, keeps no state, and still serves a real client', async () => {
    const reply = seededBytes(7, 200_000);
    const { server, received } = await startReliableServer(
      { requireHelloCookie: true },
      () => reply,
    );
    const port = server.address.port;
    const attacker = await rawPeer(port);

    const answers = await flood(attacker, 5000, 1);
    expect(answers.every((p) => p.type === 'COOKIE')).toBe(true);
    expect(answers.every((p) => p.payload.length === RELIABLE_COOKIE_BYTES)).toBe(true);
    expect(server.stats).toMatchObject({
      cookiesSent: 5000,
      cookiesRefused: 0,
      connections: 0,
      halfOpen: 0,
      timeWait: 0,
      refused: 0,
    });

    // A real client connects and transfers while the flood goes on.
    const upload = seededBytes(8, 100_000);
    const transfer = (async () => {
      const client = await connectTo(port);
      const back = readAll(client);
      back.catch(() => {});
      await writeAll(client, upload);
      await client.end();
      return withTimeout(back, 'the transfer during the flood', 15_000);
    })();
    await flood(attacker, 1000, 10_000);
    const got = await transfer;
    expect(sha256(got)).toBe(sha256(reply));
    expect(sha256(await withTimeout(received[0] as Promise<Buffer>, 'the upload'))).toBe(
      sha256(upload),
    );
    expect(server.stats.accepted).toBe(1);
    expect(server.stats.cookiesSent).toBeGreaterThanOrEqual(6001); // the client's hello too
    expect(server.stats.cookiesRefused).toBe(0);
    expect(server.stats.halfOpen).toBe(0);
  });

  it('opens a connection only for a hello that echoes its own cookie', async () => {
    const { server } = await startReliableServer({ requireHelloCookie: true });
    const peer = await rawPeer(server.address.port);
    peer.hello(42, 1000);
    await peer.received(1, 'a COOKIE');
    const cookie = peer.inbox.shift() as ReliablePacket;
    expect(cookie).toMatchObject({ type: 'COOKIE', connectionId: 42, seq: 1000 });
    peer.hello(42, 1000, cookie.payload);
    await peer.received(1, 'a SYN_ACK');
    expect(peer.inbox.shift()).toMatchObject({ type: 'SYN_ACK', connectionId: 42, ack: 1001 });
    expect(server.stats).toMatchObject({ cookiesSent: 1, connections: 1, halfOpen: 1 });
  });

  it('refuses and counts a forged cookie, one for another hello, and one for another port', async () => {
    const { server } = await startReliableServer({ requireHelloCookie: true });
    const port = server.address.port;
    const peer = await rawPeer(port);
    const other = await rawPeer(port);
    peer.hello(42, 1000);
    await peer.received(1, 'a COOKIE');
    const cookie = (peer.inbox.shift() as ReliablePacket).payload;

    peer.hello(42, 1000, new Uint8Array(RELIABLE_COOKIE_BYTES).fill(0xa5)); // forged
    peer.hello(43, 1000, cookie); // another connection id
    peer.hello(42, 1001, cookie); // another ISN
    other.hello(42, 1000, cookie); // another port
    await peer.received(3, 'fresh cookies for the refused hellos');
    await other.received(1, 'a fresh cookie for the other port');
    expect([...peer.inbox, ...other.inbox].map((p) => p.type)).toEqual([
      'COOKIE',
      'COOKIE',
      'COOKIE',
      'COOKIE',
    ]);
    expect(server.stats).toMatchObject({
      cookiesRefused: 4,
      cookiesSent: 5,
      connections: 0,
      halfOpen: 0,
    });
  });

  it('takes a cookie right after a rotation and refuses it (counted) once expired', async () => {
    // Only Date is faked: the server reads its cookie clock from Date.now, sockets stay real.
    vi.useFakeTimers({ toFake: ['Date'], now: 1_000_000 });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const { server } = await startReliableServer({
      requireHelloCookie: true,
      helloCookieRotationMs: 10_000,
    });
    const peer = await rawPeer(server.address.port);
    const cookieFor = async (id: number): Promise<Uint8Array> => {
      peer.hello(id, 1000);
      await peer.received(1, 'a COOKIE');
      return (peer.inbox.shift() as ReliablePacket).payload;
    };
    const early = await cookieFor(1);
    const late = await cookieFor(2);
    vi.setSystemTime(1_010_000); // the next bucket: both were signed by the previous secret
    peer.hello(1, 1000, early);
    await peer.received(1, 'a SYN_ACK after the rotation');
    expect(peer.inbox.shift()).toMatchObject({ type: 'SYN_ACK', connectionId: 1 });
    vi.setSystemTime(1_020_000); // two rotations: expired
    peer.hello(2, 1000, late);
    await peer.received(1, 'a fresh COOKIE for the expired one');
    expect(peer.inbox.shift()).toMatchObject({ type: 'COOKIE', connectionId: 2 });
    expect(server.stats).toMatchObject({ cookiesRefused: 1, connections: 1, accepted: 0 });
  });

  it('is off by default: a hello gets a SYN_ACK, and one that carries a cookie is taken too', async () => {
    const { server } = await startReliableServer();
    const peer = await rawPeer(server.address.port);
    peer.hello(1, 10);
    peer.hello(2, 20, new Uint8Array(RELIABLE_COOKIE_BYTES));
    await peer.received(2, 'two SYN_ACKs');
    expect(peer.inbox.map((p) => p.type)).toEqual(['SYN_ACK', 'SYN_ACK']);
    expect(server.stats).toMatchObject({ cookiesSent: 0, connections: 2 });
  });

  it('rejects a bad option', async () => {
    await expect(startReliableServer({ helloCookieRotationMs: 10 })).rejects.toThrow(RangeError);
    await expect(
      startReliableServer({ requireHelloCookie: 'yes' as unknown as boolean }),
    ).rejects.toThrow(TypeError);
  });
});
