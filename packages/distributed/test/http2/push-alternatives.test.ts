import http2 from 'node:http2';
import { pollUntil, withTimeout } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../../websockets/test/helpers/self-signed.ts';
import { DistributedError } from '../../src/errors.ts';
import {
  type H2EventStream,
  openH2EventStream,
  pushResource,
  sendEarlyHints,
} from '../../src/http2/index.ts';
import { SseParser } from '../../src/sse/index.ts';
import { openSession, request, serve } from './client.ts';

const certificate = selfSignedCertificate();

describe('the alternatives to server push', () => {
  it('streams events on one HTTP/2 stream while other requests share the connection', async () => {
    let events: H2EventStream | undefined;
    const server = await serve({
      handler: (stream, headers) => {
        if (headers[':path'] === '/events') {
          events = openH2EventStream(stream);
          return;
        }
        stream.respond({ ':status': 200 });
        stream.end('pong');
      },
    });
    const session = await openSession(server.origin);
    const stream = session.request({ ':path': '/events' });
    const parser = new SseParser();
    const received: string[] = [];
    let arrived = (): void => {};
    stream.on('data', (chunk: Buffer) => {
      for (const item of parser.feed(chunk)) {
        if (item.type === 'event') received.push(`${item.event}:${item.data}`);
      }
      arrived();
    });
    const [headers] = await withTimeout(
      new Promise<[http2.IncomingHttpHeaders]>((resolve) =>
        stream.once('response', (h) => resolve([h])),
      ),
      'the event stream headers',
    );
    expect(headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const until = (count: number) =>
      withTimeout(
        new Promise<void>((resolve) => {
          arrived = () => {
            if (received.length >= count) resolve();
          };
          arrived();
        }),
        `${count} events`,
      );
    await events?.send({ event: 'price', data: '101.5' });
    await until(1);
    // An ordinary request on the same session while the event stream stays open.
    expect((await request(session, '/ping')).body).toBe('pong');
    await events?.send({ event: 'price', data: '101.7' });
    await events?.send({ event: 'note', data: 'two\nlines' });
    await until(3);
    expect(received).toEqual(['price:101.5', 'price:101.7', 'note:two\nlines']);
    expect(server.sessions.size).toBe(1);
    stream.close(http2.constants.NGHTTP2_CANCEL);
    await pollUntil(() => events?.closed, 'the server to see the reset');
    const error = await events?.send({ data: 'late' }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(DistributedError);
    expect((error as DistributedError).code).toBe('DISTRIBUTED_ERR_UNAVAILABLE');
  });

  it('sends 103 Early Hints before the final response', async () => {
    const server = await serve({
      handler: (stream) => {
        sendEarlyHints(stream, [
          '</app.css>; rel=preload; as=style',
          '</app.js>; rel=preload; as=script',
        ]);
        stream.respond({ ':status': 200, 'content-type': 'text/html' });
        stream.end('<!doctype html>');
      },
    });
    const session = await openSession(server.origin);
    const reply = await request(session, '/');
    expect(reply.informational.map((h) => [h[':status'], h.link])).toEqual([
      [103, '</app.css>; rel=preload; as=style, </app.js>; rel=preload; as=script'],
    ]);
    expect(reply.status).toBe(200);
  });

  it('refuses an early hint with a line break, and one after the final response', async () => {
    const outcomes: unknown[] = [];
    const server = await serve({
      handler: (stream) => {
        try {
          sendEarlyHints(stream, ['</a>\r\nx: y']);
        } catch (err) {
          outcomes.push(err);
        }
        stream.respond({ ':status': 204 }, { endStream: true });
        try {
          sendEarlyHints(stream, ['</late>; rel=preload']);
        } catch (err) {
          outcomes.push(err);
        }
      },
    });
    const session = await openSession(server.origin);
    await request(session, '/');
    expect(outcomes.map((e) => (e as DistributedError).code)).toEqual([
      'DISTRIBUTED_ERR_PAYLOAD',
      'DISTRIBUTED_ERR_PAYLOAD',
    ]);
  });

  it('still pushes with PUSH_PROMISE in node (browsers no longer accept it)', async () => {
    const pushed: boolean[] = [];
    const server = await serve({
      handler: async (stream) => {
        pushed.push(await pushResource(stream, '/app.css', 'body{}', 'text/css'));
        stream.respond({ ':status': 200 });
        stream.end('page');
      },
    });
    const session = await openSession(server.origin);
    const promised = new Promise<[string, string]>((resolve) => {
      session.once('stream', (stream, headers) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () =>
          resolve([String(headers[':path']), Buffer.concat(chunks).toString()]),
        );
      });
    });
    expect((await request(session, '/')).body).toBe('page');
    expect(await withTimeout(promised, 'the pushed stream')).toEqual(['/app.css', 'body{}']);
    expect(pushed).toEqual([true]);
  });

  it('does not push to a client that turned push off', async () => {
    const pushed: boolean[] = [];
    const server = await serve({
      handler: async (stream) => {
        pushed.push(await pushResource(stream, '/app.css', 'body{}', 'text/css'));
        stream.respond({ ':status': 204 }, { endStream: true });
      },
    });
    const session = await openSession(server.origin, { settings: { enablePush: false } });
    await request(session, '/');
    expect(pushed).toEqual([false]);
  });
});

describe('listenH2 over TLS', () => {
  it('negotiates h2 by ALPN and multiplexes as in cleartext', async () => {
    const server = await serve({
      tls: { key: certificate.key, cert: certificate.cert },
      handler: (stream, headers) => {
        stream.respond({ ':status': 200 });
        stream.end(String(headers[':path']));
      },
    });
    expect(server.origin.startsWith('https://127.0.0.1:')).toBe(true);
    const session = await openSession(server.origin, { ca: certificate.cert });
    expect(session.alpnProtocol).toBe('h2');
    const replies = await Promise.all(['/a', '/b', '/c'].map((path) => request(session, path)));
    expect(replies.map((reply) => reply.body)).toEqual(['/a', '/b', '/c']);
  });
});
