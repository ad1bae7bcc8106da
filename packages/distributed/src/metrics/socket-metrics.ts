import type { Server as NetServer, Socket as NetSocket } from 'node:net';
import { checkInteger } from '@socketlab/internal';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Namespace, Server as SocketIoServer, Socket as SocketIoSocket } from 'socket.io';
import { EventLabeler, OTHER_EVENT_LABEL } from './event-labels.ts';

/**
 * Defaults of {@link createSocketMetrics}. The latency buckets (seconds) run from 1 ms to 10 s,
 * roughly ×2.5 apart: a handler answering on the same machine lands in the first few, one waiting
 * on a database or a broker in the middle, a stuck one in the last.
 */
export const SOCKET_METRICS_DEFAULTS = Object.freeze({
  prefix: 'socketlab_',
  maxEventNames: 50,
  latencyBuckets: Object.freeze([
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
  ]),
});

/** The disconnect reasons Socket.IO 4.8 gives on the server; anything else is counted as `other`. */
const SOCKET_IO_REASONS: ReadonlySet<string> = new Set([
  'transport error',
  'transport close',
  'forced close',
  'ping timeout',
  'parse error',
  'server shutting down',
  'forced server close',
  'client namespace disconnect',
  'server namespace disconnect',
]);

/** What a server is, in the `transport` label. */
export type MetricsTransport = 'socket.io' | 'tcp';

/** A clock in milliseconds, injected so tests can time handlers exactly. */
export interface MetricsClock {
  now(): number;
}

/** Options of {@link createSocketMetrics}. */
export interface SocketMetricsOptions {
  /**
   * The value of the `instance` label on every series: which process this is (a host name and
   * port, a pod name). Required, non-empty; two instances scraped into one Prometheus are told
   * apart by it.
   */
  readonly instance: string;
  /**
   * Where the metrics are registered. Give your own to serve them with your other metrics, or
   * to share one registry between several instrumented servers (the metrics are made once and
   * shared, with the buckets of the first). @default a new `Registry` of its own
   */
  readonly registry?: Registry;
  /** Prefix of every metric name (letters, digits, `_`, `:`). @default 'socketlab_' */
  readonly prefix?: string;
  /**
   * The event names that get a label of their own; every other name is counted as `other`.
   * The safest choice: your protocol's events, known in advance. @default none: learn names
   */
  readonly events?: readonly string[];
  /**
   * Without `events`, the first this many distinct event names seen get labels of their own and
   * the rest are `other`, so hostile clients cannot grow the series count. 0 to 10,000.
   * @default 50
   */
  readonly maxEventNames?: number;
  /** Upper bounds of the latency histogram's buckets, in seconds, increasing. @default SOCKET_METRICS_DEFAULTS.latencyBuckets */
  readonly latencyBuckets?: readonly number[];
  /** Milliseconds, for the latency histogram. @default performance */
  readonly clock?: MetricsClock;
}

