/**
 * `socketlab-notify`: the app from the command line. One process, everything in memory by
 * default; prints the dashboard's URL (with a demo user's token) and a `curl` that reaches it, and
 * on SIGINT/SIGTERM closes and exits 0.
 * @internal
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  type CliIo,
  CliUsageError,
  EXIT_USAGE,
  errorCode,
  parseIntegerOption,
} from '@socketlab/internal';
// app.ts (and socket.io with it) is loaded once the command line is read: a usage error is quick.
import type { NotifyApp, NotifyAppOptions } from './app.ts';

/** The CLI's defaults (the code's own port is 0). */
export const NOTIFY_CLI_DEFAULTS = Object.freeze({ host: '127.0.0.1', port: 3100, user: 'demo' });

const d = NOTIFY_CLI_DEFAULTS;

export const NOTIFY_CLI_HELP = `Usage: socketlab-notify [--port N] [--host H] [--redis URL | --nats URL] [--mqtt URL] [--grpc HOST:PORT --symbols A,B] [--webhook URL]... [--api-key K]... [--jwt-secret S]

Notifications: REST in, live push out. POST /notify with an API key reaches a user's dashboard
(Socket.IO), their Server-Sent Events stream and GraphQL subscription; a user who was away gets
what they missed when they come back, once and in order. One process keeps everything in memory
(the newest 100 notifications per user and per topic).

Options:
  --port N          REST, Socket.IO, GraphQL and the dashboard (default ${d.port}; 0: the system chooses)
  --host H          the address to listen on (default ${d.host}; 0.0.0.0 for every interface)
  --redis URL       share everything through Redis, e.g. redis://127.0.0.1:6379: Socket.IO
                    across instances, history in Redis Streams (put instances behind a proxy)
  --nats URL        share everything through NATS instead, e.g. nats://127.0.0.1:4222 (JetStream
                    on: nats-server -js): notifications and receipts across instances on core
                    NATS, history in JetStream (the newest 100 per user and per topic;
                    idempotency keys remembered 7 days)
  --mqtt URL        read IoT telemetry (topics sensors/#) from an MQTT broker, e.g.
                    mqtt://127.0.0.1:1883, and push the latest value per topic on /telemetry
  --grpc HOST:PORT  read prices from a gRPC PriceFeed (stage 5's) for --symbols (comma-separated)
                    and push the latest price per symbol on /prices
  --webhook URL     deliver every notification posted here to URL, signed (Webhook-Signature),
                    retried with backoff; repeat for more. The log: GET /webhooks (all of it),
                    and each user's own deliveries in the dashboard's Webhooks panel
  --webhook-secret S  signs webhooks (WEBHOOK_SECRET does the same; default: random, printed)
  --api-key K       a key senders use (16+ characters; repeat for more). NOTIFY_API_KEY does the
                    same. Default: a random key, printed at start
  --jwt-secret S    signs the users' tokens (at least 32 bytes; instances behind one proxy share
                    it). JWT_SECRET does the same. Default: random per process
  -h, --help        show this help

It prints the dashboard's URL and a curl command once listening. Ctrl-C (SIGINT) or SIGTERM
closes every connection and exits 0 (Ctrl-C again forces it); 1 when it cannot start, 2 for a
mistake in the command line.

Try it:  socketlab-notify      then open the URL it prints, and run the curl command it prints.`;

/** `curl` for a notification to `user`, in shell quoting. */
export function curlExample(url: string, apiKey: string, user: string): string {
  const body = JSON.stringify({ user, title: 'Hello', body: 'from curl', priority: 'high' });
  return `curl -X POST ${url}/notify -H 'x-api-key: ${apiKey}' -H 'content-type: application/json' -d '${body}'`;
}

/**
 * Runs `socketlab-notify` with `argv` (without `node` and the script); resolves with the exit code
 * once the server has closed (after `io.signal` aborts). Never throws.
 */
