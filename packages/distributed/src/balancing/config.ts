/**
 * An nginx configuration for socket servers, written from options: an `http` balancer for
 * Socket.IO and WebSocket instances (stickiness, the upgrade headers, timeouts a heartbeat fits
 * in) and a `stream` balancer for raw TCP. Pure: it returns text and touches nothing, so the
 * config a learner reads in the lesson is the one the tests run.
 *
 * Every value that ends up in the file is checked first (addresses are IP literals, names are
 * tokens, paths are quoted and free of quotes), so no option can smuggle a directive in.
 *
 * @see https://nginx.org/en/docs/http/ngx_http_upstream_module.html
 * @see https://nginx.org/en/docs/http/websocket.html
 * @see https://nginx.org/en/docs/stream/ngx_stream_upstream_module.html
 * @see https://socket.io/docs/v4/reverse-proxy/#nginx
 */
import net from 'node:net';
import path from 'node:path';
import { checkInteger } from '@socketlab/internal';

/** An address nginx listens on or proxies to: an IP literal (v4 or v6) and a port. */
export interface BalancerEndpoint {
  readonly host: string;
  readonly port: number;
}

/**
 * How the `http` balancer keeps a client on one instance:
 * - `'none'`: round robin, each request on its own. WebSocket-only clients are fine (one
 *   connection); HTTP long polling breaks, because its requests land on instances that never
 *   saw the session ("Session ID unknown").
 * - `'ip-hash'`: nginx's `ip_hash`, by the first three octets of the client's IPv4 address (the
 *   whole IPv6 address). Sticky with no help from the app, but every client behind one NAT, or on
 *   one machine, lands on one instance.
 * - `'cookie'`: nginx sets a cookie naming the instance that answered, and routes a request with
 *   that cookie to it (falling over to the others, as backups, when it is down). Open-source
 *   nginx has no `sticky cookie` (that is NGINX Plus): this builds it from `map` and
 *   `$upstream_addr`. An unknown or forged cookie value is routed like no cookie.
 */
export type Stickiness = 'none' | 'ip-hash' | 'cookie';

/** How the `stream` (raw TCP) balancer picks an instance for a new connection. */
export type StreamBalancing = 'least-conn' | 'round-robin' | 'hash-remote-addr';

/** The `http` balancer: Socket.IO, WebSocket and plain HTTP instances. */
export interface HttpBalancerOptions {
  readonly listen: BalancerEndpoint;
  /** The instances, at least one. */
  readonly upstreams: readonly BalancerEndpoint[];
  /** @default 'cookie' */
  readonly stickiness?: Stickiness;
  /** The cookie `'cookie'` stickiness sets: a token. @default 'sl_node' */
  readonly cookieName?: string;
  /**
   * Pass WebSocket upgrades through: HTTP/1.1 to the instance, with `Upgrade` and
   * `Connection: upgrade` (hop-by-hop headers nginx drops unless told). Turn it off only to see
   * what breaks. @default true
   */
  readonly websocket?: boolean;
  /** `proxy_connect_timeout`: a refused or silent instance is given up on after this. @default 1000 */
  readonly connectTimeoutMs?: number;
  /**
   * `proxy_read_timeout`: the longest an instance may be silent on an open request or WebSocket.
   * It must exceed the heartbeat (Socket.IO: `pingInterval` + `pingTimeout`), or nginx closes
   * healthy idle connections. @default 60000 (nginx's own default)
   */
  readonly readTimeoutMs?: number;
  /** `proxy_send_timeout`. @default 60000 */
  readonly sendTimeoutMs?: number;
  /** `max_fails`: failed attempts within `failTimeoutMs` that mark an instance down. @default 1 */
  readonly maxFails?: number;
  /** `fail_timeout`: how long an instance marked down is skipped. @default 10000 */
  readonly failTimeoutMs?: number;
  /** `client_max_body_size`: Socket.IO's `maxHttpBufferSize` is 1 MB. @default 1048576 */
  readonly maxBodyBytes?: number;
}

/** The `stream` balancer: raw TCP instances. */
export interface StreamBalancerOptions {
  readonly listen: BalancerEndpoint;
  readonly upstreams: readonly BalancerEndpoint[];
  /** @default 'least-conn' */
  readonly balancing?: StreamBalancing;
  /** `proxy_connect_timeout`. @default 1000 */
  readonly connectTimeoutMs?: number;
  /** `proxy_timeout`: a connection silent both ways for this long is closed. @default 600000 */
  readonly idleTimeoutMs?: number;
  /** @default 1 */
  readonly maxFails?: number;
  /** @default 10000 */
  readonly failTimeoutMs?: number;
}

