import * as grpc from '@grpc/grpc-js';
import { lessonOf, loadExercise, nextEvent, pollUntil, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { serveGrpcPriceFeed } from '../../src/index.ts';

// This spec grades a gRPC client against the stage's own price-feed server on 127.0.0.1
// (port 0), and asks the server what it saw: a call still open there after the client gave up
// is a leak, a DEADLINE_EXCEEDED that is really a local timer is not a deadline.
type Exercise = typeof import('./exercise.ts');
const lesson = lessonOf(import.meta.url);
const load = (): Promise<Exercise> => loadExercise<Exercise>(import.meta.url);

async function startFeed() {
  const feed = await serveGrpcPriceFeed({ symbols: ['ACME', 'GLOBEX'], closeTimeoutMs: 300 });
  onTestFinished(() => feed.close());
  return feed;
}

/** What a promise settled with, bounded; a failure names the section to read. */
async function settle<T>(promise: Promise<T>, what: string, section: string) {
  try {
    return {
      ok: true as const,
      value: await withTimeout(promise, `${what}. ${lesson.see(section)}`),
    };
  } catch (error) {
    return { ok: false as const, error };
  }
}

function expectCallError(
  result: { ok: boolean; error?: unknown; value?: unknown },
  code: string,
  grpcCode: number,
  section: string,
) {
  if (result.ok) {
    throw new Error(
      `expected a PriceCallError ${code}, got a value ${JSON.stringify(result.value)}. ${lesson.see(section)}`,
    );
  }
  const error = result.error as {
    name?: string;
    code?: unknown;
    grpcCode?: unknown;
    message?: string;
  };
  if (error?.name !== 'PriceCallError' || error.code !== code || error.grpcCode !== grpcCode) {
    throw new Error(
      `expected a PriceCallError with code ${code} and grpcCode ${grpcCode} (${grpc.status[grpcCode]}), got ${error?.name}: code ${String(error?.code)}, grpcCode ${String(error?.grpcCode)}, "${error?.message}". ${lesson.see(section)}`,
    );
  }
}

describe('03 · a gRPC stream with deadlines', () => {
  it.each([
    [grpc.status.DEADLINE_EXCEEDED, 'TIMEOUT'],
    [grpc.status.CANCELLED, 'CANCELLED'],
    [grpc.status.UNAVAILABLE, 'UNAVAILABLE'],
    [grpc.status.RESOURCE_EXHAUSTED, 'LIMIT'],
    [grpc.status.NOT_FOUND, 'REJECTED'],
    [grpc.status.INVALID_ARGUMENT, 'REJECTED'],
    [grpc.status.INTERNAL, 'REJECTED'],
  ])('toPriceCallError maps status %i to %s and keeps the cause', async (grpcCode, code) => {
    const { toPriceCallError } = await load();
    const serviceError = Object.assign(new Error(`${grpcCode}: boom`), {
      code: grpcCode,
      details: 'boom',
      metadata: new grpc.Metadata(),
    });
    const error = toPriceCallError(serviceError);
    const got = {
      name: error.name,
      code: error.code,
      grpcCode: error.grpcCode,
      cause: error.cause === serviceError,
    };
    expect(got, lesson.see('Statuses to errors')).toEqual({
      name: 'PriceCallError',
      code,
      grpcCode,
      cause: true,
    });
  });

  it('requestPrice answers the latest price', async () => {
    const { requestPrice } = await load();
    const feed = await startFeed();
    feed.publish('ACME', 101.25);
    const result = await settle(
      requestPrice({ address: feed.address, symbol: 'ACME', timeoutMs: 2_000 }),
      'requestPrice to answer',
      'A unary call with a deadline',
    );
    expect(result, lesson.see('A unary call with a deadline')).toMatchObject({
      ok: true,
      value: { symbol: 'ACME', price: 101.25 },
    });
  });

  it('requestPrice past its deadline fails with TIMEOUT (DEADLINE_EXCEEDED, not a local timer) and the server lets go', async () => {
    const { requestPrice } = await load();
    const feed = await startFeed();
    const done = nextEvent<[string]>(feed, 'unaryDone');
    const result = await settle(
      requestPrice({ address: feed.address, symbol: 'GLOBEX', timeoutMs: 200 }), // no price yet: the server waits
      'requestPrice to give up',
      'A unary call with a deadline',
    );
    expectCallError(
      result,
      'TIMEOUT',
      grpc.status.DEADLINE_EXCEEDED,
      'A unary call with a deadline',
    );
    await done;
    expect(feed.stats().pendingUnary, lesson.see('A unary call with a deadline')).toBe(0);
  });

  it('requestPrice for a symbol the feed does not have fails with REJECTED (NOT_FOUND)', async () => {
    const { requestPrice } = await load();
    const feed = await startFeed();
    const result = await settle(
      requestPrice({ address: feed.address, symbol: 'NOPE', timeoutMs: 2_000 }),
      'requestPrice to fail',
      'Statuses to errors',
    );
    expectCallError(result, 'REJECTED', grpc.status.NOT_FOUND, 'Statuses to errors');
  });

  it('collectPrices resolves with the first count prices and cancels the stream: the server frees it', async () => {
    const { collectPrices } = await load();
    const feed = await startFeed();
    const collecting = collectPrices({
      address: feed.address,
      symbols: ['ACME'],
      count: 3,
      timeoutMs: 5_000,
    });
    collecting.catch(() => {});
    await pollUntil(
      () => feed.stats().subscriptions === 1,
      `the server to see a subscription to ACME. ${lesson.see('A stream with a deadline')}`,
    );
    const closed = nextEvent<[number, string]>(feed, 'streamClosed');
    for (let i = 1; i <= 5; i++) feed.publish('ACME', i);
    const result = await settle(collecting, 'collectPrices to resolve', 'A stream with a deadline');
    expect(result.ok ? result.value.map((u) => u.price) : result.error).toEqual([1, 2, 3]);
    const [, reason] = await withTimeout(
      closed,
      `the stream to close on the server. ${lesson.see('Cancelling')}`,
    );
    expect(reason).toBe('cancelled');
    expect(feed.stats().activeStreams, lesson.see('Cancelling')).toBe(0);
  });

  it('collectPrices past its deadline fails with TIMEOUT (DEADLINE_EXCEEDED) and the server frees the stream', async () => {
    const { collectPrices } = await load();
    const feed = await startFeed();
    const collecting = collectPrices({
      address: feed.address,
      symbols: ['ACME'],
      count: 10,
      timeoutMs: 300,
    });
    collecting.catch(() => {});
    await pollUntil(
      () => feed.stats().subscriptions === 1,
      `the server to see a subscription to ACME. ${lesson.see('A stream with a deadline')}`,
    );
    feed.publish('ACME', 1);
    const result = await settle(collecting, 'collectPrices to give up', 'A stream with a deadline');
    expectCallError(result, 'TIMEOUT', grpc.status.DEADLINE_EXCEEDED, 'A stream with a deadline');
    await pollUntil(
      () => feed.stats().activeStreams === 0,
      `the server to free the stream. ${lesson.see('Cancelling')}`,
    );
  });

  it('collectPrices aborted by its signal rejects with the reason and the server frees the stream', async () => {
    const { collectPrices } = await load();
    const feed = await startFeed();
    const controller = new AbortController();
    const collecting = collectPrices({
      address: feed.address,
      symbols: ['ACME', 'GLOBEX'],
      count: 10,
      timeoutMs: 10_000,
      signal: controller.signal,
    });
    collecting.catch(() => {});
    await pollUntil(
      () => feed.stats().subscriptions === 2,
      `the server to see two subscriptions. ${lesson.see('A stream with a deadline')}`,
    );
    const reason = new Error('the user closed the page');
    controller.abort(reason);
    const result = await settle(collecting, 'collectPrices to stop', 'Cancelling');
    expect(result.ok ? 'it resolved' : result.error, lesson.see('Cancelling')).toBe(reason);
    await pollUntil(
      () => feed.stats().activeStreams === 0,
      `the server to free the stream. ${lesson.see('Cancelling')}`,
    );
  });

  it('collectPrices for a symbol the feed does not have fails with REJECTED (NOT_FOUND), and the server stays up', async () => {
    const { collectPrices, requestPrice } = await load();
    const feed = await startFeed();
    const result = await settle(
      collectPrices({ address: feed.address, symbols: ['NOPE'], count: 1, timeoutMs: 2_000 }),
      'collectPrices to fail',
      'Statuses to errors',
    );
    expectCallError(result, 'REJECTED', grpc.status.NOT_FOUND, 'Statuses to errors');
    feed.publish('ACME', 7);
    const after = await settle(
      requestPrice({ address: feed.address, symbol: 'ACME', timeoutMs: 2_000 }),
      'requestPrice after the refusal',
      'Statuses to errors',
    );
    expect(after).toMatchObject({ ok: true, value: { price: 7 } });
  });
});
