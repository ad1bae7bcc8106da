/**
 * The ready-made transport for the reconnecting client: a framed TCP (or Unix socket)
 * connection from stage 2's {@link connectFramed}.
 */
import { type ConnectFramedOptions, connectFramed, type FramedTarget } from '@socketlab/tcp-udp';
import type { Connector } from './options.ts';

/**
 * A {@link Connector} that opens a stage 2 `FramedSocket` to `target` on every attempt: messages
 * are whole frames (`Buffer` in, `Uint8Array` out), cut by the codec in `options`.
 *
 * @param target - `{ host, port }`, or `{ path }` for a Unix socket.
 * @param options - `connectFramed`'s options: `codec` (@default the u32 length prefix),
 *   `connectTimeoutMs` (@default 10000) and the receive buffer bounds.
 * @example
 * ```ts
 * const connect = createFramedConnector({ host: '127.0.0.1', port: 7000 }, { codec: lineCodec() });
 * const client = createReconnectingClient({ connect }).start();
 * ```
 */
export function createFramedConnector(
  target: FramedTarget,
  options: ConnectFramedOptions = {},
): Connector<Buffer, Uint8Array> {
  return async ({ signal }) => {
    const framed = await connectFramed(target, options);
    if (signal.aborted) {
      framed.destroy();
      throw signal.reason;
    }
    return {
      send: (message) => framed.send(message),
      close: () => framed.destroy(),
      [Symbol.asyncIterator]: () => framed[Symbol.asyncIterator](),
    };
  };
}
