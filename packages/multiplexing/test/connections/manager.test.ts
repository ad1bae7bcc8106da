import { ManualClock } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import {
  CONNECTION_MANAGER_DEFAULTS,
  type ConnectionCloseReason,
  createConnectionManager,
  type ManagedConnection,
  MultiplexingError,
} from '../../src/index.ts';
import { MemoryTransport } from '../helpers/memory-transport.ts';

interface Meta {
  nick: string;
  rooms: Set<string>;
}

function managerWith(options: Parameters<typeof createConnectionManager<Meta>>[0] = {}) {
  const clock = new ManualClock();
  const manager = createConnectionManager<Meta>({
    clock,
    createMetadata: () => ({ nick: 'guest', rooms: new Set(['lobby']) }),
    ...options,
  });
  const closes: { id: number; reason: ConnectionCloseReason; error: Error | undefined }[] = [];
  manager.on('close', (conn, reason, error) => closes.push({ id: conn.id, reason, error }));
  return { clock, manager, closes };
}

const codeOf = (error: unknown): string | undefined =>
  error instanceof MultiplexingError ? error.code : undefined;

describe('limits', () => {
  it('refuses the connection past maxConnections with a notice, then a close, never silently', () => {
    const { manager } = managerWith({ maxConnections: 3, maxConnectionsPerAddress: 10 });
    const refused: MultiplexingError[] = [];
    manager.on('refused', (error) => refused.push(error));
    const transports = Array.from({ length: 5 }, (_, i) => new MemoryTransport(`10.0.0.${i}`));
    const admitted = transports.map((t) => manager.accept(t));
    expect(admitted.map((c) => c !== undefined)).toEqual([true, true, true, false, false]);
    expect(manager.size).toBe(3);
    expect(refused.map((e) => e.code)).toEqual([
      'MULTIPLEXING_ERR_LIMIT_EXCEEDED',
      'MULTIPLEXING_ERR_LIMIT_EXCEEDED',
    ]);
    for (const t of transports.slice(3)) {
      expect(t.closeRequested).toBe(true);
      expect(t.notices[0]).toMatch(
        /^MULTIPLEXING_ERR_LIMIT_EXCEEDED refused: already holding maxConnections \(3\) connections; try again later$/,
      );
    }
    // A place frees up: the next newcomer is admitted.
    transports[0]?.finish(undefined);
    expect(manager.accept(new MemoryTransport('10.0.0.9'))).toBeDefined();
  });

  it('counts connections per peer address and refuses past maxConnectionsPerAddress', () => {
    const { manager } = managerWith({ maxConnectionsPerAddress: 2 });
    const a = [1, 2, 3].map((port) => new MemoryTransport('10.0.0.1', `10.0.0.1:${port}`));
    const b = new MemoryTransport('10.0.0.2');
    expect(a.map((t) => manager.accept(t) !== undefined)).toEqual([true, true, false]);
    expect(manager.accept(b)).toBeDefined();
    expect(manager.connectionsFrom('10.0.0.1')).toBe(2);
    expect(a[2]?.notices[0]).toMatch(/maxConnectionsPerAddress \(2\) connections from 10\.0\.0\.1/);
    a[0]?.finish(undefined);
    expect(manager.connectionsFrom('10.0.0.1')).toBe(1);
    expect(manager.accept(new MemoryTransport('10.0.0.1', '10.0.0.1:4'))).toBeDefined();
  });

  it('cuts a refused peer that does not close within closeTimeoutMs', () => {
    const { manager, clock } = managerWith({ maxConnections: 1, closeTimeoutMs: 500 });
    manager.accept(new MemoryTransport('10.0.0.1'));
    const stubborn = new MemoryTransport('10.0.0.2', '10.0.0.2:1', true, false);
    manager.accept(stubborn);
    clock.advance(499);
    expect(stubborn.destroyed).toBe(false);
    clock.advance(1);
    expect(stubborn.destroyed).toBe(true);
    expect(clock.pending).toBe(1); // only the admitted connection's heartbeat is left
  });
});

describe('metadata', () => {
  it('starts from createMetadata, is typed, and can be given per connection', () => {
    const { manager } = managerWith();
    const first = manager.accept(new MemoryTransport()) as ManagedConnection<Meta>;
    first.metadata.nick = 'ada';
    first.metadata.rooms.add('dev');
    const second = manager.accept(new MemoryTransport('10.0.0.2'), {
      nick: 'bob',
      rooms: new Set(),
    }) as ManagedConnection<Meta>;
    expect(
      [...manager.connections].map((c) => [c.id, c.metadata.nick, [...c.metadata.rooms]]),
    ).toEqual([
      [1, 'ada', ['lobby', 'dev']],
      [2, 'bob', []],
    ]);
    expect(second.peerName).toBe('10.0.0.2:5000');
  });
});

