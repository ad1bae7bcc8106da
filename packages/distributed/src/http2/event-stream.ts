/**
 * The server-push alternative that browsers kept: a long-lived response on one HTTP/2 stream
 * carrying `text/event-stream` events (this package's SSE format). Over HTTP/2 it costs one
 * stream, not one connection, so the browser's six-connections-per-host limit of HTTP/1.1 no
 * longer caps how many a page can hold, and ordinary requests share the same connection.
 */
import http2 from 'node:http2';
import { DistributedError } from '../errors.ts';
import { formatSseEvent, type SseEvent } from '../sse/index.ts';

/** One event stream, made by {@link openH2EventStream}. */
export interface H2EventStream {
  /**
   * Writes one event. Resolves at once, or after `'drain'` when the stream's flow-control window
   * or buffer is full (HTTP/2 flow control is per stream: one slow reader stalls only its own).
   * @throws {DistributedError} (rejects) `DISTRIBUTED_ERR_UNAVAILABLE` once the stream is closed;
   *   `DISTRIBUTED_ERR_PAYLOAD` for an event the format cannot carry.
   */
  send(event: SseEvent): Promise<void>;
  /** Ends the response (END_STREAM); the rest of the session goes on. */
  end(): void;
  /** True once the client reset the stream or it ended. */
  readonly closed: boolean;
}

/**
 * Answers a stream with `200 text/event-stream` and returns a writer for its events.
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html
 * @example
 * ```ts
 * listenH2({ handler: async (stream) => {
 *   const events = openH2EventStream(stream);
 *   await events.send({ event: 'price', data: '101.5' });
 * } });
 * ```
 */
export function openH2EventStream(stream: http2.ServerHttp2Stream): H2EventStream {
  stream.respond({
    ':status': 200,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
  });
  return {
    get closed() {
      return stream.closed || stream.destroyed;
    },
    send(event) {
      if (stream.closed || stream.destroyed || stream.writableEnded) {
        return Promise.reject(
          new DistributedError(
            'DISTRIBUTED_ERR_UNAVAILABLE',
            'HTTP/2 event stream: the stream is closed',
          ),
        );
      }
      let text: string;
      try {
        text = formatSseEvent(event);
      } catch (err) {
        return Promise.reject(err);
      }
      if (stream.write(text)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const onDrain = (): void => {
          stream.off('close', onClose);
          resolve();
        };
        const onClose = (): void => {
          stream.off('drain', onDrain);
          reject(
            new DistributedError(
              'DISTRIBUTED_ERR_UNAVAILABLE',
              `HTTP/2 event stream: closed before draining (RST_STREAM code ${stream.rstCode ?? http2.constants.NGHTTP2_NO_ERROR})`,
            ),
          );
        };
        stream.once('drain', onDrain);
        stream.once('close', onClose);
      });
    },
    end() {
      if (!stream.writableEnded) stream.end();
    },
  };
}
