/**
 * `GET /metrics` in Prometheus' text format: stage 5's socket metrics (connections, messages by
 * event, ack latency) on the app's Socket.IO server, plus the app's own counters, every series
 * labelled with `instance`.
 * @see https://prometheus.io/docs/instrumenting/exposition_formats/
 */
import { createSocketMetrics, type NotificationRoute } from '@socketlab/distributed';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Server } from 'socket.io';
import { NOTIFY_EVENTS } from '../contract.ts';

/** The app's counters, for the code that counts. */
export interface AppMetrics {
  readonly route: NotificationRoute;
  /** A `POST /notify` outcome per recipient (`accepted`, `duplicate`) or a refusal's status. */
  outcome(outcome: 'accepted' | 'duplicate' | number): void;
  receipt(kind: 'delivered' | 'read'): void;
  /** Stops counting the Socket.IO server. */
  close(): void;
}

/** Metrics for the app at `instance`, with `sse()` read at each scrape. */
export function createAppMetrics(options: {
  instance: string;
  io: Server;
  sse: () => { streams: number; clients: number };
}): AppMetrics {
  const registry = new Registry();
  const { instance } = options;
  const sockets = createSocketMetrics({
    instance,
    registry,
    prefix: 'socketlab_notify_',
    events: Object.values(NOTIFY_EVENTS),
  });
  const stop = sockets.instrument(options.io);
  const notifications = new Counter({
    name: 'socketlab_notify_requests_total',
    help: 'POST /notify outcomes: accepted and duplicate per recipient, refusals by status',
    labelNames: ['instance', 'outcome'],
    registers: [registry],
  });
  const receipts = new Counter({
    name: 'socketlab_notify_receipts_total',
    help: 'Delivery acks and read receipts recorded',
    labelNames: ['instance', 'kind'],
    registers: [registry],
  });
  new Gauge({
    name: 'socketlab_notify_sse_clients',
    help: 'Server-Sent Events clients connected',
    labelNames: ['instance'],
    registers: [registry],
    collect() {
      this.set({ instance }, options.sse().clients);
    },
  });
  return {
    route: {
      method: 'GET',
      path: '/metrics',
      async handle(_req, res) {
        const text = await registry.metrics();
        res.writeHead(200, {
          'content-type': registry.contentType,
          'content-length': String(Buffer.byteLength(text)),
        });
        res.end(text);
      },
    },
    outcome: (outcome) => notifications.inc({ instance, outcome: String(outcome) }),
    receipt: (kind) => receipts.inc({ instance, kind }),
    close: stop,
  };
}
