import zlib from 'node:zlib';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type DeflateAgreement, DeflateContext } from '../../src/extensions/index.ts';

const AGREED: DeflateAgreement = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};
const SETTINGS = { threshold: 0, level: 6, memLevel: 8 };

/** A context, closed when the test ends. */
function context(
  agreement: Partial<DeflateAgreement> = {},
  max = 16 * 1024 * 1024,
  role: 'server' | 'client' = 'server',
) {
  const ctx = new DeflateContext({ ...AGREED, ...agreement }, role, SETTINGS, max);
  onTestFinished(() => ctx.close());
  return ctx;
}

const MESSAGE = Buffer.from('the same words, again and again; '.repeat(20));

describe('DeflateContext', () => {
  it('strips the 00 00 ff ff tail, and inflates what it deflated', async () => {
    const sender = context();
    const receiver = context({}, undefined, 'client');
    const compressed = await sender.deflate(MESSAGE);
    expect(compressed.subarray(-4).equals(Buffer.from([0, 0, 0xff, 0xff]))).toBe(false);
    expect((await receiver.inflate(compressed, true)).equals(MESSAGE)).toBe(true);
  });

  it('keeps its context between messages unless told not to', async () => {
    const keeping = context();
    const first = await keeping.deflate(MESSAGE);
    const second = await keeping.deflate(MESSAGE);
    expect(second.length).toBeLessThan(first.length / 2);
    const resetting = context({ serverNoContextTakeover: true });
    const a = await resetting.deflate(MESSAGE);
    const b = await resetting.deflate(MESSAGE);
    expect(b.equals(a)).toBe(true);
    expect(a.equals(first)).toBe(true);
  });

  it('reads messages that each end with a final block (BFINAL set), as RFC 7692 §7.2.3.4 allows', async () => {
    const receiver = context();
    // zlib's deflateRawSync finishes its stream: a final block, no empty stored block.
    for (const text of ['first message, first message', 'second', 'third and last']) {
      const whole = zlib.deflateRawSync(Buffer.from(text));
      expect((await receiver.inflate(whole, true)).toString()).toBe(text);
    }
  });

  it('fails with 1007, not silence, when a message goes on after its final block', async () => {
    const receiver = context();
    const whole = zlib.deflateRawSync(Buffer.from('ends here'));
    expect((await receiver.inflate(whole, false)).toString()).toBe('ends here');
    await expect(
      receiver.inflate(zlib.deflateRawSync(Buffer.from('lost')), true),
    ).rejects.toMatchObject({
      code: 'WEBSOCKET_ERR_COMPRESSION',
      closeCode: 1007,
    });
  });

  it('inflates a message in fragments and in order, however the calls interleave', async () => {
    const sender = context({}, undefined, 'client');
    const receiver = context();
    const one = await sender.deflate(MESSAGE);
    const two = await sender.deflate(Buffer.from('two'));
    const cut = Math.floor(one.length / 2);
    const parts = await Promise.all([
      receiver.inflate(one.subarray(0, cut), false),
      receiver.inflate(one.subarray(cut), true),
      receiver.inflate(two, true),
    ]);
    expect(Buffer.concat(parts.slice(0, 2)).equals(MESSAGE)).toBe(true);
    expect(parts[2]?.toString()).toBe('two');
  });

  it('stops inflating a bomb one chunk past the limit, and is then closed', async () => {
    const bomb = zlib.deflateRawSync(Buffer.alloc(64 * 1024 * 1024), {
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
    });
    expect(bomb.length).toBeLessThan(128 * 1024);
    const receiver = context({}, 64 * 1024);
    const error = await receiver.inflate(bomb.subarray(0, -4), true).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(error).toMatchObject({ code: 'WEBSOCKET_ERR_MESSAGE_TOO_BIG', closeCode: 1009 });
    const stoppedAt = Number(/stopped at (\d+) bytes/.exec(error?.message ?? '')?.[1]);
    expect(stoppedAt).toBeGreaterThan(64 * 1024);
    expect(stoppedAt).toBeLessThanOrEqual(80 * 1024);
    await expect(receiver.inflate(Buffer.from([0]), true)).rejects.toMatchObject({
      code: 'WEBSOCKET_ERR_COMPRESSION',
    });
  });

  it('rejects data that is not DEFLATE with 1007', async () => {
    const receiver = context();
    await expect(receiver.inflate(Buffer.from([0xff, 0xfe, 0xfd]), true)).rejects.toMatchObject({
      code: 'WEBSOCKET_ERR_COMPRESSION',
      closeCode: 1007,
    });
  });

  it('takes an empty compressed payload as an empty message', async () => {
    const receiver = context();
    expect((await receiver.inflate(Buffer.alloc(0), true)).length).toBe(0);
    const sender = context({}, undefined, 'client');
    expect((await receiver.inflate(await sender.deflate(MESSAGE), true)).equals(MESSAGE)).toBe(
      true,
    );
  });
});
