import { connect } from 'node:net';
import { ManualClock, nextEvent, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { SseClient, SseDisconnectReason } from '../../src/sse/index.ts';
import { openSse, startSseServer } from './server.ts';

const dataOf = (reader: { events(): { data: string }[] }) => reader.events().map((e) => e.data);

describe('SseChannel on a real socket, read by a Node client (fetch + SseParser)', () => {
  it('serves text/event-stream with retry first, then events with ids, names and multi-line data', async () => {
    const server = await startSseServer({ retryMs: 1234, idPrefix: 'run1' });
    const reader = await openSse(server.url);
    expect(reader.status).toBe(200);
    expect(reader.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(reader.headers['cache-control']).toBe('no-cache, no-transform');
    expect(reader.headers['x-accel-buffering']).toBe('no');
    await reader.until((items) => items.length === 1, 'the retry field');
    expect(reader.items).toEqual([{ type: 'retry', ms: 1234 }]);

    expect(server.channel.send({ data: 'first' })).toBe('run1.1');
    server.channel.send({ event: 'price', data: '{"ACME":12.5}' });
    server.channel.send({ data: 'line 1\nline 2\r\nline 3' });
    await reader.until((items) => items.length === 4, 'three events');
    expect(reader.events()).toEqual([
      { type: 'event', event: 'message', data: 'first', lastEventId: 'run1.1' },
      { type: 'event', event: 'price', data: '{"ACME":12.5}', lastEventId: 'run1.2' },
      { type: 'event', event: 'message', data: 'line 1\nline 2\nline 3', lastEventId: 'run1.3' },
    ]);
    expect(server.channel.lastEventId).toBe('run1.3');
    expect(server.channel.stats()).toMatchObject({ clients: 1, sent: 3, replayed: 0 });
  });

  it('resumes from Last-Event-ID with exactly the events missed, then live ones', async () => {
    const server = await startSseServer({ idPrefix: 'r' });
    const first = await openSse(server.url);
    for (const n of [1, 2, 3]) server.channel.send({ data: `#${n}` });
    await first.until(() => first.events().length === 3, 'the first three');
    const resumeFrom = first.events()[2]?.lastEventId as string;
    const gone = nextEvent<[SseClient, SseDisconnectReason]>(server.channel, 'disconnect');
    first.close();
    expect((await gone)[1]).toBe('client');

    for (const n of [4, 5, 6]) server.channel.send({ data: `#${n}` }); // while nobody listens
    const [[client], again] = await Promise.all([
      nextEvent<[SseClient]>(server.channel, 'connect'),
      openSse(server.url, resumeFrom),
    ]);
    expect(client).toMatchObject({ lastEventId: 'r.3', replayed: 3, gap: false });
    server.channel.send({ data: '#7' });
    await again.until(() => again.events().length === 4, 'the missed three and a live one');
    expect(dataOf(again)).toEqual(['#4', '#5', '#6', '#7']);
    expect(again.events().map((e) => e.lastEventId)).toEqual(['r.4', 'r.5', 'r.6', 'r.7']);
    expect(server.lastEventIds).toEqual([null, 'r.3']);

    // Up to date: resuming from the newest id replays nothing.
    const current = await openSse(server.url, 'r.7');
    server.channel.send({ data: '#8' });
    await current.until(() => current.events().length === 1, 'the live event');
    expect(dataOf(current)).toEqual(['#8']);
    expect(server.channel.stats()).toMatchObject({ replayed: 3, gaps: 0 });
  });

  it('sends the gap event to a client the replay buffer no longer covers, or from another run', async () => {
    const server = await startSseServer({ idPrefix: 'g', maxReplayEvents: 2 });
    for (const n of [1, 2, 3, 4, 5]) server.channel.send({ data: `#${n}` });
    const behind = await openSse(server.url, 'g.1');
    await behind.until(() => behind.events().length === 3, 'the gap and the buffer');
    expect(behind.events().map((e) => `${e.event}:${e.data}`)).toEqual([
      'gap:g.1',
      'message:#4',
      'message:#5',
    ]);
    // Exactly covered: after g.3 come g.4 and g.5, both buffered: no gap.
    const covered = await openSse(server.url, 'g.3');
    await covered.until(() => covered.events().length === 2, 'the buffer');
    expect(dataOf(covered)).toEqual(['#4', '#5']);
    // An id this run never gave: the gap alone (nothing to resume from), then live events.
    const foreigners = await Promise.all(
      ['other.3', 'g.99', 'g.x', 'garbage\u00e9'].map((id) => openSse(server.url, id)),
    );
    for (const reader of foreigners)
      await reader.until(() => reader.events().length === 1, 'the gap for a foreign id');
    server.channel.send({ data: '#6' });
    for (const reader of foreigners) {
      await reader.until(() => reader.events().length === 2, 'the live event');
      expect(reader.events().map((e) => `${e.event}:${e.data}`)).toEqual([
        `gap:${reader.events()[0]?.data}`,
        'message:#6',
      ]);
    }
    expect(foreigners.map((r) => r.events()[0]?.data)).toEqual([
      'other.3',
      'g.99',
      'g.x',
      'garbage\u00e9',
    ]);
    expect(server.channel.stats().gaps).toBe(5);
  });

  it('sends a `: ping` comment every heartbeatMs while clients are connected (clock by hand)', async () => {
    const clock = new ManualClock();
    const server = await startSseServer({ clock, heartbeatMs: 15_000 });
    expect(clock.pending).toBe(0); // no client, no timer
    const reader = await openSse(server.url);
    await reader.until((items) => items.length === 1, 'the retry field');
    clock.advance(14_999);
    clock.advance(1);
    await reader.until((items) => items.length === 2, 'a heartbeat');
    clock.advance(15_000);
    await reader.until((items) => items.length === 3, 'a second heartbeat');
    expect(reader.items.slice(1)).toEqual([
      { type: 'comment', text: 'ping' },
      { type: 'comment', text: 'ping' },
    ]);
    expect(reader.events()).toEqual([]); // a comment is never an event
    const gone = nextEvent(server.channel, 'disconnect');
    reader.close();
    await gone;
    expect(clock.pending).toBe(0); // the last client gone, the timer too
    expect(server.channel.stats().heartbeats).toBe(2);
  });

  it('cannot be made to forge a field or an event: names and ids with CR/LF are refused, data stays data', async () => {
    const server = await startSseServer();
    const reader = await openSse(server.url);
    for (const event of ['x\ndata: forged', 'x\r\n\r\ndata: forged', 'x\r']) {
      expect(() => server.channel.send({ event, data: '1' })).toThrow(
        expect.objectContaining({ code: 'DISTRIBUTED_ERR_PAYLOAD' }),
      );
    }
    server.channel.send({ data: 'a\r\n\r\nevent: admin\r\ndata: forged\n\nid: 0\rretry: 1' });
    server.channel.send({ data: 'end' });
    await reader.until(() => reader.events().length === 2, 'two events');
    expect(reader.events().map((e) => e.event)).toEqual(['message', 'message']);
    expect(dataOf(reader)[0]).toBe('a\n\nevent: admin\ndata: forged\n\nid: 0\nretry: 1');
    expect(reader.items.filter((i) => i.type === 'retry')).toHaveLength(1); // only the channel's own
    expect(server.channel.stats().sent).toBe(2);
  });

  it('cuts a client that stops reading once maxQueueBytes are queued, and counts it; a reading one gets everything', async () => {
    const server = await startSseServer({ maxQueueBytes: 256 * 1024, maxReplayEvents: 4 });
    const fast = await openSse(server.url);
    const [[slowClient]] = await Promise.all([
      nextEvent<[SseClient]>(server.channel, 'connect'),
      new Promise<void>((resolve, reject) => {
        const { port } = new URL(server.url);
        const socket = connect({ host: '127.0.0.1', port: Number(port) }, () => {
          socket.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
          socket.pause(); // never reads: the kernel's buffers fill, then the server's queue
          resolve();
        });
        socket.on('error', reject);
        onTestFinished(() => {
          socket.destroy();
        });
      }),
    ]);
    const cut = withTimeout(
      new Promise<void>((resolve) =>
        server.channel.on('disconnect', (client, reason: SseDisconnectReason) => {
          if (client === slowClient && reason === 'slow') resolve();
        }),
      ),
      'the slow client to be cut',
    );
    let cutSeen = false;
    void cut.then(() => {
      cutSeen = true;
    });
    const chunk = 'x'.repeat(64 * 1024);
    let sent = 0;
    // Bounded: 2000 × 64 KiB is far past any loopback buffer; each step waits for the fast reader.
    for (; sent < 2000 && !cutSeen; sent++) {
      server.channel.send({ data: `${sent}:${chunk}` });
      await fast.until(() => fast.events().length === sent + 1, `event ${sent} at the fast client`);
    }
    await cut;
    expect(sent).toBeLessThan(2000);
    expect(server.channel.stats()).toMatchObject({ slowDisconnects: 1, clients: 1 });
    server.channel.send({ data: 'after' });
    await fast.until(() => fast.events().length === sent + 1, 'the event after the cut');
    expect(dataOf(fast).map((d) => d.split(':')[0])).toEqual([
      ...Array.from({ length: sent }, (_, i) => String(i)),
      'after',
    ]);
  });

  it('answers 503 past maxClients, and ends every stream on close()', async () => {
    const server = await startSseServer({ maxClients: 1 });
    const one = await openSse(server.url);
    const two = await openSse(server.url);
    expect(two.status).toBe(503);
    expect(server.channel.stats()).toMatchObject({ clients: 1, refused: 1 });
    const gone = nextEvent<[SseClient, SseDisconnectReason]>(server.channel, 'disconnect');
    server.channel.close();
    expect((await gone)[1]).toBe('closed');
    await withTimeout(one.ended, 'the stream to end');
    const late = await openSse(server.url);
    expect(late.status).toBe(503);
  });

  it('refuses bad options', async () => {
    const { createSseChannel } = await import('../../src/sse/index.ts');
    expect(() => createSseChannel({ maxQueueBytes: 0 })).toThrow(RangeError);
    expect(() => createSseChannel({ heartbeatMs: 1.5 })).toThrow(TypeError);
    expect(() => createSseChannel({ gapEvent: 'a\nb' })).toThrow(
      expect.objectContaining({ code: 'DISTRIBUTED_ERR_PAYLOAD' }),
    );
  });
});
