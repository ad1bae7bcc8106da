import { runLoad } from '@socketlab/multiplexing';
import { withTimeout } from '@socketlab/testkit';
import type { Server } from 'socket.io';
import { describe, expect, it } from 'vitest';
import { SOCKET_IO_LOAD_DEFAULTS, socketIoLoadConnector } from '../../../src/realtime/index.ts';
import { startIo } from '../rate-limit/harness.ts';

/** An echo that answers each `event`'s ack with what came; notes what kind of value arrived. */
function ackEcho(io: Server, seen: { binary: number; other: number; sockets: Set<string> }): void {
  io.on('connection', (socket) => {
    seen.sockets.add(socket.conn.transport.sid);
    socket.on('echo', (data: unknown, ack?: (reply: unknown) => void) => {
      if (Buffer.isBuffer(data)) seen.binary++;
      else seen.other++;
      ack?.(data);
    });
  });
}

describe('socketIoLoadConnector', () => {
  it('runs a load through Socket.IO clients against an ack echo, every message answered', async () => {
    const seen = { binary: 0, other: 0, sockets: new Set<string>() };
    const { url } = await startIo({}, (io) => ackEcho(io, seen));
    const report = await withTimeout(
      runLoad({
        connect: socketIoLoadConnector(url),
        targetName: `${url} (Socket.IO)`,
        connections: 3,
        messagesPerSecond: 300,
        durationMs: 500,
        messageBytes: 200,
      }),
      'the load run',
      15_000,
    );
    expect(report).toMatchObject({
      target: `${url} (Socket.IO)`,
      framing: 'custom',
      stoppedBy: 'completed',
    });
    expect(report.counts).toEqual({
      scheduled: 150,
      sent: 150,
      received: 150,
      duplicates: 0,
      unsent: 0,
      unanswered: 0,
      unmatched: 0,
      disconnects: 0,
    });
    expect(report.latencyMs.count).toBe(150);
    expect(report.latencyMs.p50).toBeGreaterThan(0);
    expect(report.latencyMs.p99).toBeGreaterThanOrEqual(report.uncorrectedLatencyMs.p99);
    expect(report.throughput.receivedBytesPerSecond).toBeCloseTo(
      report.throughput.receivedPerSecond * 200,
      3,
    );
    // Each message went as a binary attachment, each load connection on its own Engine.IO connection.
    expect(seen).toMatchObject({ binary: 150, other: 0 });
    expect(seen.sockets.size).toBe(3);
  });

  it('emits the event it is given, and counts acks never answered as unanswered', async () => {
    const { url } = await startIo({}, (io) => {
      io.on('connection', (socket) => {
        let n = 0;
        socket.on('load', (data: unknown, ack?: (reply: unknown) => void) => {
          if (++n % 2 === 0) ack?.(data); // every other ack is lost
        });
      });
    });
    const report = await withTimeout(
      runLoad({
        connect: socketIoLoadConnector(url, { event: 'load' }),
        messagesPerSecond: 100,
        durationMs: 200,
        maxInFlight: 20,
        drainTimeoutMs: 200,
      }),
      'the load run',
      15_000,
    );
    expect(report.counts).toMatchObject({ sent: 20, received: 10, unanswered: 10 });
  });

  it('fails the run with MULTIPLEXING_ERR_CONNECTION when the server refuses the connection', async () => {
    const { url } = await startIo({}, (io) => {
      io.use((_socket, next) => next(new Error('no load tests here')));
    });
    const failure = await withTimeout(
      runLoad({
        connect: socketIoLoadConnector(url),
        targetName: url,
        connections: 2,
        messagesPerSecond: 10,
        durationMs: 100,
      }).catch((err: unknown) => err),
      'the refusal',
    );
    expect(failure).toMatchObject({ code: 'MULTIPLEXING_ERR_CONNECTION' });
    expect((failure as Error).message).toMatch(`to ${url}: no load tests here`);
    expect((failure as Error).cause).toBeInstanceOf(Error);
  });

  it('reports the connections lost when the server disconnects them mid-run', async () => {
    let echoed = 0;
    const { url, io } = await startIo({}, (server) => {
      server.on('connection', (socket) => {
        socket.on('echo', (data: unknown, ack?: (reply: unknown) => void) => {
          ack?.(data);
          if (++echoed === 10) server.disconnectSockets(true);
        });
      });
    });
    const report = await withTimeout(
      runLoad({
        connect: socketIoLoadConnector(url),
        connections: 2,
        messagesPerSecond: 100,
        durationMs: 10_000,
      }),
      'the run to notice',
      15_000,
    );
    expect(io.engine.clientsCount).toBe(0);
    expect(report.stoppedBy).toBe('connections-lost');
    expect(report.counts.disconnects).toBe(2);
    expect(report.firstError).toMatch('was lost: io server disconnect');
  });

  it.each([
    [[5], 'url must be a non-empty string'],
    [['http://127.0.0.1:1', null], 'options must be an object'],
    [['http://127.0.0.1:1', { event: '' }], 'event must be a non-empty event name'],
    [['http://127.0.0.1:1', { event: 'disconnect' }], 'not reserved by Socket.IO'],
  ])('throws TypeError for %j', (args, message) => {
    const call = () => (socketIoLoadConnector as (...a: unknown[]) => unknown)(...args);
    expect(call).toThrow(TypeError);
    expect(call).toThrow(message);
  });

  it('has frozen defaults: one WebSocket connection each, no reconnection, event echo', () => {
    expect(SOCKET_IO_LOAD_DEFAULTS).toMatchObject({
      event: 'echo',
      forceNew: true,
      reconnection: false,
      transports: ['websocket'],
    });
    expect(Object.isFrozen(SOCKET_IO_LOAD_DEFAULTS)).toBe(true);
  });
});
