import { setImmediate as nextTurn } from 'node:timers/promises';
import { pollUntil } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { collect, openStream, SYMBOLS, startFeed } from './helpers.ts';

describe('flow control: a reader that stops reading', () => {
  it('stalls the server behind HTTP/2 flow control with a bounded buffer, and after resuming gets the latest price of every symbol', async () => {
    const feed = await startFeed();
    const stream = await openStream(feed.address, { symbols: [...SYMBOLS] }); // never read: stalled
    await pollUntil(() => feed.stats().subscriptions === SYMBOLS.length, 'the subscriptions');
    const row = () => {
      const [only] = feed.streams();
      if (!only) throw new Error('the stream is gone');
      return only;
    };
    let price = 0;
    let maxBuffered = 0;
    let unchangedRounds = 0;
    let lastSent = -1;
    // Each round publishes 200 prices and gives the event loop a turn, so grpc-js and the socket
    // move what they can. The loop ends once the stream has stayed blocked with nothing more
    // sent for 20 rounds in a row: the HTTP/2 window is full.
    for (let round = 0; round < 5_000 && unchangedRounds < 20; round++) {
      for (let i = 0; i < 50; i++) for (const symbol of SYMBOLS) feed.publish(symbol, ++price);
      await nextTurn();
      const now = row();
      maxBuffered = Math.max(maxBuffered, now.buffered);
      expect(now.buffered).toBeLessThanOrEqual(now.writableHighWaterMark + SYMBOLS.length);
      unchangedRounds = now.blocked && now.sent === lastSent ? unchangedRounds + 1 : 0;
      lastSent = now.sent;
    }
    const stalled = row();
    expect(unchangedRounds).toBe(20);
    expect(stalled.blocked).toBe(true);
    // Far more was published than went out: the rest was conflated, not queued.
    expect(feed.stats().published).toBeGreaterThan(stalled.sent * 2);
    expect(stalled.conflated).toBeGreaterThan(0);
    expect(maxBuffered).toBeLessThanOrEqual(stalled.writableHighWaterMark + SYMBOLS.length);

    const last = new Map(SYMBOLS.map((symbol, i) => [symbol, price - (SYMBOLS.length - 1) + i]));
    const reader = collect(stream);
    await pollUntil(
      () => SYMBOLS.every((symbol) => reader.state.latest.get(symbol)?.price === last.get(symbol)),
      'the latest price of every symbol after resuming',
    );
    for (const symbol of SYMBOLS) {
      const prices = reader.state.updates.filter((u) => u.symbol === symbol).map((u) => u.price);
      expect(prices).toEqual([...prices].sort((a, b) => a - b)); // never a step back
    }
    expect(reader.state.updates.length).toBeLessThan(price); // conflated: fewer than published
    await pollUntil(() => !row().blocked && row().buffered === 0, 'the server to drain');
  });

  it('a fast reader receives every price when it keeps up', async () => {
    const feed = await startFeed();
    const reader = collect(await openStream(feed.address, { symbols: ['ACME'] }));
    await pollUntil(() => feed.stats().subscriptions === 1, 'the subscription');
    for (let i = 1; i <= 500; i++) {
      feed.publish('ACME', i);
      if (i % 10 === 0) await pollUntil(() => reader.state.updates.length === i, `price ${i}`);
    }
    expect(reader.state.updates.map((u) => u.price)).toEqual(
      Array.from({ length: 500 }, (_, i) => i + 1),
    );
    expect(feed.streams()[0]?.conflated).toBe(0);
  });
});
