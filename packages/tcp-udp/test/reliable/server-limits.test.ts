import { nextEvent, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { listenReliableUdp } from '../../src/reliable/server.ts';
import type { ReliableUdpConnection } from '../../src/reliable/socket.ts';
import { connectTo, LOOPBACK_LIMITS, readAll } from '../helpers/reliable-peers.ts';

/** A client that gives up after two handshake retries. */
const connect = (port: number): Promise<ReliableUdpConnection> =>
  connectTo(port, { maxHandshakeRetries: 2 });

/** A client that sends `text`, ends, and resolves with what the server sent back. */
async function roundTrip(port: number, text: string): Promise<string> {
  const client = await connect(port);
  await client.write(Buffer.from(text));
  await client.end();
  return (await withTimeout(readAll(client), 'the echo', 10_000)).toString();
}

/** Echoes one connection; a connection cut when the test ends is no failure of the handler. */
const echo = async (connection: ReliableUdpConnection): Promise<void> => {
  try {
    const data = await readAll(connection);
    await connection.write(data);
    await connection.end();
  } catch {
    // closed by server.close() at the end of the test
  }
};

describe("a reliable-UDP server's onConnection handler", () => {
  it.each([
    [
      'throws',
      (): void => {
        throw new Error('handler broke');
      },
    ],
    [
      'rejects',
      async (): Promise<void> => {
        throw new Error('handler broke');
      },
    ],
  ])(
    'that %s is an error event, resets that connection, and the server goes on',
    async (_, broken) => {
      let calls = 0;
      const server = await listenReliableUdp(LOOPBACK_LIMITS, (connection) => {
        calls++;
        return calls === 1 ? broken() : echo(connection);
      });
      onTestFinished(() => server.close());
      const failed = nextEvent<[Error]>(server, 'error', 10_000);
      const victim = await connect(server.address.port);
      const [error] = await failed;
      expect(error.message).toBe('handler broke');
      await expect(withTimeout(victim.closed, 'the reset', 10_000)).resolves.toBe('reset');
      expect(await roundTrip(server.address.port, 'still here')).toBe('still here');
    },
  );
});

describe('maxConnectionsPerAddress', () => {
  it('refuses one address past its share, counts it, and serves it again once a slot frees', async () => {
    const server = await listenReliableUdp(
      { ...LOOPBACK_LIMITS, maxConnectionsPerAddress: 2 },
      echo,
    );
    onTestFinished(() => server.close());
    const port = server.address.port;
    const first = await connect(port);
    await connect(port);
    await expect(connect(port)).rejects.toMatchObject({ code: 'TCPUDP_ERR_CONNECTION' });
    expect(server.stats.refused).toBe(1);
    first.close();
    await withTimeout(first.closed, 'the first connection to close', 10_000);
    // The server learns of the close from the RST; retry until it has.
    let echoed: string | undefined;
    for (let i = 0; i < 20 && echoed === undefined; i++) {
      echoed = await roundTrip(port, 'again').catch(() => undefined);
    }
    expect(echoed).toBe('again');
  });

  it('rejects a bad value', async () => {
    await expect(listenReliableUdp({ maxConnectionsPerAddress: 0 }, () => {})).rejects.toThrow(
      RangeError,
    );
  });
});
