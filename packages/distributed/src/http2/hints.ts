/**
 * What a server can say before its response: `103 Early Hints` (a `link: rel=preload` the
 * browser acts on while the server still works on the page), and HTTP/2 server push
 * (PUSH_PROMISE), which Node still implements but browsers have dropped: Chrome turned it off in
 * version 106 (2022) and Firefox removed it in version 132 (2024), because pushed bytes often
 * duplicated what the browser already had cached and rarely made pages faster. Early Hints and a
 * long-lived stream ({@link openH2EventStream}) are what replaced it.
 * @see RFC 8297 (103 Early Hints) https://www.rfc-editor.org/rfc/rfc8297
 * @see RFC 9113 §8.4 (server push) https://www.rfc-editor.org/rfc/rfc9113#section-8.4
 */
import type http2 from 'node:http2';
import { DistributedError } from '../errors.ts';

/**
 * Sends `103 Early Hints` with one `link` header per entry, before the final response.
 * @param links - Values such as `</app.css>; rel=preload; as=style`.
 * @throws {DistributedError} `DISTRIBUTED_ERR_PAYLOAD` when a link holds CR or LF (a header
 *   value cannot), or the final response has already started.
 * @example
 * ```ts
 * sendEarlyHints(stream, ['</app.css>; rel=preload; as=style']);
 * stream.respond({ ':status': 200 });
 * ```
 */
export function sendEarlyHints(stream: http2.ServerHttp2Stream, links: readonly string[]): void {
  if (stream.headersSent) {
    throw new DistributedError(
      'DISTRIBUTED_ERR_PAYLOAD',
      'early hints: the final response has started',
    );
  }
  for (const link of links) {
    if (/[\r\n]/.test(link)) {
      throw new DistributedError(
        'DISTRIBUTED_ERR_PAYLOAD',
        `early hints: a link holds a line break: ${JSON.stringify(link.slice(0, 60))}`,
      );
    }
  }
  stream.additionalHeaders({ ':status': 103, link: [...links] });
}

/**
 * Pushes one resource with a PUSH_PROMISE (deprecated by browsers; see this file's note).
 * Resolves `false` without pushing when the client turned push off (SETTINGS_ENABLE_PUSH 0).
 * @throws {DistributedError} (rejects) `DISTRIBUTED_ERR_UNAVAILABLE` when the push fails.
 * @see RFC 9113 §8.4 https://www.rfc-editor.org/rfc/rfc9113#section-8.4
 */
export function pushResource(
  stream: http2.ServerHttp2Stream,
  path: string,
  body: string | Uint8Array,
  contentType: string,
): Promise<boolean> {
  if (!stream.pushAllowed) return Promise.resolve(false);
  return new Promise((resolve, reject) => {
    stream.pushStream({ ':path': path }, (err, pushed) => {
      if (err) {
        reject(
          new DistributedError('DISTRIBUTED_ERR_UNAVAILABLE', `push ${path}: ${err.message}`, {
            cause: err,
          }),
        );
        return;
      }
      pushed.on('error', () => {}); // the client may cancel a push it does not want
      pushed.respond({ ':status': 200, 'content-type': contentType });
      pushed.end(body);
      resolve(true);
    });
  });
}
