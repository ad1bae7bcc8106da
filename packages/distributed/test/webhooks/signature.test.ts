import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  signWebhook,
  verifyWebhook,
  WEBHOOK_HEADERS,
  WebhookSignatureError,
} from '../../src/webhooks/index.ts';

const SECRET = 'whsec-test-0123456789abcdef';
const OLD_SECRET = 'whsec-old-0123456789abcdef';
const T = 1_767_225_600; // 2026-01-01T00:00:00Z
const at = (seconds: number) => () => seconds * 1000;
const BODY = '{"id":"evt_1","type":"invoice.paid","data":{"amount":42}}';

function refusal(fn: () => unknown): WebhookSignatureError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookSignatureError);
    expect((error as WebhookSignatureError).code).toBe('DISTRIBUTED_ERR_SIGNATURE');
    return error as WebhookSignatureError;
  }
  throw new Error('expected a refusal, and it verified');
}

const headers = (signature: string) => ({ [WEBHOOK_HEADERS.signature]: signature });

describe('signWebhook', () => {
  it('signs "<t>.<body>" with HMAC-SHA256, hex, as t=…,v1=…', () => {
    const expected = createHmac('sha256', SECRET).update(`${T}.${BODY}`).digest('hex');
    expect(signWebhook(BODY, SECRET, T)).toBe(`t=${T},v1=${expected}`);
    expect(signWebhook(Buffer.from(BODY), SECRET, T)).toBe(`t=${T},v1=${expected}`);
  });

  it('adds one v1 per secret, in order, while a rotation is under way', () => {
    const value = signWebhook(BODY, [SECRET, OLD_SECRET], T);
    expect(value.split(',')).toEqual([
      `t=${T}`,
      `v1=${createHmac('sha256', SECRET).update(`${T}.${BODY}`).digest('hex')}`,
      `v1=${createHmac('sha256', OLD_SECRET).update(`${T}.${BODY}`).digest('hex')}`,
    ]);
  });

  it('refuses no secret, a short one and a bad timestamp with RangeError', () => {
    expect(() => signWebhook(BODY, [], T)).toThrow(RangeError);
    expect(() => signWebhook(BODY, 'short', T)).toThrow(/at least 16 bytes, got 5/);
    expect(() => signWebhook(BODY, SECRET, -1)).toThrow(RangeError);
    expect(() => signWebhook(BODY, SECRET, 1.5)).toThrow(RangeError);
  });
});

