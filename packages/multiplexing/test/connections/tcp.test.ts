import { once } from 'node:events';
import {
  connectFramed,
  decodeLineText,
  encodeLineText,
  lineCodec,
  listenImpairedTcpProxy,
} from '@socketlab/tcp-udp';
import { connectTcp, nextEvent, pollUntil, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  type ConnectionCloseReason,
  type ConnectionManagerOptions,
  type ConnectionTransport,
  createConnectionManager,
  framedSocketTransport,
  listenManagedTcp,
  type ManagedConnection,
  type MultiplexingError,
} from '../../src/index.ts';
import { manyClients, recordingClient, stalledClient } from '../helpers/clients.ts';

/** A line echo server on the manager; every close is recorded. */
async function echoServer(options: ConnectionManagerOptions<{ lines: number }> = {}) {
  const manager = createConnectionManager<{ lines: number }>({
    createMetadata: () => ({ lines: 0 }),
    ...options,
  });
  const closes: {
    conn: ManagedConnection<{ lines: number }>;
    reason: ConnectionCloseReason;
    error: Error | undefined;
  }[] = [];
  manager.on('connection', (conn) => {
    conn.on('message', (line) => {
      conn.metadata.lines++;
      conn.send(line);
    });
  });
  manager.on('close', (conn, reason, error) => closes.push({ conn, reason, error }));
  const listener = await listenManagedTcp({ manager, codec: lineCodec() });
  onTestFinished(async () => {
    await manager.shutdown({ closeTimeoutMs: 200 });
  });
  return { manager, port: listener.address.port, closes };
}

/** A framed line client that answers heartbeats, with its received lines. */
async function lineClient(port: number) {
  const framed = await connectFramed({ host: '127.0.0.1', port }, { codec: lineCodec() });
  onTestFinished(() => framed.destroy());
  const transport = framedSocketTransport(framed);
  const lines: string[] = [];
  transport.on('message', (line) => lines.push(decodeLineText(line)));
  const ask = async (text: string): Promise<string> => {
    const before = lines.length;
    transport.send(encodeLineText(text));
    return pollUntil(() => lines.length > before && lines[before], `the echo of ${text}`);
  };
  return { framed, transport, lines, ask };
}

describe('a client that opens many connections from one address', () => {
  it('gets maxConnectionsPerAddress of 200; the rest are told why and closed; the admitted are served', async () => {
    const { manager, port } = await echoServer({ maxConnectionsPerAddress: 50 });
    const refused: MultiplexingError[] = [];
    manager.on('refused', (error) => refused.push(error));
    const clients = await manyClients(port, 200);
    await pollUntil(
      () => manager.size + refused.length === 200,
      'every connection admitted or refused',
    );
    expect(manager.size).toBe(50);
    expect(manager.connectionsFrom('127.0.0.1')).toBe(50);
    expect(refused).toHaveLength(150);
    expect(new Set(refused.map((e) => e.code))).toEqual(
      new Set(['MULTIPLEXING_ERR_LIMIT_EXCEEDED']),
    );
    // The refusals were sent; wait for each to arrive (the admitted get nothing unasked).
    const turnedAway = await pollUntil(() => {
      const told = clients.filter((c) => c.received.bytes > 0);
      return told.length === 150 && told;
    }, '150 refusal notices to arrive');
    await withTimeout(Promise.all(turnedAway.map((c) => c.ended)), 'the refused to be closed');
    expect(turnedAway).toHaveLength(150);
    for (const client of turnedAway) {
      expect(client.text()).toBe(
        'MULTIPLEXING_ERR_LIMIT_EXCEEDED refused: already holding maxConnectionsPerAddress (50) connections from 127.0.0.1; try again later\n',
      );
    }
    // Every admitted client is still served, each with its own replies.
    const admitted = clients.filter((c) => c.received.bytes === 0);
    expect(admitted).toHaveLength(50);
    for (const [i, c] of admitted.entries()) c.socket.write(`hello ${i}\n`);
    await pollUntil(
      () => admitted.every((c, i) => c.text() === `hello ${i}\n`),
      'every admitted client to get its echo',
    );
  });
});

describe('a client that vanishes without FIN', () => {
  it('is caught by unanswered heartbeats (through a proxy blackholing it) while others are served', async () => {
    const { manager, port, closes } = await echoServer({
      heartbeatIntervalMs: 100,
      maxMissedHeartbeats: 2,
    });
    // Server → client bytes are held for a minute: our pings never arrive, no pong comes back,
    // and no FIN or RST either — the peer looks exactly like a machine that lost power.
    const proxy = await listenImpairedTcpProxy({
      target: { host: '127.0.0.1', port },
      toClient: { delayMs: 60_000 },
    });
    onTestFinished(() => proxy.close());
    const healthy = await lineClient(port);
    const vanished = await connectFramed(proxy.address, { codec: lineCodec() });
    onTestFinished(() => vanished.destroy());
    framedSocketTransport(vanished); // it would answer pings, if any reached it
    await pollUntil(() => manager.size === 2, 'both connections admitted');
    const [closed] = await withTimeout(
      new Promise<[ConnectionCloseReason]>((resolve) =>
        manager.on('close', (_conn, reason) => resolve([reason])),
      ),
      'the vanished peer to be cut',
    );
    expect(closed).toBe('heartbeat-missed');
    expect(closes).toHaveLength(1);
    expect((closes[0]?.error as MultiplexingError | undefined)?.code).toBe(
      'MULTIPLEXING_ERR_HEARTBEAT_MISSED',
    );
    expect(closes[0]?.conn.missedHeartbeats).toBe(2);
    // The healthy client has been answering pings all along and is still served.
    expect(await healthy.ask('still there?')).toBe('still there?');
    expect(manager.size).toBe(1);
    expect([...manager.connections][0]?.missedHeartbeats).toBe(0);
  });
});

