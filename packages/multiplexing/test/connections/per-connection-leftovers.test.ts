/**
 * A managed connection used to cost 6.7 KB of heap: a Timeout for its heartbeat, a closure per
 * event, an async read loop. These tests fail if a timer per connection, or a listener left
 * behind after close, comes back. They count timers and listeners, never bytes.
 */
import { EventEmitter } from 'node:events';
import { lineCodec } from '@socketlab/tcp-udp';
import { ManualClock, pollUntil } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { DeadlineList, DeadlineNode } from '../../src/connections/deadline-list.ts';
import { createConnectionManager, listenManagedTcp } from '../../src/index.ts';
import { manyClients } from '../helpers/clients.ts';
import { MemoryTransport } from '../helpers/memory-transport.ts';

const EVENTS = ['message', 'pong', 'drain', 'close'] as const;

describe('a connection manager holding many connections', () => {
  it('runs one idle timer and one heartbeat timer for all of them, and none once they closed', () => {
    const clock = new ManualClock();
    const manager = createConnectionManager({
      clock,
      idleTimeoutMs: 10_000,
      heartbeatIntervalMs: 1_000,
      maxConnectionsPerAddress: 1_000,
    });
    const transports = Array.from(
      { length: 200 },
      (_, i) => new MemoryTransport('10.0.0.1', `p${i}`),
    );
    for (const transport of transports) {
      manager.accept(transport);
      clock.advance(7); // each one due at its own time
    }
    expect(manager.size).toBe(200);
    expect(clock.pending).toBe(2);
    clock.advance(1_000);
    // Opened 7 ms apart over 1.4 s: each was pinged once or twice, at its own interval.
    expect(transports.every((t) => t.pings >= 1 && t.pings <= 2)).toBe(true);
    expect(transports[0]?.pings).toBe(2);
    expect(transports[199]?.pings).toBe(1);
    expect(clock.pending).toBe(2);
    for (const transport of transports) transport.finish(undefined);
    expect(manager.size).toBe(0);
    expect(manager.connectionsFrom('10.0.0.1')).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('leaves no listener on a transport once its connection closed', () => {
    const manager = createConnectionManager({ clock: new ManualClock() });
    const transport = new MemoryTransport();
    const conn = manager.accept(transport);
    expect(conn).toBeDefined();
    expect(EVENTS.map((event) => transport.listenerCount(event))).toEqual([1, 1, 1, 1]);
    transport.finish(undefined);
    expect(EVENTS.map((event) => transport.listenerCount(event))).toEqual([0, 0, 0, 0]);
  });

  it('keeps its listeners as an EventEmitter does (its own, smaller, listener table)', () => {
    const manager = createConnectionManager({ clock: new ManualClock() });
    const conn = manager.accept(new MemoryTransport());
    if (conn === undefined) throw new Error('not admitted');
    const onMessage = (): void => {};
    conn.on('message', onMessage);
    expect(conn.eventNames()).toEqual(['message']);
    expect(conn.listenerCount('message')).toBe(1);
    expect(conn.listenerCount('toString' as never)).toBe(0);
    conn.off('message', onMessage);
    expect(conn.eventNames()).toEqual([]);
  });

  it('gives a connection nobody listens to no listener table, and no metadata until read', () => {
    const manager = createConnectionManager({ clock: new ManualClock() });
    const transport = new MemoryTransport();
    const conn = manager.accept(transport);
    if (conn === undefined) throw new Error('not admitted');
    const fields = conn as unknown as { _events: unknown };
    expect(fields._events).toBeUndefined();
    expect(conn).toBeInstanceOf(EventEmitter);
    expect(conn.listenerCount('message')).toBe(0);
    expect(conn.eventNames()).toEqual([]);
    expect(conn.emit('message', Buffer.from('x'))).toBe(false);
    transport.emit('message', Buffer.from('nobody listens'));
    // Made when first read, then the same object; a new one can be set.
    const metadata = conn.metadata;
    expect(metadata).toEqual({});
    expect(conn.metadata).toBe(metadata);
    conn.metadata = { nick: 'ada' };
    expect(conn.metadata).toEqual({ nick: 'ada' });
    // Every way to listen still works, once makes the table first.
    const heard: string[] = [];
    conn.once('message', (data) => heard.push(`once ${data.toString()}`));
    conn.prependListener('message', (data) => heard.push(`first ${data.toString()}`));
    expect(fields._events).toBeDefined();
    transport.emit('message', Buffer.from('a'));
    transport.emit('message', Buffer.from('b'));
    expect(heard).toEqual(['first a', 'once a', 'first b']);
  });

  it("calls createMetadata when it admits (its errors surface there), not when it's read", () => {
    let made = 0;
    const manager = createConnectionManager({
      clock: new ManualClock(),
      createMetadata: () => ({ n: ++made }),
    });
    const conn = manager.accept(new MemoryTransport());
    expect(made).toBe(1);
    expect(conn?.metadata).toEqual({ n: 1 });
  });

  it("gives every connection's messages to the manager's 'message', after the connection's own", () => {
    const manager = createConnectionManager({ clock: new ManualClock() });
    const heard: string[] = [];
    manager.on('message', (conn, data) => heard.push(`manager ${conn.id} ${data.toString()}`));
    const transports = [new MemoryTransport('10.0.0.1', 'a'), new MemoryTransport('10.0.0.2', 'b')];
    const conns = transports.map((t) => manager.accept(t));
    conns[1]?.on('message', (data) => heard.push(`conn 2 ${data.toString()}`));
    transports[0]?.emit('message', Buffer.from('x'));
    transports[1]?.emit('message', Buffer.from('y'));
    expect(heard).toEqual(['manager 1 x', 'conn 2 y', 'manager 2 y']);
    // Only the second one has a listener table.
    expect(conns.map((c) => (c as unknown as { _events: unknown })._events === undefined)).toEqual([
      true,
      false,
    ]);
  });

  it.each([
    ['line-framed, with heartbeats', true],
    ['a raw byte stream', false],
  ])('over TCP (%s): one timer for all, none after the clients left', async (_, framed) => {
    const clock = new ManualClock();
    const manager = createConnectionManager({
      clock,
      heartbeatIntervalMs: 1_000,
      maxConnectionsPerAddress: 1_000,
    });
    onTestFinished(async () => {
      await manager.shutdown({ closeTimeoutMs: 100 });
    });
    const { address } = await listenManagedTcp({
      manager,
      ...(framed ? { codec: lineCodec() } : {}),
    });
    const clients = await manyClients(address.port, 100);
    await pollUntil(() => manager.size === 100, 'the 100 connections to be admitted');
    // Framed: one shared heartbeat timer; a raw stream cannot ping, so none.
    expect(clock.pending).toBe(framed ? 1 : 0);
    for (const client of clients) client.socket.destroy();
    await pollUntil(() => manager.size === 0, 'the 100 connections to close');
    expect(clock.pending).toBe(0);
  });
});

describe('DeadlineList', () => {
  it('hands out due owners in order, each once, with one timer for all', () => {
    const clock = new ManualClock();
    const due: string[] = [];
    const list = new DeadlineList<string>(clock, (owner) => due.push(owner));
    const nodes = ['a', 'b', 'c'].map((owner) => new DeadlineNode(owner));
    nodes.forEach((node, i) => {
      list.schedule(node, 100 + i * 10);
    });
    expect(clock.pending).toBe(1);
    list.schedule(nodes[0] as DeadlineNode<string>, 150); // moved to the tail
    list.remove(nodes[1] as DeadlineNode<string>);
    clock.advance(200);
    expect(due).toEqual(['c', 'a']);
    expect(list.size).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
