/**
 * What the load generator reports, while it runs and at the end, and how a person reads it.
 */
import type { LatencySummary } from './latency.ts';
import type { LoadCounts } from './schedule.ts';

/** A snapshot while the load runs, handed to `onProgress`. */
export interface LoadProgress {
  /** Milliseconds since the schedule started. */
  readonly elapsedMs: number;
  readonly sent: number;
  readonly received: number;
  /** Replies per second since the previous snapshot. */
  readonly recentPerSecond: number;
  /** Latency so far, counted from the intended send times. */
  readonly latencyMs: LatencySummary;
}

/** Why a run ended. */
export type LoadStop = 'completed' | 'aborted' | 'connections-lost';

/** The outcome of {@link runLoad}; `JSON.stringify` gives the CLI's `--json` output. */
export interface LoadReport {
  /** The target as text: `127.0.0.1:7000`, a socket path, or the `targetName` given with `connect`. */
  readonly target: string;
  /** The TCP framing, or `custom` with a connector. */
  readonly framing: string;
  readonly connections: number;
  readonly messagesPerSecond: number;
  readonly messageBytes: number;
  readonly maxInFlight: number;
  /** The planned duration of the schedule. */
  readonly durationMs: number;
  /** From the first intended send time to the end of the run (the drain included). */
  readonly elapsedMs: number;
  /** `completed`: the schedule ran out; `aborted`: the signal stopped it; `connections-lost`: none was left. */
  readonly stoppedBy: LoadStop;
  /** What the schedule did; for an echo, `sent === received` and nothing is unanswered. */
  readonly counts: LoadCounts & {
    /** Frames received that carried no message id (a chat server's notices). */
    readonly unmatched: number;
    /** Connections that closed or failed before the end. */
    readonly disconnects: number;
  };
  readonly throughput: {
    readonly sentPerSecond: number;
    readonly receivedPerSecond: number;
    /** Payload bytes received per second. */
    readonly receivedBytesPerSecond: number;
  };
  /** Latency counted from each message's intended send time (coordinated omission corrected). */
  readonly latencyMs: LatencySummary;
  /** Latency counted from each message's actual send time: for comparison only. */
  readonly uncorrectedLatencyMs: LatencySummary;
  /** The first connection error seen, if any. */
  readonly firstError?: string;
}

const ms = (value: number): string =>
  value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
const rate = (value: number): string => Math.round(value).toLocaleString('en');

/** One progress line: `5.0 s  sent 5,000  received 4,998  1,000 msg/s  p50 0.21 ms  p99 1.30 ms`. */
export function formatLoadProgress(progress: LoadProgress): string {
  const { latencyMs } = progress;
  return [
    `${(progress.elapsedMs / 1000).toFixed(1)} s`,
    `sent ${rate(progress.sent)}`,
    `received ${rate(progress.received)}`,
    `${rate(progress.recentPerSecond)} msg/s`,
    `p50 ${ms(latencyMs.p50)} ms`,
    `p99 ${ms(latencyMs.p99)} ms`,
  ].join('  ');
}

/** The report as lines for a person: counts, throughput, then both latency tables. */
export function formatLoadReport(report: LoadReport): string[] {
  const c = report.counts;
  const row = (name: string, l: LatencySummary): string =>
    `  ${name.padEnd(12)} ${[l.p50, l.p90, l.p99, l.p999, l.max]
      .map((v) => ms(v).padStart(9))
      .join('')}`;
  const lines = [
    `${report.target}: ${report.connections} connection(s), ${rate(report.messagesPerSecond)} msg/s of ${report.messageBytes} B (${report.framing} framing) for ${(report.durationMs / 1000).toFixed(1)} s: ${report.stoppedBy} after ${(report.elapsedMs / 1000).toFixed(2)} s`,
    `  scheduled ${rate(c.scheduled)}  sent ${rate(c.sent)}  received ${rate(c.received)}  unanswered ${rate(c.unanswered)}  unsent ${rate(c.unsent)}  duplicates ${rate(c.duplicates)}  unmatched ${rate(c.unmatched)}  disconnects ${c.disconnects}`,
    `  throughput   ${rate(report.throughput.receivedPerSecond)} msg/s received, ${rate(report.throughput.receivedBytesPerSecond)} B/s`,
    `  latency (ms)       p50      p90      p99    p99.9      max`,
    row('corrected', report.latencyMs),
    row('uncorrected', report.uncorrectedLatencyMs),
    '  (corrected: from the intended send time of the constant-rate schedule, as wrk2 counts)',
  ];
  if (report.firstError !== undefined) lines.push(`  first error: ${report.firstError}`);
  return lines;
}