describe('idle timeout', () => {
  it('tells and closes a connection that sent nothing for idleTimeoutMs; messages reset it', () => {
    const { manager, clock, closes } = managerWith({
      idleTimeoutMs: 1_000,
      heartbeatIntervalMs: 0,
    });
    const transport = new MemoryTransport();
    const conn = manager.accept(transport) as ManagedConnection<Meta>;
    clock.advance(900);
    transport.emit('message', Buffer.from('hi'));
    clock.advance(900); // 900 ms since the message: still open
    expect(conn.state).toBe('open');
    clock.advance(100);
    expect(transport.notices).toEqual([
      'MULTIPLEXING_ERR_IDLE_TIMEOUT nothing received for 1000 ms; closing',
    ]);
    expect(closes).toHaveLength(1);
    expect(closes[0]?.reason).toBe('idle-timeout');
    expect(codeOf(closes[0]?.error)).toBe('MULTIPLEXING_ERR_IDLE_TIMEOUT');
  });

  it('does not count heartbeat answers as activity', () => {
    const { manager, clock, closes } = managerWith({
      idleTimeoutMs: 1_000,
      heartbeatIntervalMs: 300,
    });
    const transport = new MemoryTransport();
    manager.accept(transport);
    for (let t = 0; t < 3; t++) {
      clock.advance(300);
      transport.emit('pong');
    }
    clock.advance(100);
    expect(closes.map((c) => c.reason)).toEqual(['idle-timeout']);
  });
});

describe('heartbeats', () => {
  it('pings every interval and cuts the peer after maxMissedHeartbeats silent intervals', () => {
    const { manager, clock, closes } = managerWith({
      heartbeatIntervalMs: 1_000,
      maxMissedHeartbeats: 3,
    });
    const transport = new MemoryTransport();
    const conn = manager.accept(transport) as ManagedConnection<Meta>;
    clock.advance(1_000);
    expect(transport.pings).toBe(1);
    clock.advance(3_000);
    expect(conn.missedHeartbeats).toBe(3);
    expect(transport.destroyed).toBe(true);
    expect(closes[0]?.reason).toBe('heartbeat-missed');
    expect(codeOf(closes[0]?.error)).toBe('MULTIPLEXING_ERR_HEARTBEAT_MISSED');
    expect(closes[0]?.error?.message).toMatch(/answered none of the last 3 heartbeats/);
  });

  it('keeps a peer that answers (a pong or any message resets the count)', () => {
    const { manager, clock } = managerWith({ heartbeatIntervalMs: 1_000, maxMissedHeartbeats: 2 });
    const transport = new MemoryTransport();
    const conn = manager.accept(transport) as ManagedConnection<Meta>;
    for (let beat = 0; beat < 20; beat++) {
      clock.advance(1_000);
      if (beat % 2 === 0) transport.emit('pong');
      else transport.emit('message', Buffer.from('still here'));
    }
    expect(conn.state).toBe('open');
    expect(transport.pings).toBe(20);
    expect(conn.missedHeartbeats).toBe(0);
  });

  it("lets an application that beats itself cut a peer with 'heartbeat-missed' and its error", () => {
    const { manager, closes } = managerWith();
    const transport = new MemoryTransport();
    const conn = manager.accept(transport) as ManagedConnection<Meta>;
    conn.send(Buffer.from('unsent'));
    const error = new MultiplexingError('MULTIPLEXING_ERR_HEARTBEAT_MISSED', 'it is gone');
    conn.destroy('heartbeat-missed', error);
    expect(transport.destroyed).toBe(true);
    expect(closes).toEqual([{ id: conn.id, reason: 'heartbeat-missed', error }]);
    const other = manager.accept(new MemoryTransport()) as ManagedConnection<Meta>;
    expect(() => other.destroy('shutdown' as never)).toThrow(
      /destroy\(\) takes the reason 'closed', 'heartbeat-missed' or 'idle-timeout', got shutdown/,
    );
    expect(other.state).toBe('open');
    other.destroy();
    expect(closes.at(-1)?.reason).toBe('closed');
  });

  it('runs no heartbeats on a transport that cannot ping', () => {
    const { manager, clock } = managerWith({ heartbeatIntervalMs: 1_000 });
    const conn = manager.accept(
      new MemoryTransport('10.0.0.1', 'x', false),
    ) as ManagedConnection<Meta>;
    clock.advance(60_000);
    expect(conn.state).toBe('open');
    expect(clock.pending).toBe(0);
  });
});

