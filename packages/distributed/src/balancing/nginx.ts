/**
 * A real nginx of our own, in the foreground, with a generated config in a directory of its own:
 * never the system's config, pid file or logs. For tests, benchmarks and a learner's experiments
 * (nginx cannot listen on port 0, so free loopback ports are found first and retried if taken).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DistributedError } from '../errors.ts';
import {
  type BalancerEndpoint,
  type HttpBalancerOptions,
  type NginxConfigOptions,
  renderNginxConfig,
  type StreamBalancerOptions,
} from './config.ts';

const run = promisify(execFile);

/** Where nginx is looked for when it is not on `PATH` (Debian puts it in /usr/sbin). */
const NGINX_PLACES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'];

const INSTALL_HINT = 'install it (Debian: apt-get install nginx libnginx-mod-stream)';

/** Options of {@link startNginx}: those of the config, with ports found for you. */
export interface StartNginxOptions
  extends Omit<NginxConfigOptions, 'prefix' | 'http' | 'stream' | 'streamModule' | 'user'> {
  /** The `http` balancer; `listen` defaults to a free port on 127.0.0.1. */
  readonly http?: Omit<HttpBalancerOptions, 'listen'> & {
    readonly listen?: Partial<BalancerEndpoint>;
  };
  /** The `stream` balancer; `listen` defaults to a free port on 127.0.0.1. */
  readonly stream?: Omit<StreamBalancerOptions, 'listen'> & {
    readonly listen?: Partial<BalancerEndpoint>;
  };
  /** The nginx binary. @default `nginx` on PATH, else /usr/sbin/nginx */
  readonly binary?: string;
  /** How long nginx may take to listen. @default 10000 */
  readonly readyTimeoutMs?: number;
}

/** A running nginx: see {@link startNginx}. */
export interface NginxProcess {
  /** Where the `http` balancer listens, and its `http://` URL. */
  readonly http?: BalancerEndpoint & { readonly url: string };
  /** Where the `stream` balancer listens. */
  readonly stream?: BalancerEndpoint;
  /** The directory with `nginx.conf`, the logs and the temp files (removed by `stop`). */
  readonly prefix: string;
  /** The configuration it runs. */
  readonly config: string;
  readonly pid: number;
  /** The access log's lines so far (empty unless `accessLog`). */
  accessLog(): Promise<string[]>;
  /** The error log's text so far. */
  errorLog(): Promise<string>;
  /**
   * Stops nginx: `SIGQUIT` (graceful: open requests finish, up to `timeoutMs`) when `graceful`,
   * else `SIGTERM`; `SIGKILL` if it has not exited within `timeoutMs`. Removes `prefix`.
   * Calling it again returns the same promise.
   */
  stop(options?: { graceful?: boolean; timeoutMs?: number }): Promise<void>;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The nginx binary: `binary` if given, else the first `nginx` on `PATH`, else the usual places.
 * @throws {DistributedError} `DISTRIBUTED_ERR_UNAVAILABLE` when there is none.
 */
export function findNginx(binary?: string): string {
  if (binary !== undefined) {
    if (executable(binary)) return binary;
    throw new DistributedError(
      'DISTRIBUTED_ERR_UNAVAILABLE',
      `nginx is not at ${binary}: ${INSTALL_HINT}`,
    );
  }
  const onPath = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const dir of onPath) {
    const file = path.join(dir, 'nginx');
    if (executable(file)) return file;
  }
  for (const file of NGINX_PLACES) if (executable(file)) return file;
  throw new DistributedError('DISTRIBUTED_ERR_UNAVAILABLE', `nginx was not found: ${INSTALL_HINT}`);
}

/**
 * How this nginx has the stream module: built in (`null`), or the path of the dynamic module
 * to load.
 * @throws {DistributedError} `DISTRIBUTED_ERR_UNAVAILABLE` when it has none.
 */
export async function nginxStreamModule(binary: string): Promise<string | null> {
  // `nginx -V` prints its configure arguments on stderr.
  const { stderr } = await run(binary, ['-V']);
  if (/--with-stream(?:\s|$)/.test(stderr)) return null;
  if (/--with-stream=dynamic/.test(stderr)) {
    const modules = /--modules-path=(\S+)/.exec(stderr)?.[1] ?? '/usr/lib/nginx/modules';
    const file = path.join(modules, 'ngx_stream_module.so');
    if (existsSync(file)) return file;
    throw new DistributedError(
      'DISTRIBUTED_ERR_UNAVAILABLE',
      `nginx's stream module is not installed (${file}): Debian: apt-get install libnginx-mod-stream`,
    );
  }
  throw new DistributedError(
    'DISTRIBUTED_ERR_UNAVAILABLE',
    `${binary} was built without the stream module`,
  );
}

