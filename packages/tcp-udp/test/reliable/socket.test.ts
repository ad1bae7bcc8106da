import { pollUntil, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { randomSeed } from '../../src/impaired/prng.ts';
import { listenImpairedUdpLink } from '../../src/impaired/udp-link.ts';
import { listenReliableUdp } from '../../src/reliable/server.ts';
import { connectReliableUdp } from '../../src/reliable/socket.ts';
import {
  connectTo,
  LOOPBACK_LIMITS,
  readAll,
  seededBytes,
  sha256,
  startReliableServer,
  writeAll,
} from '../helpers/reliable-peers.ts';

describe('reliable UDP over loopback', () => {
  it('carries bytes both ways and closes cleanly', async () => {
    const { server, received } = await startReliableServer({}, (data) =>
      Buffer.from(data).reverse(),
    );
    const client = await connectTo(server.address.port);
    const data = seededBytes(1, 100_000);
    await writeAll(client, data);
    const [, back] = await withTimeout(Promise.all([client.end(), readAll(client)]), 'the echo');
    expect(sha256(back)).toBe(sha256(Buffer.from(data).reverse()));
    expect(sha256(await (received[0] as Promise<Buffer>))).toBe(sha256(data));
    expect(await withTimeout(client.closed, 'the client to close')).toBe('done');
    expect(client.stats.srttMs).toBeGreaterThanOrEqual(0);
  });

  it('serves many connections on one socket at once', async () => {
    const { server, received } = await startReliableServer();
    const payloads = [1, 2, 3, 4, 5].map((seed) => seededBytes(seed, 40_000));
    await withTimeout(
      Promise.all(
        payloads.map(async (data) => {
          const client = await connectTo(server.address.port);
          await writeAll(client, data);
          await client.end();
          await readAll(client);
        }),
      ),
      'five concurrent transfers',
    );
    const got = await Promise.all(received);
    expect(got.map(sha256).sort()).toEqual(payloads.map(sha256).sort());
    expect(server.stats.accepted).toBe(5);
  });

  it('holds a writer back while the reader does not read (backpressure, flow control)', async () => {
    let serverSide: import('../../src/reliable/socket.ts').ReliableUdpConnection | undefined;
    const server = await listenReliableUdp(
      { ...LOOPBACK_LIMITS, maxReceiveBufferBytes: 24_000, readHighWaterBytes: 12_000 },
      (connection) => {
        serverSide = connection;
      },
    );
    const client = await connectTo(server.address.port, { maxSendBufferBytes: 30_000 });
    let written = false;
    const writing = writeAll(client, seededBytes(7, 200_000)).then(() => {
      written = true;
    });
    await pollUntil(() => client.stats.peerWindow === 0, 'the reader to advertise a zero window');
    expect(written).toBe(false);
    expect(client.stats.sendBufferedBytes).toBeLessThanOrEqual(30_000);
    const reading = readAll(serverSide as NonNullable<typeof serverSide>);
    await withTimeout(writing, 'the writer to be released once the reader reads');
    await client.end();
    expect((await withTimeout(reading, 'the whole stream')).length).toBe(200_000);
    await server.close();
  });

  it('fails to connect with TCPUDP_ERR_RETRIES_EXHAUSTED when nobody answers', async () => {
    const { server } = await startReliableServer();
    const port = server.address.port;
    await server.close();
    await expect(
      connectReliableUdp({
        ...LOOPBACK_LIMITS,
        rto: { minRtoMs: 20, initialRtoMs: 50 },
        host: '127.0.0.1',
        port,
        maxHandshakeRetries: 2,
      }),
    ).rejects.toMatchObject({ code: 'TCPUDP_ERR_RETRIES_EXHAUSTED' });
  });

  it('tells the reader with TCPUDP_ERR_CONNECTION when the peer resets', async () => {
    const server = await listenReliableUdp(LOOPBACK_LIMITS, (connection) => connection.close());
    const client = await connectTo(server.address.port);
    await expect(withTimeout(readAll(client), 'the reset')).rejects.toMatchObject({
      code: 'TCPUDP_ERR_CONNECTION',
    });
    expect(await client.closed).toBe('reset');
    await expect(client.write(Buffer.from('x'))).rejects.toMatchObject({
      code: 'TCPUDP_ERR_CLOSED',
    });
    await server.close();
  });

  it('declares a peer dead with TCPUDP_ERR_RETRIES_EXHAUSTED when the path goes black', async () => {
    const { server } = await startReliableServer();
    const link = await listenImpairedUdpLink({ target: server.address, seed: 3 });
    onTestFinished(() => link.close());
    const client = await connectTo(link.address.port, { maxRetransmits: 3 });
    link.setImpairment('both', { loss: 1 });
    const reading = readAll(client);
    reading.catch(() => {});
    await client.write(Buffer.from('into the void'));
    await expect(withTimeout(reading, 'the dead peer to be noticed')).rejects.toMatchObject({
      code: 'TCPUDP_ERR_RETRIES_EXHAUSTED',
    });
    expect(await client.closed).toBe('timeout');
    expect(client.stats.timeouts).toBe(4);
  });

  it.each([
    [{ host: 'localhost', port: 1 }, TypeError],
    [{ host: '127.0.0.1', port: 0 }, RangeError],
  ])('refuses bad connect options %o', async (options, type) => {
    await expect(connectReliableUdp(options)).rejects.toThrow(type);
  });
});

describe('reliable UDP through an impaired link', () => {
  it('delivers intact with reno congestion control, whose window shrinks on loss', async () => {
    const seed = Number(process.env.SEED ?? randomSeed());
    const up = seededBytes(seed, 200_000);
    const { server, received } = await startReliableServer({ congestionControl: 'reno' });
    const link = await listenImpairedUdpLink({ target: server.address, seed, loss: 0.1 });
    onTestFinished(() => link.close());
    const client = await connectTo(link.address.port, { congestionControl: 'reno' });
    await writeAll(client, up);
    await withTimeout(client.end(), `the upload to be acknowledged (seed ${seed})`, 15_000);
    expect(sha256(await (received[0] as Promise<Buffer>)), `seed ${seed}`).toBe(sha256(up));
    expect(client.stats.congestionWindow, `seed ${seed}`).toBeLessThan(64);
    expect(client.stats.fastRetransmits + client.stats.timeouts).toBeGreaterThan(0);
  });

  it('delivers 1 MiB each way intact through 10% loss, 10% duplication and jitter', async () => {
    const seed = Number(process.env.SEED ?? randomSeed());
    const up = seededBytes(seed, 1 << 20);
    const down = seededBytes(seed + 1, 1 << 20);
    const { server, received } = await startReliableServer({}, () => down);
    const link = await listenImpairedUdpLink({
      target: server.address,
      seed,
      loss: 0.1,
      duplicate: 0.1,
      delayMs: 1,
      jitterMs: 4,
    });
    try {
      const client = await connectTo(link.address.port);
      const back = readAll(client);
      back.catch(() => {}); // awaited below
      const transfer = (async () => {
        await writeAll(client, up);
        await client.end();
        return back;
      })();
      const got = await withTimeout(
        transfer,
        `1 MiB each way (seed ${seed}; stats ${JSON.stringify(client.stats)})`,
        20_000,
      );
      expect(sha256(got), `seed ${seed}`).toBe(sha256(down));
      expect(sha256(await (received[0] as Promise<Buffer>)), `seed ${seed}`).toBe(sha256(up));
      expect(link.stats.toTarget.dropped).toBeGreaterThan(0);
      expect(link.stats.toClient.duplicated).toBeGreaterThan(0);
      expect(client.stats.retransmissions).toBeGreaterThan(0);
    } finally {
      await link.close();
    }
  }, 30_000);
});