/** Socket metrics bound to one instance: instrument servers with it, scrape `registry`. */
export interface SocketMetrics {
  /** The registry holding the metrics; serve it with {@link serveMetrics}. */
  readonly registry: Registry;
  /** The `instance` label. */
  readonly instance: string;
  /**
   * Counts a Socket.IO server's (or one namespace's) connections, messages each way and
   * acknowledgement latency. Sockets already connected are counted from now. A `Server` means
   * its main namespace `/`; call again for others.
   * @returns a function that stops counting (its live sockets leave the gauge)
   */
  instrument(io: SocketIoServer | Namespace): () => void;
  /**
   * Counts a `net.Server`'s connections (open, opened, closed by reason). Call it before the
   * server accepts, since Node cannot list the sockets a server already holds.
   * @returns a function that stops counting (its live sockets leave the gauge)
   */
  instrumentTcp(server: NetServer): () => void;
  /** The label an event name is counted under: itself or `other`. */
  eventLabel(name: unknown): string;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * Prometheus metrics for socket servers (prom-client 15), every series labelled with `instance`:
 *
 * | metric | type | labels |
 * | --- | --- | --- |
 * | `<prefix>connections` | gauge: open now | `transport` |
 * | `<prefix>connections_total` | counter: accepted | `transport` |
 * | `<prefix>disconnections_total` | counter | `transport`, `reason` |
 * | `<prefix>messages_received_total` | counter: events from clients | `event` |
 * | `<prefix>messages_sent_total` | counter: events to clients, one per recipient (a broadcast to 100 sockets counts 100) | `event` |
 * | `<prefix>ack_duration_seconds` | histogram: from an event with an ack callback arriving to the handler calling it | `event` |
 *
 * `event` takes bounded values (see {@link SocketMetricsOptions.events} and `maxEventNames`).
 * @throws {TypeError} an empty `instance`, a bad `prefix`, unsorted buckets, or a metric of
 *   the same name but another type already in `registry`
 * @throws {RangeError} `maxEventNames` out of range
 * @example
 * const metrics = createSocketMetrics({ instance: 'chat-1' });
 * metrics.instrument(io);
 * const endpoint = await serveMetrics(metrics.registry); // http://127.0.0.1:<port>/metrics
 */
export function createSocketMetrics(options: SocketMetricsOptions): SocketMetrics {
  const d = SOCKET_METRICS_DEFAULTS;
  const { instance } = options;
  if (typeof instance !== 'string' || instance.length === 0) {
    throw new TypeError('instance must be a non-empty string (the value of the instance label)');
  }
  const prefix = options.prefix ?? d.prefix;
  if (prefix !== '' && !METRIC_NAME.test(prefix)) {
    throw new TypeError(`prefix must match ${METRIC_NAME}, got ${JSON.stringify(prefix)}`);
  }
  const maxEventNames = checkInteger(
    'maxEventNames',
    options.maxEventNames ?? d.maxEventNames,
    0,
    10_000,
  );
  const buckets = [...(options.latencyBuckets ?? d.latencyBuckets)];
  if (
    buckets.length === 0 ||
    buckets.some((b, i) => !(b > 0) || (i > 0 && b <= (buckets[i - 1] ?? 0)))
  ) {
    throw new TypeError('latencyBuckets must be positive numbers in increasing order');
  }
  const registry = options.registry ?? new Registry();
  const clock = options.clock ?? performance;
  const labeler = new EventLabeler(maxEventNames, options.events);

  const connections = shared(registry, Gauge, {
    name: `${prefix}connections`,
    help: 'Connections open now.',
    labelNames: ['instance', 'transport'],
  });
  const opened = shared(registry, Counter, {
    name: `${prefix}connections_total`,
    help: 'Connections accepted.',
    labelNames: ['instance', 'transport'],
  });
  const closed = shared(registry, Counter, {
    name: `${prefix}disconnections_total`,
    help: 'Connections closed, by reason.',
    labelNames: ['instance', 'transport', 'reason'],
  });
  const received = shared(registry, Counter, {
    name: `${prefix}messages_received_total`,
    help: 'Events received from clients, by event name (bounded: the rest are "other").',
    labelNames: ['instance', 'event'],
  });
  const sent = shared(registry, Counter, {
    name: `${prefix}messages_sent_total`,
    help: 'Events sent to clients, one per recipient, by event name (bounded: the rest are "other").',
    labelNames: ['instance', 'event'],
  });
  const ackLatency = shared(registry, Histogram, {
    name: `${prefix}ack_duration_seconds`,
    help: 'Time from an event with an acknowledgement arriving to the handler acknowledging it.',
    labelNames: ['instance', 'event'],
    buckets,
  });

  const startSeries = (transport: MetricsTransport): void => {
    connections.inc({ instance, transport }, 0);
    opened.inc({ instance, transport }, 0);
  };

  const open = (transport: MetricsTransport): void => {
    connections.inc({ instance, transport });
    opened.inc({ instance, transport });
  };
  const close = (transport: MetricsTransport, reason: string): void => {
    connections.dec({ instance, transport });
    closed.inc({ instance, transport, reason });
  };

  return {
    registry,
    instance,
    eventLabel: (name) => labeler.label(name),

    instrument(io) {
      // A Namespace's `sockets` is a Map of its sockets; a Server's is its main namespace.
      const nsp: Namespace =
        io.sockets instanceof Map ? (io as Namespace) : (io as SocketIoServer).sockets;
      startSeries('socket.io');
      const live = new Map<SocketIoSocket, () => void>();
      let detached = false;

      const track = (socket: SocketIoSocket): void => {
        if (live.has(socket) || !socket.connected) return;
        open('socket.io');
        const onOutgoing = (event: unknown): void => {
          sent.inc({ instance, event: labeler.label(event) });
        };
        const onDisconnect = (reason: string): void => {
          if (!live.delete(socket)) return;
          socket.offAnyOutgoing(onOutgoing);
          close('socket.io', SOCKET_IO_REASONS.has(reason) ? reason : OTHER_EVENT_LABEL);
        };
        socket.onAnyOutgoing(onOutgoing);
        socket.on('disconnect', onDisconnect);
        // Middleware sees the packet array the handlers will get: it can wrap the ack in place.
        socket.use((packet, next) => {
          if (!detached && live.has(socket)) {
            const event = labeler.label(packet[0]);
            received.inc({ instance, event });
            const last = packet.length - 1;
            const ack: unknown = packet[last];
            if (last > 0 && typeof ack === 'function') {
              const started = clock.now();
              let observed = false;
              packet[last] = (...args: unknown[]) => {
                if (!observed) {
                  observed = true;
                  ackLatency.observe(
                    { instance, event },
                    Math.max(0, clock.now() - started) / 1_000,
                  );
                }
                return (ack as (...a: unknown[]) => unknown)(...args);
              };
            }
          }
          next();
        });
        live.set(socket, () => {
          socket.offAnyOutgoing(onOutgoing);
          socket.off('disconnect', onDisconnect);
          connections.dec({ instance, transport: 'socket.io' });
        });
      };

      for (const socket of nsp.sockets.values()) track(socket);
      nsp.on('connection', track);
      return () => {
        if (detached) return;
        detached = true;
        nsp.off('connection', track);
        for (const forget of live.values()) forget();
        live.clear();
      };
    },

    instrumentTcp(server) {
      startSeries('tcp');
      const live = new Map<NetSocket, () => void>();
      const onConnection = (socket: NetSocket): void => {
        open('tcp');
        const onClose = (hadError: boolean): void => {
          if (!live.delete(socket)) return;
          close('tcp', hadError ? 'error' : 'close');
        };
        socket.once('close', onClose);
        live.set(socket, () => {
          socket.off('close', onClose);
          connections.dec({ instance, transport: 'tcp' });
        });
      };
      server.on('connection', onConnection);
      let detached = false;
      return () => {
        if (detached) return;
        detached = true;
        server.off('connection', onConnection);
        for (const forget of live.values()) forget();
        live.clear();
      };
    },
  };
}

type MetricClass<M, C> = new (config: C) => M;

/** The metric `config.name` from `registry` if one of this class is there, else a new one in it. */
function shared<M extends Gauge | Counter | Histogram, C extends { name: string }>(
  registry: Registry,
  Class: MetricClass<M, C>,
  config: C,
): M {
  const existing = registry.getSingleMetric(config.name);
  if (existing === undefined) return new Class({ ...config, registers: [registry] });
  if (existing instanceof Class) return existing;
  throw new TypeError(
    `the registry already holds a metric ${config.name} of another type (${existing.constructor.name})`,
  );
}