/** A port nothing listens on now, on `host` (the kernel's pick for port 0, released at once). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));

/**
 * Waits until nginx has bound every listening socket and started its workers (its error log says
 * `start worker processes`; connections made from then on wait in the backlog until a worker
 * accepts them), or it fails to bind (`[emerg]`), exits, or `timeoutMs` passes. It never connects
 * to the ports: a probe through a balancer would reach an instance, and a port some other process
 * holds would answer for nginx.
 */
async function started(
  child: ChildProcess,
  errorLog: string,
  timeoutMs: number,
): Promise<'ready' | 'failed' | 'timeout'> {
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  void exited(child).then(() => {
    gone = true;
  });
  // Bounded: at most timeoutMs / 10 rounds.
  for (let round = 0; round < Math.ceil(timeoutMs / 10) + 1; round++) {
    const log = await readFile(errorLog, 'utf8').catch(() => '');
    if (/\[(emerg|alert)\]/.test(log) || gone) return 'failed';
    if (log.includes('start worker process')) return 'ready';
    if (Date.now() >= deadline) return 'timeout';
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return 'timeout';
}

/**
 * The user and group nginx's workers run as when it starts as root: `nobody` (or `www-data`) and
 * that user's own group (nginx would look for a group of the user's name, which Debian lacks).
 */
function workerUser(): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const users = readFileSync('/etc/passwd', 'utf8').split('\n');
    const groups = readFileSync('/etc/group', 'utf8').split('\n');
    for (const name of ['nobody', 'www-data']) {
      const gid = users.find((line) => line.startsWith(`${name}:`))?.split(':')[3];
      const group = groups.find((line) => line.split(':')[2] === gid)?.split(':')[0];
      if (group !== undefined) return `${name} ${group}`;
    }
  } catch {
    // no /etc/passwd or /etc/group: leave nginx its default
  }
  return undefined;
}

/**
 * Starts nginx in the foreground with a config from {@link renderNginxConfig}, in a new
 * directory under the system's temp dir, listening on free loopback ports unless told which;
 * resolves once nginx has bound its ports and started its workers.
 * @throws {DistributedError} `DISTRIBUTED_ERR_UNAVAILABLE` when there is no nginx (or no stream
 *   module for a `stream` balancer), or it exits or does not listen in `readyTimeoutMs`, with the
 *   first line of its error log; `DISTRIBUTED_ERR_PAYLOAD` when nginx rejects the config.
 * @throws {TypeError | RangeError} on a bad option (see {@link renderNginxConfig}).
 * @example
 * const lb = await startNginx({ http: { upstreams: [a, b, c], stickiness: 'cookie' } });
 * const socket = io(lb.http.url, { withCredentials: true }); // the cookie keeps it on one instance
 * await lb.stop();
 */
