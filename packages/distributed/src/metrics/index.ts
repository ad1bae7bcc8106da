/** Metrics for socket servers (D8): other areas import this area only through this file. */
export { EventLabeler, MAX_EVENT_LABEL_LENGTH, OTHER_EVENT_LABEL } from './event-labels.ts';
export {
  METRICS_SERVER_DEFAULTS,
  type MetricsServer,
  type MetricsServerOptions,
  serveMetrics,
} from './serve.ts';
export {
  createSocketMetrics,
  type MetricsClock,
  type MetricsTransport,
  SOCKET_METRICS_DEFAULTS,
  type SocketMetrics,
  type SocketMetricsOptions,
} from './socket-metrics.ts';
