import * as grpc from '@grpc/grpc-js';
import { nextEvent, pollUntil, rejectionOf, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  GrpcStatusError,
  PRICE_FEED_SERVICE_NAME,
  type PriceUpdate,
  requestGrpcPrice,
} from '../../src/grpc/index.ts';
import { collect, openStream, startFeed } from './helpers.ts';

/** Opens a stream, does `send` on it, and returns the error the stream ended with. */
async function endingOf(
  address: string,
  send: (stream: Awaited<ReturnType<typeof openStream>>) => void,
) {
  const stream = await openStream(address);
  const reader = collect(stream);
  send(stream);
  await withTimeout(reader.done, 'the server to end the stream');
  return reader.state.error as GrpcStatusError;
}

/**
 * A raw bidirectional call whose request bytes are whatever `bytes` is: what a broken or hostile
 * client puts on the wire, past any serializer.
 */
function rawSubscribe(address: string, bytes: Buffer) {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  onTestFinished(() => client.close());
  const call = client.makeBidiStreamRequest<Buffer, Buffer>(
    `/${PRICE_FEED_SERVICE_NAME}/Subscribe`,
    (value) => value,
    (value) => value,
  );
  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  call.on('error', () => {});
  call.on('data', () => {});
  call.write(bytes);
  return status;
}

