/**
 * An SSE channel served on a real socket (127.0.0.1, port 0) at `/events`, with a page at `/`
 * for the browser test, and a Node client: fetch, and the stream read through `SseParser`.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { withTimeout } from '@socketlab/testkit';
import { onTestFinished } from 'vitest';
import {
  createSseChannel,
  type SseChannel,
  type SseChannelOptions,
  type SseParsed,
  SseParser,
} from '../../src/sse/index.ts';

export interface SseServer {
  readonly channel: SseChannel;
  readonly origin: string;
  readonly url: string;
  /** `Last-Event-ID` of each request to /events, in order (`null` when absent). */
  readonly lastEventIds: (string | null)[];
}

export async function startSseServer(
  options: SseChannelOptions = {},
  page = '',
): Promise<SseServer> {
  const channel = createSseChannel(options);
  const lastEventIds: (string | null)[] = [];
  const server = createServer((req, res) => {
    if (req.url === '/events') {
      lastEventIds.push((req.headers['last-event-id'] as string | undefined) ?? null);
      channel.handle(req, res);
    } else if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(page);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    channel.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return { channel, origin, url: `${origin}/events`, lastEventIds };
}

/** A Node client of a stream: everything parsed so far, and a way to await more. */
export interface SseReader {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly items: SseParsed[];
  /** Events only (no comments or retry). */
  events(): Extract<SseParsed, { type: 'event' }>[];
  /** Resolves once `check(items)` holds, bounded in time. */
  until(check: (items: SseParsed[]) => boolean, what: string, ms?: number): Promise<void>;
  /** Resolves once the server ended the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

export async function openSse(url: string, lastEventId?: string): Promise<SseReader> {
  const abort = new AbortController();
  const response = await withTimeout(
    fetch(url, {
      signal: abort.signal,
      headers: lastEventId === undefined ? {} : { 'last-event-id': lastEventId },
    }),
    'the stream to open',
  );
  const items: SseParsed[] = [];
  const changed = new EventEmitter();
  const parser = new SseParser();
  const ended = (async () => {
    if (response.body === null) return;
    try {
      const body = response.body.getReader();
      // Ends when the server ends the stream or the test aborts it (onTestFinished).
      for (;;) {
        const { done, value } = await body.read();
        if (done) break;
        items.push(...parser.feed(value));
        changed.emit('change');
      }
    } catch (error) {
      if (!abort.signal.aborted) throw error;
    } finally {
      changed.emit('change');
    }
  })();
  ended.catch(() => {});
  onTestFinished(() => abort.abort());
  const headers: IncomingHttpHeaders = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  return {
    status: response.status,
    headers,
    items,
    events: () => items.filter((i) => i.type === 'event'),
    until(check, what, ms) {
      return withTimeout(
        new Promise<void>((resolve) => {
          const test = () => {
            if (!check(items)) return;
            changed.off('change', test);
            resolve();
          };
          changed.on('change', test);
          test();
        }),
        what,
        ms,
      );
    },
    ended,
    close: () => abort.abort(),
  };
}