/** Options of {@link renderNginxConfig}. */
export interface NginxConfigOptions {
  /** An absolute directory for the pid file, the logs and the temp files. */
  readonly prefix: string;
  readonly http?: HttpBalancerOptions;
  readonly stream?: StreamBalancerOptions;
  /** @default 1 (one worker keeps round robin in request order, which tests rely on) */
  readonly workerProcesses?: number;
  /** @default 4096 */
  readonly workerConnections?: number;
  /**
   * Where the stream module is, when this nginx has it as a dynamic module (Debian:
   * `/usr/lib/nginx/modules/ngx_stream_module.so`); leave it out when it is built in.
   */
  readonly streamModule?: string;
  /** The user (and group: `'nobody nogroup'`) worker processes run as, when nginx starts as root. */
  readonly user?: string;
  /** Write an access log (`access.log` in `prefix`) naming the instance of every request. @default false */
  readonly accessLog?: boolean;
}

/** The defaults {@link renderNginxConfig} applies. */
export const NGINX_CONFIG_DEFAULTS = {
  stickiness: 'cookie',
  cookieName: 'sl_node',
  websocket: true,
  connectTimeoutMs: 1_000,
  readTimeoutMs: 60_000,
  sendTimeoutMs: 60_000,
  maxFails: 1,
  failTimeoutMs: 10_000,
  maxBodyBytes: 1_048_576,
  balancing: 'least-conn',
  idleTimeoutMs: 600_000,
  workerProcesses: 1,
  workerConnections: 4_096,
} as const;

/** The name of the upstream group every instance is in (and, with cookies, `<name>_<i>` each). */
export const NGINX_POOL = 'socketlab_pool';

const TOKEN = /^[A-Za-z0-9_]{1,64}$/;

