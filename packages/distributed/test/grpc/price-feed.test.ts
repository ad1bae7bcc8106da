import { nextEvent, pollUntil, rejectionOf, withTimeout } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { DistributedError } from '../../src/errors.ts';
import { GrpcStatusError, requestGrpcPrice } from '../../src/grpc/index.ts';
import { collect, openStream, startFeed } from './helpers.ts';

describe('serveGrpcPriceFeed and connectGrpcPriceFeed over real grpc-js (127.0.0.1, port 0)', () => {
  it('binds 127.0.0.1 on a port the system chose and streams the prices a client subscribed to', async () => {
    const feed = await startFeed();
    expect(feed.port).toBeGreaterThan(0);
    expect(feed.address).toBe(`127.0.0.1:${feed.port}`);
    const stream = await openStream(feed.address, { symbols: ['ACME'] });
    const reader = collect(stream);
    await pollUntil(() => feed.stats().subscriptions === 1, 'the subscription to reach the server');
    feed.publish('ACME', 101.5);
    feed.publish('GLOBEX', 55); // not subscribed
    feed.publish('ACME', 102);
    await pollUntil(() => reader.state.updates.length === 2, 'two ACME prices');
    expect(reader.state.updates.map((u) => [u.symbol, u.price, u.sequence])).toEqual([
      ['ACME', 101.5, 1],
      ['ACME', 102, 3],
    ]);
  });

  it('sends a new subscriber the latest price first, and stops sending a symbol once unsubscribed', async () => {
    const feed = await startFeed();
    feed.publish('GLOBEX', 10);
    feed.publish('GLOBEX', 11);
    const stream = await openStream(feed.address, { symbols: ['GLOBEX', 'ACME'] });
    const reader = collect(stream);
    await pollUntil(() => reader.state.updates.length === 1, 'the snapshot of GLOBEX');
    expect(reader.state.updates[0]).toMatchObject({ symbol: 'GLOBEX', price: 11 });
    stream.unsubscribe(['GLOBEX']);
    await pollUntil(() => feed.stats().subscriptions === 1, 'the unsubscribe to reach the server');
    expect(feed.publish('GLOBEX', 12)).toBe(0);
    feed.publish('ACME', 1);
    await pollUntil(() => reader.state.updates.length === 2, 'the ACME price');
    expect(reader.state.updates.map((u) => u.symbol)).toEqual(['GLOBEX', 'ACME']);
  });

  it('a client cancel frees the stream on the server: no stream, no subscription, no more writes', async () => {
    const feed = await startFeed();
    const controller = new AbortController();
    const stream = await openStream(feed.address, {
      symbols: ['ACME', 'GLOBEX'],
      signal: controller.signal,
    });
    const reader = collect(stream);
    await pollUntil(() => feed.stats().subscriptions === 2, 'both subscriptions');
    feed.publish('ACME', 1);
    await pollUntil(() => reader.state.updates.length === 1, 'one price');
    const closed = nextEvent<[number, string]>(feed, 'streamClosed');
    controller.abort(new Error('the user left'));
    const [, reason] = await closed;
    expect(reason).toBe('cancelled');
    await withTimeout(reader.done, 'the iteration to end');
    expect((reader.state.error as Error).message).toBe('the user left');
    expect(feed.stats()).toMatchObject({ activeStreams: 0, subscriptions: 0 });
    expect(feed.publish('ACME', 2)).toBe(0);
    expect(feed.streams()).toEqual([]);
  });

  it('cancel() ends the iteration quietly and the server frees the stream', async () => {
    const feed = await startFeed();
    const stream = await openStream(feed.address, { symbols: ['ACME'] });
    const reader = collect(stream);
    await pollUntil(() => feed.stats().subscriptions === 1, 'the subscription');
    const closed = nextEvent(feed, 'streamClosed');
    stream.cancel();
    await closed;
    await withTimeout(reader.done, 'the iteration to end');
    expect(reader.state.error).toBeUndefined();
    expect(feed.stats().activeStreams).toBe(0);
  });

  it('a stream past its deadline fails with DEADLINE_EXCEEDED as DISTRIBUTED_ERR_TIMEOUT, and the server frees it', async () => {
    const feed = await startFeed();
    const stream = await openStream(feed.address, {
      symbols: ['ACME'],
      deadline: Date.now() + 300,
    });
    const closed = nextEvent<[number, string]>(feed, 'streamClosed');
    const reader = collect(stream);
    await withTimeout(reader.done, 'the deadline to end the stream');
    const error = reader.state.error as GrpcStatusError;
    expect(error).toBeInstanceOf(GrpcStatusError);
    expect(error).toBeInstanceOf(DistributedError);
    expect(error.code).toBe('DISTRIBUTED_ERR_TIMEOUT');
    expect(error.grpcStatus).toBe('DEADLINE_EXCEEDED');
    expect((await closed)[1]).toBe('cancelled');
    expect(feed.stats()).toMatchObject({ activeStreams: 0, subscriptions: 0 });
  });

  it('GetPrice answers the latest price at once', async () => {
    const feed = await startFeed();
    feed.publish('INITECH', 7.25);
    const update = await requestGrpcPrice({
      address: feed.address,
      symbol: 'INITECH',
      deadline: Date.now() + 2_000,
    });
    expect(update).toMatchObject({ symbol: 'INITECH', price: 7.25, sequence: 1 });
  });

  it('GetPrice waits for a first price, and answers when it is published', async () => {
    const feed = await startFeed();
    const answer = requestGrpcPrice({ address: feed.address, symbol: 'ACME' });
    await pollUntil(() => feed.stats().pendingUnary === 1, 'the call to wait on the server');
    feed.publish('ACME', 3);
    expect((await withTimeout(answer, 'the answer')).price).toBe(3);
    expect(feed.stats().pendingUnary).toBe(0);
  });

  it('GetPrice past its deadline fails with DISTRIBUTED_ERR_TIMEOUT and the server drops the waiting call', async () => {
    const feed = await startFeed();
    const done = nextEvent<[string]>(feed, 'unaryDone');
    const error = await rejectionOf(
      requestGrpcPrice({ address: feed.address, symbol: 'ACME', deadline: Date.now() + 200 }),
    );
    expect(error).toBeInstanceOf(GrpcStatusError);
    expect(error).toMatchObject({
      code: 'DISTRIBUTED_ERR_TIMEOUT',
      grpcStatus: 'DEADLINE_EXCEEDED',
    });
    expect((await done)[0]).toBe('cancelled');
    expect(feed.stats().pendingUnary).toBe(0);
  });

  it("GetPrice is bounded by the server's own wait when the client sets no deadline", async () => {
    const feed = await startFeed({ maxUnaryWaitTimeoutMs: 100 });
    const error = await rejectionOf(requestGrpcPrice({ address: feed.address, symbol: 'ACME' }));
    expect(error).toMatchObject({
      code: 'DISTRIBUTED_ERR_TIMEOUT',
      grpcStatus: 'DEADLINE_EXCEEDED',
    });
    expect(feed.stats().pendingUnary).toBe(0);
  });

  it('GetPrice aborted by its signal rejects with the reason and frees the server side', async () => {
    const feed = await startFeed();
    const controller = new AbortController();
    const answer = requestGrpcPrice({
      address: feed.address,
      symbol: 'ACME',
      signal: controller.signal,
    });
    await pollUntil(() => feed.stats().pendingUnary === 1, 'the call to wait on the server');
    const done = nextEvent<[string]>(feed, 'unaryDone');
    controller.abort(new Error('not needed any more'));
    expect((await rejectionOf(answer)).message).toBe('not needed any more');
    expect((await done)[0]).toBe('cancelled');
    expect(feed.stats().pendingUnary).toBe(0);
  });

  it('close() ends open streams with UNAVAILABLE (DISTRIBUTED_ERR_UNAVAILABLE)', async () => {
    const feed = await startFeed();
    const reader = collect(await openStream(feed.address, { symbols: ['ACME'] }));
    await pollUntil(() => feed.stats().activeStreams === 1, 'the stream');
    await feed.close();
    await withTimeout(reader.done, 'the stream to end');
    expect(reader.state.error).toMatchObject({
      code: 'DISTRIBUTED_ERR_UNAVAILABLE',
      grpcStatus: 'UNAVAILABLE',
    });
  });

  it('connecting to a port with nothing behind it fails with DISTRIBUTED_ERR_UNAVAILABLE', async () => {
    const feed = await startFeed();
    const address = feed.address;
    await feed.close();
    const error = await rejectionOf(openStream(address, { connectTimeoutMs: 300 }));
    expect(error).toBeInstanceOf(DistributedError);
    expect(error).toMatchObject({ code: 'DISTRIBUTED_ERR_UNAVAILABLE' });
  });

  it('checks its options synchronously', async () => {
    await expect(startFeed({ symbols: [] })).rejects.toThrow(TypeError);
    await expect(startFeed({ symbols: ['lower'] })).rejects.toThrow(TypeError);
    await expect(startFeed({ maxReceiveMessageBytes: 0 })).rejects.toThrow(RangeError);
    const feed = await startFeed();
    expect(() => feed.publish('NOPE', 1)).toThrow(RangeError);
    expect(() => feed.publish('ACME', Number.NaN)).toThrow(RangeError);
  });
});
