import dgram from 'node:dgram';
import { pollUntil, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createUdpClient, type UdpClientOptions, udpRequest } from '../../src/udp/client.ts';
import { decodeUdpMessage, encodeUdpMessage } from '../../src/udp/message.ts';
import { createUdpServer, type UdpServerOptions } from '../../src/udp/server.ts';
import { reply, startScriptedUdpServer } from '../helpers/udp-scripted.ts';

async function startServer(options: Partial<UdpServerOptions> = {}) {
  const server = createUdpServer({
    handler: (payload) => Buffer.from(payload.toString().toUpperCase()),
    ...options,
  });
  onTestFinished(() => server.close());
  const address = await server.listen();
  return { server, port: address.port };
}

function client(options: UdpClientOptions) {
  const c = createUdpClient(options);
  onTestFinished(() => c.close());
  return c;
}

/** Sends raw bytes from a fresh socket and resolves with the first datagram back (bounded). */
async function rawExchange(
  port: number,
  datagrams: Uint8Array[],
  host = '127.0.0.1',
): Promise<Buffer> {
  const socket = dgram.createSocket('udp4');
  onTestFinished(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  const answer = new Promise<Buffer>((resolve) => socket.once('message', resolve));
  for (const d of datagrams) socket.send(d, port, host);
  return withTimeout(answer, 'an answer to a raw datagram');
}

describe('UDP request/response on real sockets', () => {
  it('answers a request on 127.0.0.1', async () => {
    const { port } = await startServer();
    const c = client({ host: '127.0.0.1', port });
    expect((await c.request(Buffer.from('ping'))).toString()).toBe('PING');
    expect(c.stats).toMatchObject({ sent: 1, retransmits: 0, answered: 1 });
  });

  it('answers a request on ::1', async () => {
    const { port } = await startServer({ host: '::1' });
    expect((await udpRequest('::1', port, Buffer.from('six'))).toString()).toBe('SIX');
  });

  it('matches many concurrent requests to their answers by id', async () => {
    const { port } = await startServer({
      handler: async (payload) => {
        // answers come back in a different order than the requests went out
        await new Promise((resolve) => setImmediate(resolve));
        return Buffer.from(`re:${payload}`);
      },
    });
    const c = client({ host: '127.0.0.1', port, timeoutMs: 1000 });
    const words = Array.from({ length: 30 }, (_, i) => `w${i}`);
    const answers = await Promise.all(words.map((w) => c.request(Buffer.from(w))));
    expect(answers.map(String)).toEqual(words.map((w) => `re:${w}`));
  });

  it('retries until a server that drops the first 2 requests answers', async () => {
    const scripted = await startScriptedUdpServer((req, n) =>
      n <= 2 ? [] : [reply(req, 'third time')],
    );
    const c = client({
      host: '127.0.0.1',
      port: scripted.port,
      timeoutMs: 50,
      retries: 3,
      backoff: 2,
    });
    expect((await c.request(Buffer.from('x'))).toString()).toBe('third time');
    expect(c.stats).toMatchObject({ sent: 3, retransmits: 2 });
    // every retry reuses the request id, so the server can recognise it
    expect(new Set(scripted.requests.map((r) => r.id)).size).toBe(1);
  });

  it('fails with TCPUDP_ERR_RETRIES_EXHAUSTED when nobody answers', async () => {
    const scripted = await startScriptedUdpServer(() => []);
    const c = client({ host: '127.0.0.1', port: scripted.port, timeoutMs: 20, retries: 2 });
    await expect(c.request(Buffer.from('x'))).rejects.toMatchObject({
      name: 'TimeoutError',
      code: 'TCPUDP_ERR_RETRIES_EXHAUSTED',
      timeoutMs: 20 + 40 + 80,
    });
    expect(scripted.requests).toHaveLength(3);
    expect(c.outstanding).toBe(0);
  });

  it('drops a duplicate answer and a stale answer to another id', async () => {
    const scripted = await startScriptedUdpServer((req) => [
      reply(req, 'stale', (req.id + 1000) >>> 0),
      reply(req, `answer ${req.payload}`),
      reply(req, `answer ${req.payload} again`),
    ]);
    const c = client({ host: '127.0.0.1', port: scripted.port, timeoutMs: 1000 });
    expect((await c.request(Buffer.from('1'))).toString()).toBe('answer 1');
    expect((await c.request(Buffer.from('2'))).toString()).toBe('answer 2');
    await pollUntil(() => c.stats.stale >= 4, 'the stale and duplicate answers to be counted');
    expect(c.stats.answered).toBe(2);
  });

  it('runs the handler once for a request that is retried (at-most-once)', async () => {
    let runs = 0;
    const { server, port } = await startServer({
      handler: () => Buffer.from(`run ${++runs}`),
    });
    const request = encodeUdpMessage({ type: 'request', id: 42, payload: Buffer.from('x') });
    // the same datagram three times, as a client whose answers were lost would send it
    const socket = dgram.createSocket('udp4');
    onTestFinished(() => new Promise<void>((resolve) => socket.close(() => resolve())));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const answers: string[] = [];
    socket.on('message', (m) => answers.push(Buffer.from(decodeUdpMessage(m).payload).toString()));
    for (let i = 0; i < 3; i++) socket.send(request, port, '127.0.0.1');
    await pollUntil(() => answers.length === 3, 'three answers');
    expect(answers).toEqual(['run 1', 'run 1', 'run 1']);
    expect(runs).toBe(1);
    expect(server.stats).toMatchObject({ executed: 1, duplicates: 2 });
  });

  it('keeps serving a good client while garbage and oversized datagrams arrive', async () => {
    const { server, port } = await startServer({ maxDatagramBytes: 100 });
    const c = client({ host: '127.0.0.1', port, timeoutMs: 500 });
    const garbage = dgram.createSocket('udp4');
    onTestFinished(() => new Promise<void>((resolve) => garbage.close(() => resolve())));
    const junk = [
      Buffer.alloc(0),
      Buffer.from([1, 2]),
      Buffer.from('GET / HTTP/1.1\r\n'),
      Buffer.alloc(500, 1),
    ];
    const flood = (async () => {
      for (let i = 0; i < 50; i++) {
        await new Promise<void>((resolve) =>
          garbage.send(junk[i % junk.length] ?? '', port, '127.0.0.1', () => resolve()),
        );
      }
    })();
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => c.request(Buffer.from(`g${i}`))),
    );
    await flood;
    expect(answers.map(String)).toEqual(Array.from({ length: 10 }, (_, i) => `G${i}`));
    await pollUntil(() => server.stats.received >= 60, 'every datagram to reach the server');
    expect(server.stats.oversized).toBe(12);
    expect(server.stats.malformed).toBe(38);
    expect(server.stats.executed).toBe(10);
  });

  it('answers a handler failure and an oversized response with an error response', async () => {
    const { port } = await startServer({
      maxDatagramBytes: 64,
      handler: (p) => {
        if (p.toString() === 'boom') throw new Error('it broke');
        return Buffer.alloc(200);
      },
    });
    const c = client({ host: '127.0.0.1', port, timeoutMs: 500 });
    await expect(c.request(Buffer.from('boom'))).rejects.toMatchObject({
      code: 'TCPUDP_ERR_REMOTE',
      remoteMessage: 'it broke',
    });
    await expect(c.request(Buffer.from('big'))).rejects.toMatchObject({
      code: 'TCPUDP_ERR_REMOTE',
    });
  });

  it('refuses a request larger than maxDatagramBytes before sending it', async () => {
    const c = client({ host: '127.0.0.1', port: 9, maxDatagramBytes: 100 });
    await expect(c.request(Buffer.alloc(96))).rejects.toMatchObject({
      code: 'TCPUDP_ERR_FRAME_TOO_LARGE',
      limit: 100,
      actual: 101,
    });
    expect(c.stats.sent).toBe(0);
  });

  it('bounds outstanding requests and fails the waiting ones on close', async () => {
    const scripted = await startScriptedUdpServer(() => []);
    const c = client({
      host: '127.0.0.1',
      port: scripted.port,
      maxOutstanding: 2,
      timeoutMs: 5000,
    });
    const first = c.request(Buffer.from('1'));
    const second = c.request(Buffer.from('2'));
    await expect(c.request(Buffer.from('3'))).rejects.toMatchObject({
      code: 'TCPUDP_ERR_LIMIT_EXCEEDED',
      limit: 2,
    });
    await c.close();
    await expect(first).rejects.toMatchObject({ code: 'TCPUDP_ERR_CLOSED' });
    await expect(second).rejects.toMatchObject({ code: 'TCPUDP_ERR_CLOSED' });
    await expect(c.request(Buffer.from('4'))).rejects.toMatchObject({ code: 'TCPUDP_ERR_CLOSED' });
  });

  it('ignores answers from a non-request envelope sent to the server', async () => {
    const { server, port } = await startServer();
    const good = encodeUdpMessage({ type: 'request', id: 1, payload: Buffer.from('ok') });
    const answer = await rawExchange(port, [
      encodeUdpMessage({ type: 'response', id: 1, payload: Buffer.alloc(0) }),
      good,
    ]);
    expect(Buffer.from(decodeUdpMessage(answer).payload).toString()).toBe('OK');
    expect(server.stats.malformed).toBe(1);
  });

  it('refuses bad options synchronously', () => {
    expect(() => createUdpClient({ host: 'localhost', port: 1 })).toThrow(TypeError);
    expect(() => createUdpClient({ host: '127.0.0.1', port: 0 })).toThrow(RangeError);
    expect(() => createUdpClient({ host: '127.0.0.1', port: 1, timeoutMs: -1 })).toThrow(
      RangeError,
    );
    expect(() =>
      createUdpServer({ handler: () => Buffer.alloc(0), maxDatagramBytes: 70_000 }),
    ).toThrow(RangeError);
  });
});