describe('the price feed against hostile and broken input', () => {
  it.each([
    ['an unknown symbol', ['NOPE'], 'NOT_FOUND', 'DISTRIBUTED_ERR_PAYLOAD'],
    ['a malformed symbol', ['bad symbol!'], 'INVALID_ARGUMENT', 'DISTRIBUTED_ERR_PAYLOAD'],
    ['no symbol at all', [], 'INVALID_ARGUMENT', 'DISTRIBUTED_ERR_PAYLOAD'],
    [
      'more symbols than a stream may hold',
      ['ACME', 'GLOBEX', 'INITECH'],
      'RESOURCE_EXHAUSTED',
      'DISTRIBUTED_ERR_LIMIT',
    ],
  ])('%s ends that stream with %s (%s on the client)', async (_, symbols, grpcStatus, code) => {
    const feed = await startFeed({ maxSymbolsPerStream: 2 });
    const rejected = nextEvent(feed, 'rejected');
    const error = await endingOf(feed.address, (s) => s.subscribe(symbols));
    expect(error).toBeInstanceOf(GrpcStatusError);
    expect(error).toMatchObject({ grpcStatus, code });
    await rejected;
    await pollUntil(() => feed.stats().activeStreams === 0, 'the stream to be freed');
    expect(feed.stats()).toMatchObject({ subscriptions: 0, rejected: 1 });
  });

  it.each([
    [
      'no action (a client that forgot the field: ACTION_UNSPECIFIED)',
      [0x12, 0x04, 0x41, 0x43, 0x4d, 0x45],
    ],
    [
      'an action number the contract does not define',
      [0x08, 0x07, 0x12, 0x04, 0x41, 0x43, 0x4d, 0x45],
    ],
  ])('%s is INVALID_ARGUMENT', async (_, bytes) => {
    const feed = await startFeed();
    const status = await withTimeout(rawSubscribe(feed.address, Buffer.from(bytes)), 'the status');
    expect(grpc.status[status.code]).toBe('INVALID_ARGUMENT');
    expect(status.details).toMatch(/action must be SUBSCRIBE or UNSUBSCRIBE/);
    await pollUntil(() => feed.stats().activeStreams === 0, 'the stream to be freed');
  });

  it('a request larger than maxReceiveMessageBytes is refused by grpc-js with RESOURCE_EXHAUSTED (DISTRIBUTED_ERR_LIMIT)', async () => {
    const feed = await startFeed({ maxReceiveMessageBytes: 256 });
    const many = Array.from({ length: 60 }, (_, i) => `S${i}`);
    const error = await endingOf(feed.address, (s) => s.subscribe(many));
    expect(error).toMatchObject({
      grpcStatus: 'RESOURCE_EXHAUSTED',
      code: 'DISTRIBUTED_ERR_LIMIT',
    });
    await pollUntil(() => feed.stats().activeStreams === 0, 'the stream to be freed');
  });

  it('a stream past maxStreams is refused with RESOURCE_EXHAUSTED and the open ones go on', async () => {
    const feed = await startFeed({ maxStreams: 1 });
    const first = collect(await openStream(feed.address, { symbols: ['ACME'] }));
    await pollUntil(() => feed.stats().activeStreams === 1, 'the first stream');
    const error = await endingOf(feed.address, () => {});
    expect(error).toMatchObject({
      grpcStatus: 'RESOURCE_EXHAUSTED',
      code: 'DISTRIBUTED_ERR_LIMIT',
    });
    feed.publish('ACME', 5);
    await pollUntil(
      () => first.state.latest.get('ACME')?.price === 5,
      'the first stream to get a price',
    );
    expect(feed.stats().activeStreams).toBe(1);
  });

  it('bytes that are not a protobuf message end the call with INTERNAL and free the stream', async () => {
    const feed = await startFeed();
    // 0xff… is a field tag whose varint never ends: no protobuf decoder can read it.
    const status = await withTimeout(
      rawSubscribe(feed.address, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff])),
      'the status of the raw call',
    );
    expect(grpc.status[status.code]).toBe('INTERNAL');
    expect(status.details).toMatch(/deserializ/i);
    await pollUntil(() => feed.stats().activeStreams === 0, 'the stream to be freed');
  });

  it('GetPrice for an unknown symbol is NOT_FOUND and for a malformed one INVALID_ARGUMENT', async () => {
    const feed = await startFeed();
    const unknown = await rejectionOf(requestGrpcPrice({ address: feed.address, symbol: 'NOPE' }));
    expect(unknown).toMatchObject({ grpcStatus: 'NOT_FOUND', code: 'DISTRIBUTED_ERR_PAYLOAD' });
    const malformed = await rejectionOf(requestGrpcPrice({ address: feed.address, symbol: '' }));
    expect(malformed).toMatchObject({
      grpcStatus: 'INVALID_ARGUMENT',
      code: 'DISTRIBUTED_ERR_PAYLOAD',
    });
    expect(feed.stats().pendingUnary).toBe(0);
  });

  it('after every kind of hostile call the server is up and a healthy stream opened before them has lost nothing', async () => {
    const feed = await startFeed({ maxReceiveMessageBytes: 256, maxSymbolsPerStream: 2 });
    const healthy = collect(await openStream(feed.address, { symbols: ['ACME'] }));
    await pollUntil(() => feed.stats().subscriptions === 1, 'the healthy subscription');
    const hostile = [
      endingOf(feed.address, (s) => s.subscribe(['NOPE'])),
      endingOf(feed.address, (s) => s.subscribe(['x'])),
      endingOf(feed.address, (s) => s.subscribe(['ACME', 'GLOBEX', 'INITECH'])),
      endingOf(feed.address, (s) => s.subscribe(Array.from({ length: 60 }, (_, i) => `S${i}`))),
      rawSubscribe(feed.address, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff])),
      rejectionOf(requestGrpcPrice({ address: feed.address, symbol: 'NOPE' })),
    ];
    for (let i = 1; i <= 50; i++) feed.publish('ACME', i);
    await withTimeout(Promise.all(hostile), 'every hostile call to end');
    await pollUntil(() => feed.stats().activeStreams === 1, 'only the healthy stream to remain');
    for (let i = 51; i <= 100; i++) feed.publish('ACME', i);
    await pollUntil(() => healthy.state.latest.get('ACME')?.price === 100, 'the last price');
    const prices = healthy.state.updates.map((u: PriceUpdate) => u.price);
    expect(prices).toEqual([...prices].sort((a, b) => a - b)); // in order, conflated maybe, never back
    expect(healthy.state.error).toBeUndefined();
    feed.publish('GLOBEX', 9);
    const fresh = await requestGrpcPrice({ address: feed.address, symbol: 'GLOBEX' });
    expect(fresh.price).toBe(9);
  });
});