export async function runNotifyCli(argv: readonly string[], io: CliIo): Promise<number> {
  let options: NotifyAppOptions;
  try {
    const { values, positionals } = parseArgs({
      // `pnpm start -- --port 8080` hands the script its `--` too.
      args: argv[0] === '--' ? argv.slice(1) : [...argv],
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        redis: { type: 'string' },
        nats: { type: 'string' },
        mqtt: { type: 'string' },
        webhook: { type: 'string', multiple: true },
        grpc: { type: 'string' },
        symbols: { type: 'string' },
        'webhook-secret': { type: 'string' },
        'api-key': { type: 'string', multiple: true },
        'jwt-secret': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    });
    if (values.help) {
      io.out(NOTIFY_CLI_HELP);
      return 0;
    }
    if (positionals.length > 0) {
      throw new CliUsageError(`socketlab-notify takes no arguments, got ${positionals.join(' ')}`);
    }
    if (values.host === '') throw new CliUsageError('--host must not be empty');
    if (values.redis !== undefined && !/^rediss?:\/\/./.test(values.redis)) {
      throw new CliUsageError(
        `--redis must be a redis:// URL, got ${JSON.stringify(values.redis)}`,
      );
    }
    if (values.nats !== undefined && !/^(nats|tls):\/\/./.test(values.nats)) {
      throw new CliUsageError(
        `--nats must be a nats:// (or tls://) URL, got ${JSON.stringify(values.nats)}`,
      );
    }
    if (values.redis !== undefined && values.nats !== undefined) {
      throw new CliUsageError('give --redis or --nats, not both: the instances share one of them');
    }
    if (values.mqtt !== undefined && !/^mqtts?:\/\/./.test(values.mqtt)) {
      throw new CliUsageError(`--mqtt must be an mqtt:// URL, got ${JSON.stringify(values.mqtt)}`);
    }
    if ((values.grpc === undefined) !== (values.symbols === undefined)) {
      throw new CliUsageError('give --grpc HOST:PORT and --symbols A,B together');
    }
    const symbols = values.symbols?.split(',').filter((x) => x !== '') ?? [];
    if (values.grpc !== undefined && (!/^[^\s:]+:\d+$/.test(values.grpc) || symbols.length === 0)) {
      throw new CliUsageError('--grpc is HOST:PORT and --symbols a comma-separated list');
    }
    for (const url of values.webhook ?? []) {
      if (!/^https?:\/\/./.test(url)) {
        throw new CliUsageError(`--webhook must be an http(s):// URL, got ${JSON.stringify(url)}`);
      }
    }
    const webhookSecret = values['webhook-secret'] ?? process.env.WEBHOOK_SECRET;
    if (webhookSecret !== undefined && Buffer.byteLength(webhookSecret) < 24) {
      throw new CliUsageError('--webhook-secret must be at least 24 bytes');
    }
    const keys =
      values['api-key'] ?? (process.env.NOTIFY_API_KEY ? [process.env.NOTIFY_API_KEY] : []);
    for (const key of keys) {
      if (!/^[\x21-\x7e]{16,512}$/.test(key)) {
        throw new CliUsageError('--api-key must be 16 to 512 printable characters, no spaces');
      }
    }
    const jwtSecret = values['jwt-secret'] ?? process.env.JWT_SECRET;
    if (jwtSecret !== undefined && jwtSecret !== '' && Buffer.byteLength(jwtSecret) < 32) {
      throw new CliUsageError('--jwt-secret must be at least 32 bytes');
    }
    options = {
      host: values.host ?? d.host,
      port: parseIntegerOption('port', values.port ?? String(d.port), 0, 65_535),
      ...(keys.length === 0 ? {} : { apiKeys: keys }),
      ...(values.redis === undefined ? {} : { redis: { url: values.redis } }),
      ...(values.nats === undefined ? {} : { nats: { url: values.nats } }),
      ...(values.mqtt === undefined ? {} : { mqtt: { url: values.mqtt } }),
      ...(values.grpc === undefined ? {} : { grpc: { address: values.grpc, symbols } }),
      ...(values.webhook === undefined
        ? {}
        : {
            webhooks: {
              urls: values.webhook,
              secret: webhookSecret ?? `whsec_${randomBytes(24).toString('base64url')}`,
            },
          }),
      ...(jwtSecret === undefined || jwtSecret === '' ? {} : { jwtSecret }),
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.err(
      `socketlab-notify: ${message}\n${NOTIFY_CLI_HELP.split('\n', 1)[0]}\nRun 'socketlab-notify --help' for more.`,
    );
    return EXIT_USAGE;
  }

  let app: NotifyApp;
  try {
    const { startNotifyApp } = await import('./app.ts');
    app = await startNotifyApp(options);
  } catch (error) {
    const code = errorCode(error);
    io.err(
      `socketlab-notify: could not start: ${error instanceof Error ? error.message : String(error)}${code === undefined ? '' : ` [${code}]`}`,
    );
    return 1;
  }
  const demo = app.issueToken(d.user);
  const apiKey = app.apiKeys[0] as string;
  io.out(`notifications: open ${app.url}/#token=${demo.token} in a browser (user "${d.user}")`);
  if (options.apiKeys === undefined) io.out(`API key (random, this run only): ${apiKey}`);
  if (options.webhooks !== undefined) io.out(`webhooks signed with: ${options.webhooks.secret}`);
  io.out(`then send one:  ${curlExample(app.url, apiKey, d.user)}`);
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    else io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  io.err('socketlab-notify: shutting down (Ctrl-C again to force)');
  await app.close();
  io.err('socketlab-notify: stopped');
  return 0;
}
