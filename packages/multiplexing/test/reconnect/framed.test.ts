import type net from 'node:net';
import {
  decodeLineText,
  encodeLineText,
  type FramedEchoServer,
  lineCodec,
  listenFramedEchoServer,
} from '@socketlab/tcp-udp';
import { freePort, nextEvent, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  createFramedConnector,
  createReconnectingClient,
  type ReconnectingClient,
} from '../../src/reconnect/index.ts';

async function echoOn(port: number): Promise<FramedEchoServer> {
  const server = await listenFramedEchoServer({ framing: 'line', host: '127.0.0.1', port });
  onTestFinished(() => server.close());
  return server;
}

/** Resolves with the next `count` lines the client receives. */
function nextLines(client: ReconnectingClient, count: number): Promise<string[]> {
  const lines: string[] = [];
  return withTimeout(
    new Promise((resolve) => {
      const onMessage = (frame: Buffer): void => {
        lines.push(decodeLineText(frame));
        if (lines.length === count) {
          client.off('message', onMessage);
          resolve(lines);
        }
      };
      client.on('message', onMessage);
    }),
    `${count} echoed lines`,
    10_000,
  );
}

describe('ReconnectingClient over framed TCP', () => {
  it('rides out a server that goes away and comes back on the same port', async () => {
    let server = await echoOn(0);
    const { port } = server.address as net.AddressInfo;
    const resumes: number[] = [];
    const events: string[] = [];
    const client = createReconnectingClient({
      connect: createFramedConnector({ host: '127.0.0.1', port }, { codec: lineCodec() }),
      baseDelayMs: 20,
      maxDelayMs: 100,
      resume: async (connection, { attempt }) => {
        resumes.push(attempt);
        await connection.send(encodeLineText('hello again'));
      },
    });
    onTestFinished(() => client.close());
    for (const event of ['connected', 'disconnected', 'retrying'] as const) {
      client.on(event, () => events.push(event));
    }

    let echoed = nextLines(client, 2);
    await nextEvent(client.start(), 'connected', 10_000);
    await client.send(encodeLineText('one'));
    expect(await echoed).toEqual(['hello again', 'one']);

    // The server goes away (a graceful close: FIN to the client) ...
    const lost = nextEvent<[{ reason: string }]>(client, 'disconnected', 10_000);
    await server.close();
    expect((await lost)[0].reason).toBe('peer-closed');
    // ... refuses at least one attempt, while the client queues what it is given ...
    await nextEvent(client, 'retrying', 10_000);
    await nextEvent(client, 'retrying', 10_000);
    expect(client.state).not.toBe('connected');
    echoed = nextLines(client, 3);
    const queued = [client.send(encodeLineText('two')), client.send(encodeLineText('three'))];
    expect(client.queuedMessages).toBe(2);
    // ... and comes back on the same port: resume first, then the queue, in order.
    server = await echoOn(port);
    await withTimeout(Promise.all(queued), 'the queued sends to flush', 10_000);
    expect(await echoed).toEqual(['hello again', 'two', 'three']);
    expect(resumes.length).toBe(2);
    expect(client.queuedMessages).toBe(0);
    expect(events.slice(0, 3)).toEqual(['connected', 'disconnected', 'retrying']);
    expect(events.at(-1)).toBe('connected');
  });

  it('gives up on a port nobody listens on, with the refusal as the cause', async () => {
    const port = await freePort();
    const client = createReconnectingClient({
      connect: createFramedConnector({ host: '127.0.0.1', port }),
      baseDelayMs: 5,
      maxDelayMs: 10,
      maxAttempts: 3,
    });
    onTestFinished(() => client.close());
    const [error] = await nextEvent<[Error & { code: string; cause: { code: string } }]>(
      client.start(),
      'gaveUp',
      10_000,
    );
    expect(error.code).toBe('MULTIPLEXING_ERR_GAVE_UP');
    expect(error.cause.code).toBe('TCPUDP_ERR_CONNECTION');
    expect(error.message).toMatch(/could not connect to 127\.0\.0\.1:\d+/);
  });
});