describe('slow consumers', () => {
  it('disconnects one past its high-water mark under disconnect, with the reason', () => {
    const { manager, closes } = managerWith({
      maxBufferedBytes: 100,
      slowConsumerPolicy: 'disconnect',
    });
    const slow = new MemoryTransport('10.0.0.1');
    slow.reading = false;
    const conn = manager.accept(slow) as ManagedConnection<Meta>;
    const outcomes = Array.from({ length: 12 }, () => conn.send(Buffer.alloc(10)));
    expect(outcomes.slice(0, 10)).not.toContain('overflow');
    expect(outcomes[10]).toBe('overflow');
    expect(outcomes[11]).toBe('closed');
    expect(slow.notices).toEqual([
      'MULTIPLEXING_ERR_SLOW_CONSUMER you read too slowly and were disconnected',
    ]);
    slow.reading = true;
    slow.drain();
    expect(closes.map((c) => [c.reason, codeOf(c.error)])).toEqual([
      ['slow-consumer', 'MULTIPLEXING_ERR_SLOW_CONSUMER'],
    ]);
  });
});

describe('shutdown', () => {
  it('tells everyone, drains the readers, cuts the rest at the deadline, and reports both', async () => {
    const { manager, clock } = managerWith({ maxConnectionsPerAddress: 10 });
    const readers = Array.from({ length: 3 }, (_, i) => new MemoryTransport('10.0.0.1', `r${i}`));
    const stuck = new MemoryTransport('10.0.0.2', 'stuck');
    stuck.reading = false;
    for (const t of [...readers, stuck]) manager.accept(t);
    const stuckConn = [...manager.connections].at(-1) as ManagedConnection<Meta>;
    for (let i = 0; i < 5; i++) stuckConn.send(Buffer.alloc(10));
    const stops: string[] = [];
    manager.addAcceptor({ stopAccepting: () => void stops.push('stopped') });
    const reportPromise = manager.shutdown({ closeTimeoutMs: 2_000 });
    expect(stops).toEqual(['stopped']);
    expect(manager.shuttingDown).toBe(true);
    for (const t of readers) {
      expect(t.notices).toEqual([
        'MULTIPLEXING_ERR_SHUTDOWN the server is shutting down; reconnect later',
      ]);
    }
    expect(stuck.notices).toEqual([]); // its queue goes first; the notice waits behind it
    const late = new MemoryTransport('10.0.0.3');
    expect(manager.accept(late)).toBeUndefined();
    expect(late.notices[0]).toMatch(/^MULTIPLEXING_ERR_SHUTDOWN/);
    clock.advance(2_000);
    const report = await reportPromise;
    expect(report.drained.map((e) => e.peerName)).toEqual(['r0', 'r1', 'r2']);
    expect(report.cut.map((e) => [e.peerName, e.unsentBytes])).toEqual([['stuck', 50]]);
    expect(report.refused).toBe(1);
    expect(report.durationMs).toBe(2_000);
    expect(manager.shutdown()).toBe(reportPromise);
  });
});

describe('options', () => {
  it.each([
    [
      { maxConnections: 0 },
      RangeError,
      'maxConnections must be an integer from 1 to 1000000, got 0',
    ],
    [
      { maxConnectionsPerAddress: 2.5 },
      TypeError,
      'maxConnectionsPerAddress must be an integer from 1 to 1000000, got 2.5',
    ],
    [
      { idleTimeoutMs: -1 },
      RangeError,
      'idleTimeoutMs must be an integer from 0 to 2147483647, got -1',
    ],
    [
      { heartbeatIntervalMs: Number.NaN },
      TypeError,
      'heartbeatIntervalMs must be an integer from 0 to 2147483647, got NaN',
    ],
    [
      { maxMissedHeartbeats: 0 },
      RangeError,
      'maxMissedHeartbeats must be an integer from 1 to 1000, got 0',
    ],
    [
      { closeTimeoutMs: 0 },
      RangeError,
      'closeTimeoutMs must be an integer from 1 to 2147483647, got 0',
    ],
    [
      { maxBufferedBytes: '1' },
      TypeError,
      'maxBufferedBytes must be an integer from 1 to 1073741824, got "1"',
    ],
  ])('rejects %o', (options, kind, message) => {
    expect(() => createConnectionManager(options as never)).toThrow(kind);
    expect(() => createConnectionManager(options as never)).toThrow(message);
  });

  it('fills in the documented defaults', () => {
    expect(createConnectionManager().options).toMatchObject({
      ...CONNECTION_MANAGER_DEFAULTS,
      maxBufferedBytes: 1_048_576,
      slowConsumerPolicy: 'drop-oldest',
    });
  });
});
