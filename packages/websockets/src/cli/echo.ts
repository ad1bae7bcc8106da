/**
 * `socketlab-ws echo`: a WebSocket echo server on the command line, to point `connect`, wscat
 * or a browser at.
 * @internal
 */
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import {
  type CliCommand,
  type CliIo,
  CliUsageError,
  parseIntegerOption,
  TIMER_MAX_MS,
} from '@socketlab/internal';
import {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  READY_STATES,
  type WebSocketConnection,
  WebSocketServer,
} from '../connection/index.ts';
import { DEFAULT_MAX_PAYLOAD_BYTES } from '../frame/index.ts';
import { formatClose, webSocketUrl } from './format.ts';

/**
 * Echoes of one client held unsent, by default, before it is closed with 1008: a client that
 * sends without reading must not fill our memory.
 */
export const ECHO_MAX_UNSENT_BYTES = 64 * 1024 * 1024;

const HELP = `Usage: socketlab-ws echo [--port N] [--host H] [--max-payload BYTES] [--max-unsent BYTES]
                          [--handshake-timeout MS] [--deflate]

A WebSocket echo server: every message comes back as it came, text as text and binary as
binary. It prints its ws://host:port/ URL on stdout once listening, and logs each connection
and close on stderr. A client that sends without reading is closed with 1008 once more
than --max-unsent bytes of its echoes wait unsent.

Options:
  --port N                  port to listen on (default 0: the kernel chooses)
  --host H                  address to listen on (default 127.0.0.1)
  --max-payload BYTES       the largest message accepted; a larger one closes that client
                            with 1009 (default ${DEFAULT_MAX_PAYLOAD_BYTES}, 16 MiB)
  --max-unsent BYTES        close a client with 1008 (policy) once more than BYTES of its
                            echoes wait unsent (default ${ECHO_MAX_UNSENT_BYTES}, 64 MiB)
  --handshake-timeout MS    drop a client whose upgrade request is not complete within MS
                            milliseconds (default ${DEFAULT_HANDSHAKE_TIMEOUT_MS})
  --deflate                 accept permessage-deflate (RFC 7692) from clients that offer it:
                            messages of 1024 bytes or more are compressed; --max-payload then
                            also bounds a message once inflated (default: off)
  -h, --help                show this help

Ctrl-C (SIGINT) or SIGTERM closes every client with 1001 (going away) and exits 0; exit code
1 when it cannot listen, 2 for a mistake in the command line.

Try it:  socketlab-ws echo --port 8080
         socketlab-ws connect ws://127.0.0.1:8080/      (or: npx wscat -c ws://127.0.0.1:8080/)`;

/**
 * Echoes each message as it arrives, synchronously: messages that arrive in the same read as
 * the client's close frame are still echoed before the close is answered (an async loop would
 * find the connection closing and drop them).
 */
function echo(ws: WebSocketConnection, id: number, io: CliIo, maxUnsentBytes: number): void {
  ws.on('message', (data, isBinary) => {
    if (ws.readyState !== READY_STATES.OPEN) return;
    ws.send(data, { binary: isBinary });
    if (ws.bufferedAmount > maxUnsentBytes) {
      io.err(`#${id} reads too slowly (${ws.bufferedAmount} bytes unsent): closing with 1008`);
      ws.close(1008, 'reading too slowly');
    }
  });
}

/** The `echo` command. */
export const echoCommand: CliCommand = {
  summary: 'a WebSocket echo server (text as text, binary as binary)',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        port: { type: 'string', default: '0' },
        host: { type: 'string', default: '127.0.0.1' },
        'max-payload': { type: 'string', default: String(DEFAULT_MAX_PAYLOAD_BYTES) },
        'max-unsent': { type: 'string', default: String(ECHO_MAX_UNSENT_BYTES) },
        'handshake-timeout': { type: 'string', default: String(DEFAULT_HANDSHAKE_TIMEOUT_MS) },
        deflate: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length > 0) {
      throw new CliUsageError(`echo takes no arguments, got ${positionals.join(' ')}`);
    }
    if (values.host === '') throw new CliUsageError('--host must not be empty');
    const maxUnsentBytes = parseIntegerOption(
      'max-unsent',
      values['max-unsent'],
      0,
      Number.MAX_SAFE_INTEGER,
    );
    const wss = new WebSocketServer({
      port: parseIntegerOption('port', values.port, 0, 65_535),
      host: values.host,
      maxPayloadBytes: parseIntegerOption(
        'max-payload',
        values['max-payload'],
        0,
        Number.MAX_SAFE_INTEGER,
      ),
      handshakeTimeoutMs: parseIntegerOption(
        'handshake-timeout',
        values['handshake-timeout'],
        1,
        TIMER_MAX_MS,
      ),
      perMessageDeflate: values.deflate,
    });
    const [listening] = await Promise.race([
      once(wss, 'listening').then(() => [undefined] as const),
      once(wss, 'error').then(([err]) => [err as Error] as const),
    ]);
    if (listening !== undefined) {
      await wss.close();
      throw listening;
    }
    wss.on('error', (err) => io.err(`error: ${err.message}`));
    let count = 0;
    wss.on('connection', (ws, request) => {
      const id = ++count;
      const origin = request.headers.get('origin');
      io.err(
        `#${id} connected: ${request.method} ${request.target}${origin === undefined ? '' : ` from origin ${origin}`}${ws.extensions === '' ? '' : ` (${ws.extensions})`}`,
      );
      ws.on('error', (err) => io.err(`#${id} error: ${err.message} [${err.code}]`));
      ws.once('close', (code, reason) => io.err(`#${id} closed: ${formatClose(code, reason)}`));
      echo(ws, id, io, maxUnsentBytes);
    });
    const address = wss.address();
    io.out(webSocketUrl(address?.address ?? values.host, wss.port));
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    io.err(`socketlab-ws echo: shutting down, closing ${wss.clients.size} client(s) with 1001`);
    await wss.close();
    io.err('socketlab-ws echo: stopped');
    return 0;
  },
};