export async function startNginx(options: StartNginxOptions): Promise<NginxProcess> {
  const { binary: wanted, readyTimeoutMs = 10_000, http, stream, ...rest } = options;
  const binary = findNginx(wanted);
  const streamModule = stream === undefined ? null : await nginxStreamModule(binary);
  const prefix = await mkdtemp(path.join(os.tmpdir(), 'socketlab-nginx-'));
  const user = workerUser();
  try {
    // Workers (as `user`) must reach the temp dirs under prefix.
    await mkdir(path.join(prefix, 'temp'), { recursive: true });
    if (user !== undefined) {
      await chmod(prefix, 0o755);
      await chmod(path.join(prefix, 'temp'), 0o1777);
    }
    const retries = 3;
    for (let attempt = 1; attempt <= retries; attempt++) {
      const endpoint = async (listen?: Partial<BalancerEndpoint>): Promise<BalancerEndpoint> => {
        const host = listen?.host ?? '127.0.0.1';
        return { host, port: listen?.port || (await freePort(host)) };
      };
      const httpAt = http === undefined ? undefined : await endpoint(http.listen);
      const streamAt = stream === undefined ? undefined : await endpoint(stream.listen);
      const config = renderNginxConfig({
        ...rest,
        prefix,
        ...(user === undefined ? {} : { user }),
        ...(streamModule === null ? {} : { streamModule }),
        ...(http === undefined || httpAt === undefined
          ? {}
          : { http: { ...http, listen: httpAt } }),
        ...(stream === undefined || streamAt === undefined
          ? {}
          : { stream: { ...stream, listen: streamAt } }),
      });
      const configFile = path.join(prefix, 'nginx.conf');
      await writeFile(configFile, config);
      const args = ['-p', prefix, '-c', configFile, '-e', path.join(prefix, 'error.log')];
      try {
        await run(binary, ['-t', '-q', ...args]);
      } catch (error) {
        const stderr = String((error as { stderr?: string }).stderr ?? error);
        throw new DistributedError(
          'DISTRIBUTED_ERR_PAYLOAD',
          `nginx rejected the configuration: ${firstProblem(stderr)}`,
          { cause: error },
        );
      }
      // Its own process group, so a stop (or this process exiting) takes the workers with it.
      const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
      groups.add(child);
      child.once('exit', () => groups.delete(child));
      let stderr = '';
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        if (stderr.length < 16_384) stderr += chunk;
      });
      const spawnFailed = new Promise<Error>((resolve) => child.once('error', resolve));
      const state = await Promise.race([
        started(child, path.join(prefix, 'error.log'), readyTimeoutMs),
        spawnFailed.then(() => 'failed' as const),
      ]);
      if (state === 'ready' && child.pid !== undefined) {
        return running(child, prefix, config, httpAt, streamAt);
      }
      killGroup(child, 'SIGKILL');
      await exited(child);
      const log = `${stderr}\n${await readFile(path.join(prefix, 'error.log'), 'utf8').catch(() => '')}`;
      // Another process took a port between our check and nginx's bind: try new ones (not when
      // the caller chose the port).
      const chosen = Boolean(http?.listen?.port || stream?.listen?.port);
      if (/Address already in use/.test(log) && attempt < retries && !chosen) continue;
      throw new DistributedError(
        'DISTRIBUTED_ERR_UNAVAILABLE',
        state === 'timeout'
          ? `nginx did not listen within ${readyTimeoutMs} ms: ${firstProblem(log)}`
          : `nginx exited at start: ${firstProblem(log)}`,
      );
    }
    throw new DistributedError('DISTRIBUTED_ERR_UNAVAILABLE', 'nginx could not bind free ports');
  } catch (error) {
    await rm(prefix, { recursive: true, force: true, maxRetries: 3 });
    throw error;
  }
}

/** Every nginx this process started and that still runs, each the leader of its process group. */
const groups = new Set<ChildProcess>();
// An nginx must not outlive the process that started it (a test run that ends or crashes).
process.once('exit', () => {
  for (const child of groups) killGroup(child, 'SIGKILL');
});

/** Sends `signal` to nginx's process group (the master and its workers). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/** The first `[emerg]` or `[alert]` line of nginx's output, or its first line. */
function firstProblem(output: string): string {
  const lines = output.split('\n').filter((line) => line.trim() !== '');
  return (
    lines.find((line) => /\[(emerg|alert|crit)\]/.test(line)) ??
    lines[0] ??
    'no output'
  ).trim();
}

function running(
  child: ChildProcess,
  prefix: string,
  config: string,
  httpAt: BalancerEndpoint | undefined,
  streamAt: BalancerEndpoint | undefined,
): NginxProcess {
  let stopping: Promise<void> | undefined;
  const host = (h: string): string => (net.isIPv6(h) ? `[${h}]` : h);
  return {
    ...(httpAt === undefined
      ? {}
      : { http: { ...httpAt, url: `http://${host(httpAt.host)}:${httpAt.port}` } }),
    ...(streamAt === undefined ? {} : { stream: streamAt }),
    prefix,
    config,
    pid: child.pid as number,
    async accessLog() {
      const text = await readFile(path.join(prefix, 'access.log'), 'utf8').catch(() => '');
      return text.split('\n').filter((line) => line !== '');
    },
    errorLog() {
      return readFile(path.join(prefix, 'error.log'), 'utf8').catch(() => '');
    },
    stop({ graceful = false, timeoutMs = 5_000 } = {}) {
      stopping ??= (async () => {
        const gone = exited(child);
        killGroup(child, graceful ? 'SIGQUIT' : 'SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((resolve) => {
          timer = setTimeout(() => resolve('late'), timeoutMs);
        });
        if ((await Promise.race([gone, late])) === 'late') {
          killGroup(child, 'SIGKILL');
          await gone;
        }
        clearTimeout(timer);
        await rm(prefix, { recursive: true, force: true, maxRetries: 3 });
      })();
      return stopping;
    },
  };
}
