import {
  connectFramed,
  decodeLineText,
  encodeLineText,
  FramedSocket,
  lengthPrefixCodec,
  lineCodec,
} from '@socketlab/tcp-udp';
import { listenTestServer, nextEvent, pollUntil, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  type ConnectionTransport,
  createConnectionManager,
  FRAMED_TRANSPORT_DEFAULTS,
  framedSocketTransport,
  listenManagedTcp,
} from '../../src/index.ts';
import { MemoryTransport } from '../helpers/memory-transport.ts';

/** A server-side FramedSocket transport and a raw client talking to it. */
async function framedPair(options: Parameters<typeof framedSocketTransport>[1] = {}) {
  let serverSide: ConnectionTransport | undefined;
  const server = await listenTestServer(
    (socket) => {
      serverSide = framedSocketTransport(new FramedSocket(socket, { codec: lineCodec() }), options);
    },
    { allowHalfOpen: true },
  );
  const client = await connectFramed(
    { host: '127.0.0.1', port: server.port },
    { codec: lineCodec() },
  );
  onTestFinished(() => client.destroy());
  const transport = await pollUntil(() => serverSide, 'the server side');
  return { transport, client };
}

describe('framedSocketTransport', () => {
  it('turns frames into messages and sends each message as one frame', async () => {
    const { transport, client } = await framedPair();
    const messages: string[] = [];
    transport.on('message', (data) => messages.push(decodeLineText(data)));
    await client.send(encodeLineText('one'));
    await client.send(encodeLineText('two'));
    await pollUntil(() => messages.length === 2, 'two messages');
    expect(messages).toEqual(['one', 'two']);
    expect(transport.send(encodeLineText('back'))).toBe(true);
    expect(decodeLineText((await client.read()) as Buffer)).toBe('back');
    expect(transport.peerName).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(transport.remoteAddress).toBe('127.0.0.1');
  });

  it('sends a ping frame, emits pong on the answer, and answers pings by itself', async () => {
    const { transport, client } = await framedPair();
    transport.ping?.();
    const ping = (await client.read()) as Buffer;
    expect(ping.toString()).toBe(FRAMED_TRANSPORT_DEFAULTS.pingMessage);
    const pong = nextEvent(transport as never, 'pong');
    await client.send(Buffer.from(FRAMED_TRANSPORT_DEFAULTS.pongMessage));
    await pong;
    // The client's ping is answered, and never reaches 'message'.
    const messages: Buffer[] = [];
    transport.on('message', (data) => messages.push(data));
    await client.send(Buffer.from(FRAMED_TRANSPORT_DEFAULTS.pingMessage));
    expect(((await client.read()) as Buffer).toString()).toBe(
      FRAMED_TRANSPORT_DEFAULTS.pongMessage,
    );
    expect(messages).toEqual([]);
  });

  it('ends with the notice as the last frame, then the end of the stream', async () => {
    const { transport, client } = await framedPair();
    transport.send(encodeLineText('queued first'));
    transport.close('going away');
    expect(transport.closed).toBe(true);
    expect(transport.send(encodeLineText('too late'))).toBe(false);
    const frames: string[] = [];
    for await (const frame of client) frames.push(decodeLineText(frame));
    expect(frames).toEqual(['queued first', 'going away']);
    await client.end();
    expect(
      await withTimeout(new Promise((r) => transport.once('close', r)), 'close'),
    ).toBeUndefined();
  });

  it('reports a bad frame from the peer as the close error', async () => {
    const { transport, client } = await framedPair();
    const closed = new Promise<Error | undefined>((resolve) => transport.once('close', resolve));
    client.socket.write(Buffer.from('unterminated'));
    client.socket.end();
    const error = (await withTimeout(closed, 'close')) as Error & { code?: string };
    expect(error.code).toBe('TCPUDP_ERR_TRUNCATED');
  });

  it('uses the heartbeat frames it is given and refuses ones the codec cannot carry', async () => {
    const { transport, client } = await framedPair({ pingMessage: 'PING', pongMessage: 'PONG' });
    transport.ping?.();
    expect(((await client.read()) as Buffer).toString()).toBe('PING');
    const socket = new FramedSocket(client.socket, { codec: lineCodec() });
    expect(() => framedSocketTransport(socket, { pingMessage: 'a\nb' })).toThrow(/newline|\\n/);
    expect(() => framedSocketTransport(socket, { pingMessage: 'x', pongMessage: 'x' })).toThrow(
      new TypeError('pingMessage and pongMessage must differ'),
    );
    expect(() =>
      framedSocketTransport(new FramedSocket(client.socket, { codec: lengthPrefixCodec() }), {
        pongMessage: 5 as never,
      }),
    ).toThrow(new TypeError('pongMessage must be a string or a Uint8Array'));
  });
});

describe('accept', () => {
  it('does not admit a transport that is already closed', () => {
    const manager = createConnectionManager();
    const gone = new MemoryTransport();
    gone.finish(undefined);
    expect(manager.accept(gone)).toBeUndefined();
    expect(manager.size).toBe(0);
  });
});

describe('over IPv6', () => {
  it('names the peer [::1]:port and counts it under ::1', async () => {
    const manager = createConnectionManager({ maxConnectionsPerAddress: 1 });
    const listener = await listenManagedTcp({ manager, host: '::1', codec: lineCodec() });
    onTestFinished(async () => {
      await manager.shutdown({ closeTimeoutMs: 200 });
    });
    const target = { host: '::1', port: listener.address.port };
    const first = await connectFramed(target, { codec: lineCodec() });
    onTestFinished(() => first.destroy());
    await pollUntil(() => manager.size === 1, 'the first admitted');
    const [conn] = [...manager.connections];
    expect(conn?.remoteAddress).toBe('::1');
    expect(conn?.peerName).toMatch(/^\[::1\]:\d+$/);
    const second = await connectFramed(target, { codec: lineCodec() });
    onTestFinished(() => second.destroy());
    expect(decodeLineText((await second.read()) as Buffer)).toBe(
      'MULTIPLEXING_ERR_LIMIT_EXCEEDED refused: already holding maxConnectionsPerAddress (1) connections from ::1; try again later',
    );
    expect(await second.read()).toBeUndefined();
  });
});
