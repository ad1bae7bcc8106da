/**
 * `socketlab-chat`: the chat from the command line. One process, in-memory by default; `--redis` or
 * `--nats` to share rooms with other instances. Prints the page's URL and the `nc` command, and on
 * SIGINT/SIGTERM tells every client and closes.
 * @internal
 */

import { parseArgs } from 'node:util';
import {
  type CliIo,
  CliUsageError,
  EXIT_USAGE,
  errorCode,
  parseIntegerOption,
} from '@socketlab/internal';
import type { ChatBackend } from '../store/types.ts';
// app.ts (and socket.io with it) is loaded once the command line is read: a usage error is quick.
import type { ChatApp, ChatAppOptions } from './app.ts';

/** The CLI's defaults (the code's own are port 0 and no gateway). */
export const CHAT_CLI_DEFAULTS = Object.freeze({ host: '127.0.0.1', port: 3000, tcpPort: 4000 });

const d = CHAT_CLI_DEFAULTS;

export const CHAT_CLI_HELP = `Usage: socketlab-chat [--port N] [--tcp-port N] [--host H] [--redis URL | --nats URL]
                      [--jwt-secret S] [--trust-proxy] [--tcp-proxy-protocol]

The chat: rooms in the browser and over nc, in the same conversation. One process keeps
everything in memory; with --redis or --nats, several instances share rooms, history and
presence (put them behind a proxy with sticky sessions: see the README).

Options:
  --port N          the page and Socket.IO (default ${d.port}; 0: the system chooses)
  --tcp-port N      the nc gateway (default ${d.tcpPort}; 0: the system chooses)
  --host H          the address to listen on (default ${d.host}; 0.0.0.0 for every interface)
  --redis URL       share rooms through Redis (history in Redis Streams), e.g. redis://127.0.0.1:6379
  --nats URL        share rooms through NATS JetStream, e.g. nats://127.0.0.1:4222
  --jwt-secret S    accept HS256 JWTs signed with S (at least 32 bytes) carrying sub, name,
                    iss and aud "socketlab-chat"; guest tokens are signed with it too.
                    The JWT_SECRET environment variable does the same.
  --trust-proxy     count each client by the last X-Forwarded-For address (behind nginx);
                    only when the port is reachable through the proxy alone
  --tcp-proxy-protocol
                    every nc connection starts with a PROXY protocol header (nginx's stream
                    proxy_protocol on;): nc users are counted by their own address
  -h, --help        show this help

It prints the page's URL and the nc command once listening. Ctrl-C (SIGINT) or SIGTERM tells
every client the server is shutting down, closes, and exits 0 (Ctrl-C again forces it);
1 when it cannot start, 2 for a mistake in the command line.

Try it:  socketlab-chat      then open the URL it prints, and in a terminal: nc 127.0.0.1 ${d.tcpPort}`;

/** A host as a URL or `nc` shows it: a wildcard address becomes the loopback one. */
function reachableHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

/** The shared backend `--redis` or `--nats` names, loaded only then (its broker clients are large). */
async function scaledBackend(kind: 'redis' | 'nats', url: string): Promise<ChatBackend> {
  const { createNatsBackend, createRedisBackend } = await import('../backends/index.ts');
  return kind === 'redis' ? createRedisBackend({ url }) : createNatsBackend({ url });
}

/**
 * Runs `socketlab-chat` with `argv` (without `node` and the script); resolves with the exit code
 * once the server has closed (after `io.signal` aborts). Never throws.
 */
export async function runChatCli(argv: readonly string[], io: CliIo): Promise<number> {
  let options: ChatAppOptions;
  let backendUrl: { kind: 'redis' | 'nats'; url: string } | undefined;
  try {
    const { values, positionals } = parseArgs({
      // `pnpm start -- --port 8080` hands the script its `--` too.
      args: argv[0] === '--' ? argv.slice(1) : [...argv],
      options: {
        port: { type: 'string' },
        'tcp-port': { type: 'string' },
        host: { type: 'string' },
        redis: { type: 'string' },
        nats: { type: 'string' },
        'jwt-secret': { type: 'string' },
        'trust-proxy': { type: 'boolean' },
        'tcp-proxy-protocol': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    });
    if (values.help) {
      io.out(CHAT_CLI_HELP);
      return 0;
    }
    if (positionals.length > 0) {
      throw new CliUsageError(`socketlab-chat takes no arguments, got ${positionals.join(' ')}`);
    }
    if (values.redis !== undefined && values.nats !== undefined) {
      throw new CliUsageError('give --redis or --nats, not both');
    }
    for (const name of ['host', 'redis', 'nats', 'jwt-secret'] as const) {
      if (values[name] === '') throw new CliUsageError(`--${name} must not be empty`);
    }
    const jwtSecret = values['jwt-secret'] ?? process.env.JWT_SECRET;
    options = {
      host: values.host ?? d.host,
      port: parseIntegerOption('port', values.port ?? String(d.port), 0, 65_535),
      tcpPort: parseIntegerOption('tcp-port', values['tcp-port'] ?? String(d.tcpPort), 0, 65_535),
      ...(jwtSecret === undefined || jwtSecret === '' ? {} : { jwtSecret }),
      trustProxy: values['trust-proxy'] === true,
      tcpProxyProtocol: values['tcp-proxy-protocol'] === true,
    };
    if (values.redis !== undefined) backendUrl = { kind: 'redis', url: values.redis };
    if (values.nats !== undefined) backendUrl = { kind: 'nats', url: values.nats };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const usage =
      error instanceof CliUsageError ||
      String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
    if (!usage) {
      io.err(`socketlab-chat: ${message}`);
      return 1;
    }
    io.err(
      `socketlab-chat: ${message}\n${CHAT_CLI_HELP.split('\n', 1)[0]}\nRun 'socketlab-chat --help' for more.`,
    );
    return EXIT_USAGE;
  }

  let app: ChatApp;
  try {
    const { startChatApp } = await import('./app.ts');
    const backend =
      backendUrl === undefined ? undefined : await scaledBackend(backendUrl.kind, backendUrl.url);
    app = await startChatApp({ ...options, ...(backend === undefined ? {} : { backend }) });
  } catch (error) {
    const code = errorCode(error);
    io.err(
      `socketlab-chat: could not start: ${error instanceof Error ? error.message : String(error)}${code === undefined ? '' : ` [${code}]`}`,
    );
    return 1;
  }
  const host = reachableHost(options.host ?? d.host);
  const shown = host.includes(':') ? `[${host}]` : host;
  io.out(`chat: open http://${shown}:${app.port}/ in a browser`);
  if (app.tcpPort !== undefined) io.out(`from a terminal: nc ${host} ${app.tcpPort}`);
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    else io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  io.err('socketlab-chat: shutting down, telling every client (Ctrl-C again to force)');
  await app.close();
  io.err('socketlab-chat: stopped');
  return 0;
}