describe('graceful shutdown', () => {
  it('with 200 clients connected: each is told and closed; a stuck one is cut at the deadline; the report says which', async () => {
    const { manager, port } = await echoServer({ maxBufferedBytes: 64 * 1024 * 1024 });
    const clients = await manyClients(port, 200);
    await stalledClient(port);
    await pollUntil(() => manager.size === 201, 'every connection admitted');
    // Fill the stuck client's path: past the kernel's buffers, the rest waits in user space.
    const stuckConn = [...manager.connections].at(-1) as ManagedConnection<{ lines: number }>;
    const line = encodeLineText('x'.repeat(64 * 1024 - 1));
    for (let i = 0; i < 256; i++) stuckConn.send(line);
    expect(stuckConn.bufferedBytes).toBeGreaterThan(0);
    clients[0]?.socket.write('last words\n');
    await pollUntil(() => clients[0]?.text() === 'last words\n', 'the echo before shutdown');
    const report = await withTimeout(manager.shutdown({ closeTimeoutMs: 1_000 }), 'the shutdown');
    expect(report.drained).toHaveLength(200);
    expect(report.cut.map((e) => e.id)).toEqual([stuckConn.id]);
    expect(report.cut[0]?.unsentBytes).toBeGreaterThan(0);
    expect(report.drained.find((e) => e.metadata.lines === 1)).toBeDefined();
    await withTimeout(Promise.all(clients.map((c) => c.ended)), 'every client to see the end');
    const notice = 'MULTIPLEXING_ERR_SHUTDOWN the server is shutting down; reconnect later\n';
    expect(clients[0]?.text()).toBe(`last words\n${notice}`);
    for (const client of clients.slice(1)) expect(client.text()).toBe(notice);
    // The listening socket is gone: a newcomer is refused by the kernel.
    await expect(connectTcp(port)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('TcpConnection transport', () => {
  it('hands raw chunks to a manager and writes the refusal as a line before its FIN', async () => {
    const manager = createConnectionManager({ maxConnections: 1 });
    const listener = await listenManagedTcp({ manager });
    onTestFinished(async () => {
      await manager.shutdown({ closeTimeoutMs: 200 });
    });
    const received: string[] = [];
    manager.on('connection', (conn) =>
      conn.on('message', (chunk) => received.push(chunk.toString())),
    );
    const first = await recordingClient(listener.address.port);
    const second = await recordingClient(listener.address.port);
    await withTimeout(second.ended, 'the refusal');
    expect(second.text()).toBe(
      'MULTIPLEXING_ERR_LIMIT_EXCEEDED refused: already holding maxConnections (1) connections; try again later\n',
    );
    first.socket.write('raw bytes');
    await pollUntil(() => received.join('') === 'raw bytes', 'the chunk');
    const [conn] = [...manager.connections];
    const transport = (conn as ManagedConnection).transport as ConnectionTransport;
    expect(transport.ping).toBeUndefined();
    first.socket.end();
    const [reason] = await nextEvent<[ManagedConnection, ConnectionCloseReason]>(
      manager,
      'close',
    ).then(([, r]) => [r]);
    expect(reason).toBe('peer');
    await once(first.socket, 'close');
  });
});

describe('listenManagedTcp options', () => {
  it('checks its options synchronously, before listening', () => {
    const manager = createConnectionManager();
    expect(() => listenManagedTcp({ manager, port: 70_000 })).toThrow(
      new RangeError('port must be an integer from 0 to 65535, got 70000'),
    );
    expect(() => listenManagedTcp({ manager, backlog: 0 })).toThrow(RangeError);
    expect(() => listenManagedTcp({ manager, noDelay: 'yes' as never })).toThrow(
      new TypeError('noDelay must be a boolean'),
    );
    expect(() => listenManagedTcp({ manager: undefined as never })).toThrow(/needs a manager/);
    expect(() =>
      listenManagedTcp({ manager, codec: lineCodec(), pingMessage: 'x', pongMessage: 'x' }),
    ).toThrow(new TypeError('pingMessage and pongMessage must differ'));
  });
});

describe('an application error while admitting', () => {
  it('drops that connection, records the error and keeps serving the others', async () => {
    let calls = 0;
    const manager = createConnectionManager({
      createMetadata: () => {
        calls++;
        if (calls === 2) throw new Error('metadata store unavailable');
        return {};
      },
    });
    manager.on('connection', (conn) => conn.on('message', (data) => conn.send(data)));
    const listener = await listenManagedTcp({ manager });
    onTestFinished(async () => {
      await manager.shutdown({ closeTimeoutMs: 200 });
    });
    const first = await recordingClient(listener.address.port);
    await pollUntil(() => manager.size === 1, 'the first admitted');
    const second = await recordingClient(listener.address.port);
    await withTimeout(second.ended, 'the second to be dropped');
    expect(listener.errors.map((e) => e.message)).toEqual(['metadata store unavailable']);
    const third = await recordingClient(listener.address.port);
    for (const client of [first, third]) client.socket.write('ping');
    await pollUntil(
      () => first.text() === 'ping' && third.text() === 'ping',
      'both others to be served',
    );
  });
});