describe('verifyWebhook', () => {
  it('accepts a signed body within the window, from Node headers or fetch Headers', () => {
    const signature = signWebhook(BODY, SECRET, T);
    expect(verifyWebhook(headers(signature), BODY, SECRET, { now: at(T + 10) })).toEqual({
      timestamp: T,
      secretIndex: 0,
    });
    const fetchHeaders = new Headers({ 'Webhook-Signature': signature });
    expect(verifyWebhook(fetchHeaders, Buffer.from(BODY), SECRET, { now: at(T - 10) })).toEqual({
      timestamp: T,
      secretIndex: 0,
    });
    expect(
      verifyWebhook({ 'Webhook-Signature': signature }, BODY, SECRET, { now: at(T) }).timestamp,
    ).toBe(T);
  });

  it('refuses a missing or empty header', () => {
    expect(refusal(() => verifyWebhook({}, BODY, SECRET)).reason).toBe('missing');
    expect(refusal(() => verifyWebhook(headers(''), BODY, SECRET)).reason).toBe('missing');
  });

  it.each([
    ['no timestamp', 'v1=00'],
    ['a timestamp that is not digits', `t=-5,v1=${'0'.repeat(64)}`],
    ['no v1', `t=${T}`],
    ['a short v1', `t=${T},v1=abcd`],
    ['upper-case hex', `t=${T},v1=${'A'.repeat(64)}`],
    ['another scheme only', `t=${T},v0=${'0'.repeat(64)}`],
    ['spaces', `t=${T}, v1=${'0'.repeat(64)}`],
    ['nine signatures', `t=${T}${`,v1=${'0'.repeat(64)}`.repeat(9)}`],
    ['a CR LF', `t=${T}\r\nv1=${'0'.repeat(64)}`],
    ['a huge value', `t=${T},v1=${'0'.repeat(5000)}`],
  ])('refuses a malformed header: %s', (_, value) => {
    const error = refusal(() => verifyWebhook(headers(value), BODY, SECRET, { now: at(T) }));
    expect(error.reason).toBe('malformed');
    expect(error.message.length).toBeLessThan(300);
  });

  it('refuses a tampered body, saying what may have happened', () => {
    const signature = signWebhook(BODY, SECRET, T);
    const error = refusal(() =>
      verifyWebhook(headers(signature), BODY.replace('42', '4200'), SECRET, { now: at(T) }),
    );
    expect(error.reason).toBe('mismatch');
    expect(error.message).toMatch(/tampered body/);
  });

  it('refuses a body that was parsed and serialised again (verify the raw bytes)', () => {
    const raw = '{ "id": "evt_1",  "amount": 42 }';
    const signature = signWebhook(raw, SECRET, T);
    const again = JSON.stringify(JSON.parse(raw));
    expect(
      refusal(() => verifyWebhook(headers(signature), again, SECRET, { now: at(T) })).reason,
    ).toBe('mismatch');
  });

  it('refuses the wrong secret', () => {
    const signature = signWebhook(BODY, 'someone-elses-secret-0123', T);
    expect(
      refusal(() => verifyWebhook(headers(signature), BODY, SECRET, { now: at(T) })).reason,
    ).toBe('mismatch');
  });

  it('refuses a signature over a different timestamp (a replay with a fresh t)', () => {
    const original = signWebhook(BODY, SECRET, T);
    const replayed = original.replace(`t=${T}`, `t=${T + 600}`);
    expect(
      refusal(() => verifyWebhook(headers(replayed), BODY, SECRET, { now: at(T + 600) })).reason,
    ).toBe('mismatch');
  });

  it('holds the replay window at its edges: 300 s either way passes, 301 s is refused', () => {
    const signature = signWebhook(BODY, SECRET, T);
    expect(verifyWebhook(headers(signature), BODY, SECRET, { now: at(T + 300) }).timestamp).toBe(T);
    expect(verifyWebhook(headers(signature), BODY, SECRET, { now: at(T - 300) }).timestamp).toBe(T);
    const stale = refusal(() =>
      verifyWebhook(headers(signature), BODY, SECRET, { now: at(T + 301) }),
    );
    expect(stale.reason).toBe('stale');
    expect(stale.message).toMatch(/301 s ago, past the 300 s window/);
    const future = refusal(() =>
      verifyWebhook(headers(signature), BODY, SECRET, { now: at(T - 301) }),
    );
    expect(future.reason).toBe('future');
    const strict = refusal(() =>
      verifyWebhook(headers(signature), BODY, SECRET, { now: at(T + 31), toleranceSeconds: 30 }),
    );
    expect(strict.reason).toBe('stale');
  });

  it('checks the window before the signature: a stale request costs no HMAC', () => {
    const forged = `t=${T - 10_000},v1=${'0'.repeat(64)}`;
    expect(refusal(() => verifyWebhook(headers(forged), BODY, SECRET, { now: at(T) })).reason).toBe(
      'stale',
    );
  });

  it('rotates keys: the receiver accepts the new or the old secret and says which', () => {
    const byOld = signWebhook(BODY, OLD_SECRET, T);
    const byBoth = signWebhook(BODY, [SECRET, OLD_SECRET], T);
    const receiver = [SECRET, OLD_SECRET];
    expect(verifyWebhook(headers(byOld), BODY, receiver, { now: at(T) }).secretIndex).toBe(1);
    expect(verifyWebhook(headers(byBoth), BODY, receiver, { now: at(T) }).secretIndex).toBe(0);
    // A receiver not yet told the new secret still accepts a sender signing with both.
    expect(verifyWebhook(headers(byBoth), BODY, OLD_SECRET, { now: at(T) }).secretIndex).toBe(0);
    // Once the old secret is retired, what only it signed is refused.
    expect(refusal(() => verifyWebhook(headers(byOld), BODY, SECRET, { now: at(T) })).reason).toBe(
      'mismatch',
    );
  });

  it('refuses bad options with RangeError', () => {
    const signature = signWebhook(BODY, SECRET, T);
    expect(() => verifyWebhook(headers(signature), BODY, [], { now: at(T) })).toThrow(RangeError);
    expect(() =>
      verifyWebhook(headers(signature), BODY, SECRET, { toleranceSeconds: -1, now: at(T) }),
    ).toThrow(RangeError);
  });

  it('refuses any change of any one byte of the body (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (body, at_, flip) => {
          const signature = signWebhook(body, SECRET, T);
          expect(verifyWebhook(headers(signature), body, SECRET, { now: at(T) }).timestamp).toBe(T);
          const changed = Uint8Array.from(body);
          const i = at_ % changed.length;
          changed[i] = (changed[i] as number) ^ flip;
          expect(
            refusal(() => verifyWebhook(headers(signature), changed, SECRET, { now: at(T) }))
              .reason,
          ).toBe('mismatch');
        },
      ),
      { numRuns: 200 },
    );
  });
});
