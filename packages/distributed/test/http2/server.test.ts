import http2 from 'node:http2';
import { pollUntil, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { listenH2, readH2Body } from '../../src/http2/index.ts';
import { gate, Turnstile } from '../service-protocol/gate.ts';
import { openSession, request, serve } from './client.ts';

describe('listenH2: many streams on one session', () => {
  it('answers 100 concurrent requests on one connection, each with its own body, in any order', async () => {
    const gates = Array.from({ length: 100 }, () => gate());
    const server = await serve({
      handler: async (stream, headers) => {
        const n = Number(String(headers[':path']).slice(1));
        await gates[n]?.promise;
        stream.respond({ ':status': 200 });
        stream.end(`reply ${n}`);
      },
    });
    const session = await openSession(server.origin);
    const replies = gates.map((_, n) => request(session, `/${n}`));
    // Answer from the last to the first: the responses interleave against the request order.
    for (let n = 99; n >= 0; n--) gates[n]?.resolve();
    const done = await withTimeout(Promise.all(replies), 'all 100 responses');
    expect(done.map((reply) => `${reply.status} ${reply.body}`)).toEqual(
      gates.map((_, n) => `200 reply ${n}`),
    );
    expect(server.sessions.size).toBe(1);
  });

  it('finishes a fast stream while a slow one on the same connection is still waiting', async () => {
    const slow = gate();
    onTestFinished(() => slow.resolve());
    const server = await serve({
      handler: async (stream, headers) => {
        if (headers[':path'] === '/slow') await slow.promise;
        stream.respond({ ':status': 200 });
        stream.end(String(headers[':path']));
      },
    });
    const session = await openSession(server.origin);
    let slowDone = false;
    const slowReply = request(session, '/slow').then((reply) => {
      slowDone = true;
      return reply;
    });
    const fast = await request(session, '/fast');
    expect(fast.body).toBe('/fast');
    expect(slowDone).toBe(false);
    slow.resolve();
    expect((await slowReply).body).toBe('/slow');
  });
});

describe('listenH2: settings and hostile streams', () => {
  it('announces maxConcurrentStreams and initialWindowSize in its SETTINGS', async () => {
    const server = await serve({
      maxConcurrentStreams: 7,
      initialWindowSize: 1024,
      handler: (stream) => stream.respond({ ':status': 204 }, { endStream: true }),
    });
    const session = await openSession(server.origin);
    expect(session.remoteSettings).toMatchObject({
      maxConcurrentStreams: 7,
      initialWindowSize: 1024,
    });
  });

  it("never has more than maxConcurrentStreams streams open: node's client waits for a slot", async () => {
    const turnstile = new Turnstile();
    onTestFinished(() => turnstile.releaseAll());
    const server = await serve({
      maxConcurrentStreams: 2,
      handler: async (stream) => {
        await turnstile.enter();
        stream.respond({ ':status': 200 });
        stream.end('ok');
      },
    });
    const session = await openSession(server.origin);
    const replies = Array.from({ length: 5 }, (_, n) => request(session, `/${n}`));
    await pollUntil(() => turnstile.started === 2, 'two streams to start');
    for (let n = 0; n < 5; n++) {
      await pollUntil(() => turnstile.entered(n), `stream ${n + 1} to start`);
      turnstile.release(n);
    }
    const done = await Promise.all(replies);
    expect(done.map((reply) => reply.body)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(turnstile.most).toBe(2);
  });

  it('answers 413 and resets a stream whose body passes the limit, and serves the session on', async () => {
    const server = await serve({
      handler: async (stream) => {
        const body = await readH2Body(stream, 1000);
        if (body === undefined) return;
        stream.respond({ ':status': 200 });
        stream.end(`got ${body.length}`);
      },
    });
    const session = await openSession(server.origin);
    const big = await request(session, '/upload', { method: 'POST', body: Buffer.alloc(50_000) });
    expect(big.status).toBe(413);
    const small = await request(session, '/upload', { method: 'POST', body: Buffer.alloc(999) });
    expect([small.status, small.body]).toEqual([200, 'got 999']);
  });

  it('resets an idle stream with CANCEL', async () => {
    const server = await serve({ streamIdleTimeoutMs: 50, handler: () => {} });
    const session = await openSession(server.origin);
    const reply = await request(session, '/never');
    expect(reply.rstCode).toBe(http2.constants.NGHTTP2_CANCEL);
  });

  it('answers 500 when the handler throws', async () => {
    const server = await serve({
      handler: () => {
        throw new Error('boom');
      },
    });
    const session = await openSession(server.origin);
    expect((await request(session, '/')).status).toBe(500);
  });

  it('closes with GOAWAY: the session ends and the server stops', async () => {
    const server = await listenH2({
      handler: (stream) => stream.respond({ ':status': 204 }, { endStream: true }),
    });
    const session = await openSession(server.origin);
    await request(session, '/');
    const goaway = new Promise<void>((resolve) => session.once('goaway', () => resolve()));
    await withTimeout(Promise.all([server.close(), goaway]), 'the server to close');
    await pollUntil(() => session.closed || session.destroyed, 'the client session to close');
  });
});
