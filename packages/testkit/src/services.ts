/**
 * The real services the distributed stage and the apps test against (Redis, NATS, RabbitMQ,
 * Mosquitto, PostgreSQL), found the same way everywhere: an environment variable overrides the
 * address, a TCP connect says whether it answers, and a test file that needs one it cannot reach
 * is skipped with one line naming the service, the address tried and the command that starts it —
 * except under CI (`CI=true`), where a missing service is a failure, never a skip.
 *
 * @example
 * const redis = await probeService('redis');
 * describe.skipIf(redis.skip)('the Redis adapter', () => {
 *   beforeAll(() => redis.require()); // under CI, fails every test with what to start
 *   it('…', async () => { const client = new Redis(redis.url); … });
 * });
 */
import net from 'node:net';

/** What the tests know about each service: where it listens by default and how to start it. */
export const SERVICES = {
  redis: {
    env: 'REDIS_URL',
    url: 'redis://127.0.0.1:6379',
    start:
      'redis-server --daemonize yes (Debian: apt-get install redis-server), or docker compose up -d redis',
  },
  nats: {
    env: 'NATS_URL',
    url: 'nats://127.0.0.1:4222',
    start:
      'nats-server -js -D & (Debian: apt-get install nats-server), or docker compose up -d nats',
  },
  rabbitmq: {
    env: 'AMQP_URL',
    url: 'amqp://guest:guest@127.0.0.1:5672',
    start:
      'service rabbitmq-server start (Debian: apt-get install rabbitmq-server), or docker compose up -d rabbitmq',
  },
  mqtt: {
    env: 'MQTT_URL',
    url: 'mqtt://127.0.0.1:1883',
    start: 'mosquitto -d (Debian: apt-get install mosquitto), or docker compose up -d mosquitto',
  },
  postgres: {
    env: 'DATABASE_URL',
    url: 'postgres://postgres@127.0.0.1:5432/postgres',
    start:
      'service postgresql start (Debian: apt-get install postgresql), or docker compose up -d postgres',
  },
} as const;

/** One of the services in {@link SERVICES}. */
export type ServiceName = keyof typeof SERVICES;

/** What {@link probeService} found. */
export interface ServiceProbe {
  readonly name: ServiceName;
  /** The address tried: the environment variable's value, or the default. */
  readonly url: string;
  readonly reachable: boolean;
  /** True when the tests should be skipped: not reachable, and not under CI. */
  readonly skip: boolean;
  /** The one line that says what is missing and how to start it. */
  readonly missing: string;
  /** Throws {@link ServiceProbe.missing} unless the service answered (call it in a `beforeAll`). */
  require(): void;
}

const isCi = (): boolean => process.env.CI === 'true';

/** Whether a TCP connection to `host:port` opens within `timeoutMs`. */
export function canConnect(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Looks for a service: its URL from its environment variable (`REDIS_URL`, `NATS_URL`,
 * `AMQP_URL`, `MQTT_URL`, `DATABASE_URL`) or the default, then a TCP connect to its host and port.
 * Prints the skip line once when the service is missing and tests will be skipped.
 */
export async function probeService(name: ServiceName, timeoutMs = 1_000): Promise<ServiceProbe> {
  const service = SERVICES[name];
  const url = process.env[service.env] ?? service.url;
  const parsed = new URL(url);
  const port = Number(parsed.port) || DEFAULT_PORTS[name];
  const host = parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const reachable = await canConnect(host, port, timeoutMs);
  const missing = `${name} is not answering at ${host}:${port} (${service.env}=${url}): start it with ${service.start}`;
  const skip = !reachable && !isCi();
  if (skip) console.warn(`skipped: ${missing}`);
  return {
    name,
    url,
    reachable,
    skip,
    missing,
    require() {
      if (!reachable)
        throw new Error(`${missing}${isCi() ? ' (CI=true: a missing service is a failure)' : ''}`);
    },
  };
}

const DEFAULT_PORTS: Record<ServiceName, number> = {
  redis: 6379,
  nats: 4222,
  rabbitmq: 5672,
  mqtt: 1883,
  postgres: 5432,
};
