/**
 * `socketlab-ws connect`: a WebSocket client on the command line, like wscat. Each line of
 * stdin goes out as a text message; each message that arrives is printed on stdout.
 * @internal
 */
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import {
  type CliCommand,
  CliUsageError,
  parseIntegerOption,
  TIMER_MAX_MS,
} from '@socketlab/internal';
import {
  type ConnectWebSocketOptions,
  connectWebSocket,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  READY_STATES,
  type WebSocketConnection,
} from '../connection/index.ts';
import {
  BINARY_PREVIEW_BYTES,
  formatClose,
  formatMessage,
  isNormalClose,
  parseHeaderArgument,
} from './format.ts';

const HELP = `Usage: socketlab-ws connect <url> [--protocol P]... [--header 'Name: value']... [--origin O]
                            [--ca FILE] [--insecure] [--handshake-timeout MS] [--deflate]

Opens a WebSocket to <url> (ws:// or wss://). Each line you type (each line of stdin) is sent
as one text message; each message that arrives is printed on its own line on stdout: text as
it is, binary as <binary N bytes: hex…> (the hex cut after ${BINARY_PREVIEW_BYTES} bytes). Everything
else (connected, closed, errors) goes to stderr, so stdout holds only messages.

Arguments and options:
  <url>                     ws://host:port/path or wss://host:port/path
  --protocol P              offer subprotocol P (Sec-WebSocket-Protocol); repeat for several,
                            most preferred first
  --header 'Name: value'    send an extra request header; repeat for several
  --origin O                send Origin: O
  --ca FILE                 wss: trust the PEM certificate(s) in FILE instead of the system's
  --insecure                wss: accept a certificate that does not verify (testing only)
  --handshake-timeout MS    give up when not connected within MS milliseconds (default ${DEFAULT_HANDSHAKE_TIMEOUT_MS})
  --deflate                 offer permessage-deflate (RFC 7692); "connected" then says
                            whether the server accepted it (default: off)
  -h, --help                show this help

The end of stdin (Ctrl-D) or Ctrl-C (SIGINT) closes the connection with 1000 and exits once
the server has answered. Exit code 0 when the connection closes normally (1000, 1001, or a
close without a code, 1005); 1 when it could not connect, the handshake failed, or it closed
otherwise (the code is printed on stderr: 1002 a protocol error, 1006 no close frame, …);
2 for a mistake in the command line.

Try it:  socketlab-ws echo --port 8080
         socketlab-ws connect ws://127.0.0.1:8080/
         printf 'one\\ntwo\\n' | socketlab-ws connect ws://127.0.0.1:8080/ --protocol chat`;

/** The options given by the command line, as `connectWebSocket` takes them. */
async function connectOptionsOf(values: {
  protocol?: string[] | undefined;
  header?: string[] | undefined;
  origin?: string | undefined;
  ca?: string | undefined;
  insecure?: boolean | undefined;
  deflate?: boolean | undefined;
  'handshake-timeout': string;
}): Promise<ConnectWebSocketOptions> {
  const headers: [string, string][] = [];
  for (const text of values.header ?? []) {
    const header = parseHeaderArgument(text);
    if (header === undefined) {
      throw new CliUsageError(`--header must be 'Name: value', got ${JSON.stringify(text)}`);
    }
    headers.push(header);
  }
  const options: {
    -readonly [K in keyof ConnectWebSocketOptions]: ConnectWebSocketOptions[K];
  } = {
    handshakeTimeoutMs: parseIntegerOption(
      'handshake-timeout',
      values['handshake-timeout'],
      1,
      TIMER_MAX_MS,
    ),
  };
  if (values.protocol !== undefined) options.protocols = values.protocol;
  if (headers.length > 0) options.headers = headers;
  if (values.origin !== undefined) options.origin = values.origin;
  if (values.insecure) options.rejectUnauthorized = false;
  if (values.deflate) options.perMessageDeflate = true;
  if (values.ca !== undefined) {
    try {
      options.ca = await readFile(values.ca);
    } catch (err) {
      throw new Error(`--ca: cannot read ${values.ca}: ${(err as Error).message}`, { cause: err });
    }
  }
  return options;
}