function checkEndpoint(name: string, endpoint: BalancerEndpoint): string {
  const { host, port } = endpoint ?? {};
  if (typeof host !== 'string' || net.isIP(host) === 0) {
    throw new TypeError(`${name}.host must be an IPv4 or IPv6 literal, got ${String(host)}`);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new RangeError(`${name}.port must be an integer from 1 to 65535, got ${String(port)}`);
  }
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

function checkUpstreams(name: string, upstreams: readonly BalancerEndpoint[]): string[] {
  if (!Array.isArray(upstreams) || upstreams.length === 0 || upstreams.length > 256) {
    throw new RangeError(`${name}.upstreams must list 1 to 256 instances`);
  }
  const addresses = upstreams.map((u, i) => checkEndpoint(`${name}.upstreams[${i}]`, u));
  if (new Set(addresses).size !== addresses.length) {
    throw new RangeError(`${name}.upstreams lists an instance twice`);
  }
  return addresses;
}

/** A timeout or window in ms: from 1 ms to a day (nginx takes larger, no one means them). */
const checkMs = (name: string, value: number): number => checkInteger(name, value, 1, 86_400_000);

/** A path, absolute and quotable: no quote, backslash, `$` or control character. */
function quotePath(name: string, value: string): string {
  if (typeof value !== 'string' || !path.isAbsolute(value) || /["\\$\p{Cc}]/u.test(value)) {
    throw new TypeError(
      `${name} must be an absolute path without quotes, backslashes, $ or control characters`,
    );
  }
  return `"${value}"`;
}

/** A regular expression matching `address` as the last entry of `$upstream_addr`. */
function lastUpstreamIs(address: string): string {
  return `"~(^|, )${address.replace(/[.[\]]/g, '\\$&')}$"`;
}

function httpBlock(options: HttpBalancerOptions, prefix: string, accessLog: boolean): string[] {
  const listen = checkEndpoint('http.listen', options.listen);
  const addresses = checkUpstreams('http', options.upstreams);
  const d = NGINX_CONFIG_DEFAULTS;
  const stickiness = options.stickiness ?? d.stickiness;
  if (stickiness !== 'none' && stickiness !== 'ip-hash' && stickiness !== 'cookie') {
    throw new TypeError(`http.stickiness must be 'none', 'ip-hash' or 'cookie', got ${stickiness}`);
  }
  const cookieName = options.cookieName ?? d.cookieName;
  if (typeof cookieName !== 'string' || !TOKEN.test(cookieName)) {
    throw new TypeError('http.cookieName must be 1 to 64 letters, digits or underscores');
  }
  const connectMs = checkMs(
    'http.connectTimeoutMs',
    options.connectTimeoutMs ?? d.connectTimeoutMs,
  );
  const readMs = checkMs('http.readTimeoutMs', options.readTimeoutMs ?? d.readTimeoutMs);
  const sendMs = checkMs('http.sendTimeoutMs', options.sendTimeoutMs ?? d.sendTimeoutMs);
  const failMs = checkMs('http.failTimeoutMs', options.failTimeoutMs ?? d.failTimeoutMs);
  const maxFails = checkInteger('http.maxFails', options.maxFails ?? d.maxFails, 0, 1_000);
  const maxBody = checkInteger(
    'http.maxBodyBytes',
    options.maxBodyBytes ?? d.maxBodyBytes,
    0,
    2 ** 40,
  );
  const websocket = options.websocket ?? d.websocket;
  const server = (address: string): string =>
    `server ${address} max_fails=${maxFails} fail_timeout=${Math.ceil(failMs / 1000)}s;`;

  const lines = ['http {'];
  lines.push(
    accessLog
      ? `  log_format socketlab '$remote_addr "$request" $status upstream=$upstream_addr cookie=$cookie_${cookieName}';\n  access_log ${quotePath('prefix', path.join(prefix, 'access.log'))} socketlab;`
      : '  access_log off;',
  );
  for (const temp of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    lines.push(`  ${temp}_temp_path ${quotePath('prefix', path.join(prefix, 'temp', temp))};`);
  }
  if (websocket) {
    // `Connection: upgrade` only when the client asked to upgrade; `close` otherwise, as nginx
    // would send by default (https://nginx.org/en/docs/http/websocket.html).
    lines.push(
      '  map $http_upgrade $socketlab_connection {',
      '    default upgrade;',
      "    '' close;",
      '  }',
    );
  }
  lines.push(`  upstream ${NGINX_POOL} {`);
  if (stickiness === 'ip-hash') lines.push('    ip_hash;');
  for (const address of addresses) lines.push(`    ${server(address)}`);
  lines.push('  }');
  let target = `http://${NGINX_POOL}`;
  if (stickiness === 'cookie') {
    // One group per instance: the instance itself, then every other as a backup, so a client
    // whose instance is down is served elsewhere (and its cookie rewritten to the new one).
    addresses.forEach((address, i) => {
      lines.push(`  upstream ${NGINX_POOL}_${i} {`, `    ${server(address)}`);
      for (const other of addresses)
        if (other !== address) lines.push(`    server ${other} backup;`);
      lines.push('  }');
    });
    lines.push(`  map $cookie_${cookieName} $socketlab_upstream {`, `    default ${NGINX_POOL};`);
    addresses.forEach((_, i) => {
      lines.push(`    ${i} ${NGINX_POOL}_${i};`);
    });
    lines.push('  }');
    // $upstream_addr lists every instance tried ("a, b"): the last one answered.
    lines.push('  map $upstream_addr $socketlab_set_cookie {', '    default "";');
    addresses.forEach((address, i) => {
      lines.push(
        `    ${lastUpstreamIs(address)} "${cookieName}=${i}; Path=/; HttpOnly; SameSite=Lax";`,
      );
    });
    lines.push('  }');
    target = 'http://$socketlab_upstream';
  }
  lines.push(
    '  server {',
    `    listen ${listen};`,
    `    client_max_body_size ${maxBody};`,
    '    location / {',
    `      proxy_pass ${target};`,
    '      proxy_http_version 1.1;',
    '      proxy_set_header Host $host;',
    '      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '      proxy_set_header X-Forwarded-Proto $scheme;',
  );
  if (websocket) {
    lines.push(
      '      proxy_set_header Upgrade $http_upgrade;',
      '      proxy_set_header Connection $socketlab_connection;',
    );
  }
  lines.push(
    // Long-polling responses go to the client as they come, not when a buffer fills.
    '      proxy_buffering off;',
    `      proxy_connect_timeout ${connectMs}ms;`,
    `      proxy_read_timeout ${readMs}ms;`,
    `      proxy_send_timeout ${sendMs}ms;`,
    // A refused or silent instance: the request goes to the next one (never a POST once sent).
    '      proxy_next_upstream error timeout;',
  );
  if (stickiness === 'cookie') lines.push('      add_header Set-Cookie $socketlab_set_cookie;');
  lines.push('    }', '  }', '}');
  return lines;
}

function streamBlock(options: StreamBalancerOptions): string[] {
  const listen = checkEndpoint('stream.listen', options.listen);
  const addresses = checkUpstreams('stream', options.upstreams);
  const d = NGINX_CONFIG_DEFAULTS;
  const balancing = options.balancing ?? d.balancing;
  const method = {
    'least-conn': 'least_conn;',
    'round-robin': '',
    'hash-remote-addr': 'hash $remote_addr consistent;',
  }[balancing];
  if (method === undefined) {
    throw new TypeError(
      `stream.balancing must be 'least-conn', 'round-robin' or 'hash-remote-addr', got ${balancing}`,
    );
  }
  const connectMs = checkMs(
    'stream.connectTimeoutMs',
    options.connectTimeoutMs ?? d.connectTimeoutMs,
  );
  const idleMs = checkMs('stream.idleTimeoutMs', options.idleTimeoutMs ?? d.idleTimeoutMs);
  const failMs = checkMs('stream.failTimeoutMs', options.failTimeoutMs ?? d.failTimeoutMs);
  const maxFails = checkInteger('stream.maxFails', options.maxFails ?? d.maxFails, 0, 1_000);
  const lines = ['stream {', `  upstream ${NGINX_POOL}_tcp {`];
  if (method !== '') lines.push(`    ${method}`);
  for (const address of addresses) {
    lines.push(
      `    server ${address} max_fails=${maxFails} fail_timeout=${Math.ceil(failMs / 1000)}s;`,
    );
  }
  lines.push(
    '  }',
    '  server {',
    `    listen ${listen};`,
    `    proxy_pass ${NGINX_POOL}_tcp;`,
    `    proxy_connect_timeout ${connectMs}ms;`,
    `    proxy_timeout ${idleMs}ms;`,
    '    proxy_next_upstream on;',
    '  }',
    '}',
  );
  return lines;
}

/**
 * The text of an nginx configuration that balances `http` and/or `stream` traffic over socket
 * server instances. Runs in the foreground (`daemon off`), keeps every file in `prefix`.
 * @throws {TypeError | RangeError} on an option that is not what its type says (an address that
 *   is not an IP literal, a port out of range, a name that is not a token, a relative path), so
 *   no value can inject a directive.
 * @example
 * const text = renderNginxConfig({
 *   prefix: '/tmp/lb',
 *   http: { listen: { host: '127.0.0.1', port: 8080 }, upstreams: [a, b, c], stickiness: 'cookie' },
 * });
 */
export function renderNginxConfig(options: NginxConfigOptions): string {
  const prefix = options.prefix;
  quotePath('prefix', prefix);
  if (options.http === undefined && options.stream === undefined) {
    throw new TypeError('renderNginxConfig needs http, stream or both');
  }
  const d = NGINX_CONFIG_DEFAULTS;
  const workers = checkInteger(
    'workerProcesses',
    options.workerProcesses ?? d.workerProcesses,
    1,
    64,
  );
  const connections = checkInteger(
    'workerConnections',
    options.workerConnections ?? d.workerConnections,
    16,
    1_048_576,
  );
  const lines = ['# written by @socketlab/distributed renderNginxConfig'];
  if (options.stream !== undefined && options.streamModule !== undefined) {
    lines.push(`load_module ${quotePath('streamModule', options.streamModule)};`);
  }
  if (options.user !== undefined) {
    if (!/^[a-z_][a-z0-9_-]{0,31}( [a-z_][a-z0-9_-]{0,31})?$/i.test(options.user)) {
      throw new TypeError('user must be a user name, or a user and a group name');
    }
    lines.push(`user ${options.user};`);
  }
  lines.push(
    'daemon off;',
    'master_process on;',
    `worker_processes ${workers};`,
    `pid ${quotePath('prefix', path.join(prefix, 'nginx.pid'))};`,
    `error_log ${quotePath('prefix', path.join(prefix, 'error.log'))} notice;`,
    `events { worker_connections ${connections}; }`,
  );
  if (options.http !== undefined)
    lines.push(...httpBlock(options.http, prefix, options.accessLog ?? false));
  if (options.stream !== undefined) lines.push(...streamBlock(options.stream));
  return `${lines.join('\n')}\n`;
}
