import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ManualClock, nextEvent, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  verifyWebhook,
  WEBHOOK_HEADERS,
  type WebhookDeadLetter,
  type WebhookEnvelope,
  type WebhookResult,
  WebhookSender,
  type WebhookSenderOptions,
} from '../../src/webhooks/index.ts';
import { startReceiver } from './receiver.ts';

const SECRET = 'whsec-test-0123456789abcdef';
const T = 1_767_225_600;

/** A sender on a manual clock (at T), jitter fixed at half the ceiling; closed after the test. */
function manualSender(options: Partial<WebhookSenderOptions> = {}) {
  const clock = new ManualClock();
  clock.advance(T * 1000);
  const sender = new WebhookSender({ secrets: SECRET, clock, random: () => 0.5, ...options });
  onTestFinished(() => sender.close());
  return { sender, clock };
}

const nextRetry = (sender: WebhookSender) =>
  nextEvent<[string, number, number]>(sender, 'retry').then(([, next, delayMs]) => ({
    next,
    delayMs,
  }));

describe('WebhookSender against a real HTTP receiver', () => {
  it('delivers a signed JSON envelope the receiver verifies, with its id and attempt headers', async () => {
    const receiver = await startReceiver(() => 204);
    const sender = new WebhookSender({ secrets: SECRET });
    onTestFinished(() => sender.close());
    const result = await withTimeout(
      sender.send(receiver.url, 'invoice.paid', { invoice: 42, note: 'é ✓' }, { id: 'evt_1' }),
      'the delivery',
    );
    expect(result).toEqual({ ok: true, id: 'evt_1', attempts: 1, status: 204 });
    const [request] = receiver.received;
    if (request === undefined) throw new Error('nothing received');
    expect(verifyWebhook(request.headers, request.body, SECRET).secretIndex).toBe(0);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers[WEBHOOK_HEADERS.id]).toBe('evt_1');
    expect(request.headers[WEBHOOK_HEADERS.attempt]).toBe('1');
    const envelope = JSON.parse(request.body.toString('utf8')) as WebhookEnvelope;
    expect(envelope).toMatchObject({
      id: 'evt_1',
      type: 'invoice.paid',
      data: { invoice: 42, note: 'é ✓' },
    });
    expect(sender.stats()).toMatchObject({ delivered: 1, attempts: 1, retries: 0, pending: 0 });
  });

  it('retries a receiver that fails twice, with doubling jittered backoff, then delivers once', async () => {
    const receiver = await startReceiver((n) => (n === 1 ? 500 : n === 2 ? 503 : 200));
    const { sender, clock } = manualSender({ baseDelayMs: 1000 });
    const attempts: string[] = [];
    sender.on('attempt', (_, n, outcome) => attempts.push(`${n}:${outcome.kind}`));
    const retry1 = nextRetry(sender);
    const result = sender.send(receiver.url, 'order.shipped', { order: 7 }, { id: 'evt_2' });
    // Full jitter: uniform in 0…base×2^(n−1); random() = 0.5 gives half of it.
    expect(await retry1).toEqual({ next: 2, delayMs: 500 });
    const retry2 = nextRetry(sender);
    clock.advance(499);
    expect(sender.stats().attempts).toBe(1); // not a millisecond early
    clock.advance(1);
    expect(await retry2).toEqual({ next: 3, delayMs: 1000 });
    clock.advance(1000);
    expect(await withTimeout(result, 'the delivery')).toEqual({
      ok: true,
      id: 'evt_2',
      attempts: 3,
      status: 200,
    });
    expect(attempts).toEqual(['1:retryable', '2:retryable', '3:delivered']);
    // The same id on every attempt (the receiver's idempotency key), the same body, signed anew.
    expect(receiver.received.map((r) => r.headers[WEBHOOK_HEADERS.id])).toEqual([
      'evt_2',
      'evt_2',
      'evt_2',
    ]);
    expect(receiver.received.map((r) => r.headers[WEBHOOK_HEADERS.attempt])).toEqual([
      '1',
      '2',
      '3',
    ]);
    expect(new Set(receiver.received.map((r) => r.body.toString())).size).toBe(1);
    const stamps = receiver.received.map(
      (r) => verifyWebhook(r.headers, r.body, SECRET, { now: () => clock.now() }).timestamp,
    );
    expect(stamps).toEqual([T, T, T + 1]);
    expect(sender.stats()).toMatchObject({
      delivered: 1,
      attempts: 3,
      retries: 2,
      deadLettered: 0,
    });
  });

  it('dead-letters a delivery to a receiver that always fails, and re-sends it once it is fixed', async () => {
    let broken = true;
    const receiver = await startReceiver(() => (broken ? 500 : 200));
    const { sender, clock } = manualSender({ maxAttempts: 3, baseDelayMs: 100 });
    const deadLetter = nextEvent<[WebhookDeadLetter]>(sender, 'deadLetter');
    const result = sender.send(receiver.url, 'user.deleted', { user: 9 }, { id: 'evt_3' });
    for (const delay of [50, 100]) {
      expect((await nextRetry(sender)).delayMs).toBe(delay);
      clock.advance(delay);
    }
    const [letter] = await deadLetter;
    expect(await result).toEqual({
      ok: false,
      id: 'evt_3',
      attempts: 3,
      reason: 'exhausted',
      lastError: 'HTTP 500',
    });
    expect(sender.deadLetters()).toEqual([letter]);
    expect(letter).toMatchObject({
      id: 'evt_3',
      url: receiver.url,
      attempts: 3,
      reason: 'exhausted',
    });
    expect(receiver.received).toHaveLength(3);

    broken = false;
    const again = await withTimeout(sender.resend('evt_3'), 'the re-sent delivery');
    expect(again).toEqual({ ok: true, id: 'evt_3', attempts: 1, status: 200 });
    expect(sender.deadLetters()).toEqual([]);
    const last = receiver.received[3];
    expect(last?.body.toString()).toBe(letter.body);
    expect(last?.headers[WEBHOOK_HEADERS.id]).toBe('evt_3');
    expect(() => sender.resend('evt_3')).toThrow(
      expect.objectContaining({ code: 'DISTRIBUTED_ERR_PAYLOAD' }),
    );
  });

  it('does not retry a refusal (400) and does not follow a redirect (302)', async () => {
    const receiver = await startReceiver((n, _, res) => {
      if (n === 2) res.setHeader('location', 'http://127.0.0.1:1/elsewhere');
      return n === 1 ? 400 : 302;
    });
    const { sender } = manualSender();
    expect(await sender.send(receiver.url, 'a', 1, { id: 'evt_4' })).toMatchObject({
      ok: false,
      attempts: 1,
      reason: 'refused',
      lastError: 'HTTP 400',
    });
    expect(await sender.send(receiver.url, 'a', 1, { id: 'evt_5' })).toMatchObject({
      ok: false,
      attempts: 1,
      reason: 'refused',
      lastError: 'HTTP 302',
    });
    expect(sender.deadLetters().map((l) => `${l.id}:${l.reason}`)).toEqual([
      'evt_4:refused',
      'evt_5:refused',
    ]);
    expect(receiver.received).toHaveLength(2);
  });

  it('aborts an attempt past deliveryTimeoutMs; the retry is deduplicated by id at the receiver', async () => {
    // The receiver processes the first request, then never answers (its answer is "lost").
    const processed = new Set<string>();
    let duplicates = 0;
    const receiver = await startReceiver((n, request) => {
      verifyWebhook(request.headers, request.body, SECRET, { now: () => clock.now() });
      const id = request.headers[WEBHOOK_HEADERS.id] as string;
      if (processed.has(id)) duplicates++;
      processed.add(id);
      return n === 1 ? 'hang' : 200;
    });
    const { sender, clock } = manualSender({ deliveryTimeoutMs: 10_000, baseDelayMs: 2000 });
    const attempt = nextEvent<[string, number, { kind: string; error?: string }]>(
      sender,
      'attempt',
    );
    const result = sender.send(receiver.url, 'payment.captured', { amount: 5 }, { id: 'evt_6' });
    await nextEvent(receiver.events, 'request');
    clock.advance(9_999);
    expect(sender.stats().attempts).toBe(1);
    const retry = nextRetry(sender);
    clock.advance(1);
    const [, , outcome] = await attempt;
    expect(outcome).toEqual({ kind: 'retryable', error: 'timeout after 10000 ms' });
    clock.advance((await retry).delayMs);
    expect(await withTimeout(result, 'the delivery')).toMatchObject({ ok: true, attempts: 2 });
    expect([...processed]).toEqual(['evt_6']);
    expect(duplicates).toBe(1); // seen twice, processed once
  });

  it('retries when nothing listens (connection refused), and dead-letters with the cause', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const { sender, clock } = manualSender({ maxAttempts: 2, baseDelayMs: 10 });
    const result = sender.send(`http://127.0.0.1:${port}/`, 'a', 1);
    clock.advance((await nextRetry(sender)).delayMs);
    const done = (await withTimeout(result, 'the delivery')) as Extract<
      WebhookResult,
      { ok: false }
    >;
    expect(done).toMatchObject({ ok: false, attempts: 2, reason: 'exhausted' });
    expect(done.lastError).toMatch(/ECONNREFUSED/);
  });

  it("honours a 429's Retry-After, capped at maxDelayMs", async () => {
    const receiver = await startReceiver((n, _, res) => {
      res.setHeader('retry-after', n === 1 ? '7' : '9999');
      return n <= 2 ? 429 : 200;
    });
    const { sender, clock } = manualSender({ baseDelayMs: 100, maxDelayMs: 60_000 });
    const result = sender.send(receiver.url, 'a', 1);
    const first = await nextRetry(sender);
    expect(first.delayMs).toBe(7000);
    const second = nextRetry(sender);
    clock.advance(7000);
    expect((await second).delayMs).toBe(60_000);
    clock.advance(60_000);
    expect(await withTimeout(result, 'the delivery')).toMatchObject({ ok: true, attempts: 3 });
  });

  it('keeps at most maxDeadLetters, dropping the oldest and counting it', async () => {
    const receiver = await startReceiver(() => 410);
    const { sender } = manualSender({ maxDeadLetters: 2 });
    for (const id of ['a', 'b', 'c']) await sender.send(receiver.url, 't', 1, { id });
    expect(sender.deadLetters().map((l) => l.id)).toEqual(['b', 'c']);
    expect(sender.stats()).toMatchObject({ deadLettered: 3, deadLettersDropped: 1 });
    expect(sender.discard('b')).toBe(true);
    expect(sender.discard('b')).toBe(false);
    expect(sender.deadLetters().map((l) => l.id)).toEqual(['c']);
  });

  it('refuses a send past maxPending, one with an id in flight, and anything after close()', async () => {
    const receiver = await startReceiver(() => 'hang');
    const { sender } = manualSender({ maxPending: 1 });
    const first = sender.send(receiver.url, 't', 1, { id: 'x' });
    expect(() => sender.send(receiver.url, 't', 1, { id: 'x' })).toThrow(/already being delivered/);
    expect(() => sender.send(receiver.url, 't', 1)).toThrow(
      expect.objectContaining({ code: 'DISTRIBUTED_ERR_LIMIT' }),
    );
    await nextEvent(receiver.events, 'request');
    sender.close();
    expect(await first).toMatchObject({ ok: false, reason: 'closed' });
    expect(sender.deadLetters()).toEqual([]);
    expect(() => sender.send(receiver.url, 't', 1)).toThrow(/closed/);
  });

  it('refuses data that is not JSON, and bad options', () => {
    const { sender } = manualSender();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => sender.send('http://127.0.0.1:1/', 't', cyclic)).toThrow(
      expect.objectContaining({ code: 'DISTRIBUTED_ERR_PAYLOAD' }),
    );
    for (const url of ['not a url', 'file:///etc/passwd', 'ftp://127.0.0.1/'])
      expect(() => sender.send(url, 't', 1)).toThrow(TypeError);
    expect(() => new WebhookSender({ secrets: SECRET, maxAttempts: 0 })).toThrow(RangeError);
    expect(() => new WebhookSender({ secrets: 'short' })).toThrow(RangeError);
    expect(() => new WebhookSender({ secrets: SECRET, deliveryTimeoutMs: 1.5 })).toThrow(TypeError);
  });
});

describe('WebhookSender backoff', () => {
  it('caps each jittered delay at maxDelayMs and never exceeds base × 2^(n−1)', async () => {
    const clock = new ManualClock();
    const draws = [0.999, 0, 0.999, 0.999, 0.999, 0.999];
    const sender = new WebhookSender({
      secrets: SECRET,
      clock,
      maxAttempts: 7,
      baseDelayMs: 1000,
      maxDelayMs: 5000,
      random: () => draws.shift() ?? 0.5,
      fetch: async () => new Response('busy', { status: 503 }),
    });
    onTestFinished(() => sender.close());
    const delays: number[] = [];
    const result = sender.send('http://127.0.0.1:1/', 't', 1);
    for (let i = 0; i < 6; i++) {
      const { delayMs } = await nextRetry(sender);
      delays.push(delayMs);
      clock.advance(delayMs);
    }
    expect(delays).toEqual([999, 0, 3996, 4995, 4995, 4995]);
    expect(await result).toMatchObject({
      ok: false,
      attempts: 7,
      reason: 'exhausted',
      lastError: 'HTTP 503',
    });
  });
});