/** Opens the connection; a bad URL or header is a usage error, not a failure. */
function open(url: string, options: ConnectWebSocketOptions): Promise<WebSocketConnection> {
  try {
    return connectWebSocket(url, options);
  } catch (err) {
    // Thrown synchronously: the URL or an option (a header that would inject) is wrong.
    if (err instanceof TypeError || err instanceof RangeError) throw new CliUsageError(err.message);
    throw err;
  }
}

/**
 * Runs one session: stdin lines out, messages in, until the connection closes.
 * Resolves with the close code and reason.
 */
function session(
  ws: WebSocketConnection,
  input: Readable,
  io: Parameters<CliCommand['run']>[1],
): Promise<[code: number, reason: string]> {
  return new Promise((resolve) => {
    const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
    let waitingForDrain = false;
    const closeOurs = (): void => {
      if (ws.readyState === READY_STATES.OPEN) ws.close(1000);
    };
    ws.on('message', (data, isBinary) => io.out(formatMessage(data, isBinary)));
    ws.on('error', (err) => io.err(`error: ${err.message} [${err.code}]`));
    ws.on('drain', () => {
      if (!waitingForDrain) return;
      waitingForDrain = false;
      lines.resume();
    });
    lines.on('line', (line) => {
      if (ws.readyState !== READY_STATES.OPEN) return;
      // Backpressure: stop reading stdin while the socket's buffer is full.
      if (!ws.send(line)) {
        waitingForDrain = true;
        lines.pause();
      }
    });
    // The end of stdin: close cleanly, then wait for the server's answer.
    lines.on('close', closeOurs);
    const onAbort = (): void => closeOurs();
    io.signal.addEventListener('abort', onAbort, { once: true });
    if (io.signal.aborted) closeOurs();
    ws.once('close', (code, reason) => {
      io.signal.removeEventListener('abort', onAbort);
      lines.off('close', closeOurs);
      lines.close();
      // Stop reading stdin, so a terminal left open does not keep the process alive.
      input.pause();
      if (input === process.stdin) process.stdin.destroy();
      resolve([code, reason]);
    });
  });
}

/**
 * Builds the `connect` command reading lines from `stdin()` (the process's stdin, or a stream
 * a test hands it).
 */
export function createConnectCommand(stdin: () => Readable): CliCommand {
  return {
    summary: 'a WebSocket client: stdin lines out as text messages, messages in on stdout',
    help: HELP,
    async run(args, io) {
      const { values, positionals } = parseArgs({
        args,
        options: {
          protocol: { type: 'string', multiple: true },
          header: { type: 'string', multiple: true },
          origin: { type: 'string' },
          ca: { type: 'string' },
          insecure: { type: 'boolean' },
          deflate: { type: 'boolean' },
          'handshake-timeout': { type: 'string', default: String(DEFAULT_HANDSHAKE_TIMEOUT_MS) },
        },
        strict: true,
        allowPositionals: true,
      });
      if (positionals.length !== 1) {
        throw new CliUsageError(
          positionals.length === 0
            ? 'the <url> is required (ws://host:port/path)'
            : `one <url> expected, got ${positionals.length}: ${positionals.join(' ')}`,
        );
      }
      const url = positionals[0] as string;
      if (!URL.canParse(url)) throw new CliUsageError(`${JSON.stringify(url)} is not a URL`);
      const options = await connectOptionsOf(values);
      const ws = await open(url, options);
      io.err(
        `connected to ${url}${ws.protocol ? ` (protocol ${ws.protocol})` : ''}${ws.extensions === '' ? '' : ` (${ws.extensions})`}`,
      );
      const [code, reason] = await session(ws, stdin(), io);
      if (isNormalClose(code)) {
        io.err(`closed: ${formatClose(code, reason)}`);
        return 0;
      }
      io.err(`socketlab-ws connect: the connection failed: ${formatClose(code, reason)}`);
      return 1;
    },
  };
}
