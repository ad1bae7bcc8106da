/**
 * The load generator's I/O edge: opens the connections, feeds the pure {@link LoadSchedule} the
 * time and the replies, writes what it says to send, and builds the report.
 */
import { MultiplexingError } from '../errors.ts';
import { closeConnection, type LoadConnection } from './connection.ts';
import { decodeLoadMessageId, encodeLoadMessage } from './message.ts';
import { type LoadOptions, type ResolvedLoadOptions, resolveLoadOptions } from './options.ts';
import type { LoadProgress, LoadReport, LoadStop } from './report.ts';
import { LoadSchedule } from './schedule.ts';

/** Messages written by one tick at most, so replies are read between bursts. */
const MAX_SENDS_PER_TICK = 4096;
/** Connections opened at once. */
const CONNECT_BATCH = 256;

/**
 * Runs a load against an echo (or chat) target: opens `connections` connections (framed TCP to
 * `target`, or whatever `connect` opens: see {@link LoadConnection}), sends
 * `messagesPerSecond` messages spread round-robin over them for `durationMs`, matches each reply
 * to its message by the id it carries, and reports counts, throughput and latency percentiles
 * (p50, p90, p99, p99.9, max) from HDR histograms.
 *
 * Latency is corrected for coordinated omission: every message has an intended send time on a
 * constant-rate schedule, and its latency runs from that time, not from when it was actually
 * written. A message that had to wait (its connection still awaiting a reply, or its socket
 * buffer full) is late because the target was slow, and the wait is part of what a user would
 * have seen. This is how wrk2 measures (Gil Tene, "How NOT to Measure Latency"); the uncorrected
 * figures are reported beside it.
 *
 * @param options - See {@link LoadOptions}; `target` (or `connect`), `messagesPerSecond` and
 *   `durationMs` are required.
 * @returns The report, once the schedule has run and the replies have come in (or
 *   `drainTimeoutMs` has passed), once every connection is lost, or once `signal` aborts.
 * @throws {TypeError}/{RangeError} synchronously for a bad option.
 * @throws {MultiplexingError} `MULTIPLEXING_ERR_CONNECTION` (rejects) when a connection cannot be
 *   opened; the stage 2 error (or the connector's) is the `cause`.
 * @example
 * ```ts
 * const report = await runLoad({
 *   target: { host: '127.0.0.1', port: 7000 },
 *   connections: 10,
 *   messagesPerSecond: 5_000,
 *   durationMs: 10_000,
 * });
 * console.log(report.latencyMs.p99, report.throughput.receivedPerSecond);
 * ```
 */
export function runLoad(options: LoadOptions): Promise<LoadReport> {
  const resolved = resolveLoadOptions(options);
  return run(resolved, () => performance.now());
}

async function openAll(options: ResolvedLoadOptions, where: string): Promise<LoadConnection[]> {
  const sockets: LoadConnection[] = [];
  try {
    for (let first = 0; first < options.connections; first += CONNECT_BATCH) {
      if (options.signal?.aborted) break;
      const count = Math.min(CONNECT_BATCH, options.connections - first);
      const batch = await Promise.allSettled(
        Array.from({ length: count }, () => options.connect()),
      );
      for (const result of batch) if (result.status === 'fulfilled') sockets.push(result.value);
      const failed = batch.find((result) => result.status === 'rejected');
      if (failed !== undefined) {
        const cause = failed.reason as unknown;
        const reason = cause instanceof Error ? cause.message : String(cause);
        throw new MultiplexingError(
          'MULTIPLEXING_ERR_CONNECTION',
          `could not open connection ${sockets.length + 1} of ${options.connections} to ${where}: ${reason}`,
          { cause },
        );
      }
    }
  } catch (err) {
    for (const socket of sockets) closeConnection(socket);
    throw err;
  }
  return sockets;
}

async function run(options: ResolvedLoadOptions, now: () => number): Promise<LoadReport> {
  const where = options.targetName;
  const sockets = await openAll(options, where);
  const schedule = new LoadSchedule({
    connections: options.connections,
    messagesPerSecond: options.messagesPerSecond,
    durationMs: options.durationMs,
    maxInFlight: options.maxInFlight,
    startMs: now(),
  });
  const startMs = schedule.settings.startMs;
  const drainDeadline = startMs + options.durationMs + options.drainTimeoutMs;
  let unmatched = 0;
  let disconnects = 0;
  let receivedBytes = 0;
  let alive = sockets.length;
  let firstError: string | undefined;
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let finish: (stop: LoadStop) => void = () => {};
  const finished = new Promise<LoadStop>((resolve) => {
    finish = (stop) => {
      if (stopping) return;
      stopping = true;
      resolve(stop);
    };
  });

  const noteError = (err: unknown): void => {
    firstError ??= err instanceof Error ? err.message : String(err);
  };

  const wake = (): void => {
    if (stopping || immediate !== undefined) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    immediate = setImmediate(tick);
  };

  function tick(): void {
    immediate = undefined;
    timer = undefined;
    if (stopping) return;
    const t = now();
    const sends = schedule.poll(t, MAX_SENDS_PER_TICK);
    // Corked while this tick writes: a connection's messages leave in one writev, not one each.
    const corked = new Set<LoadConnection>();
    for (const send of sends) {
      const socket = sockets[send.connection] as LoadConnection;
      if (!corked.has(socket)) {
        corked.add(socket);
        socket.cork?.();
      }
      const failed = (err: unknown): void => {
        noteError(err);
        schedule.markDead(send.connection);
      };
      try {
        const sending = socket.send(encodeLoadMessage(send.id, options.messageBytes));
        if (sending !== undefined) Promise.resolve(sending).catch(failed);
      } catch (err) {
        failed(err);
      }
      if (socket.needsDrain?.() === true && socket.onceDrain !== undefined) {
        schedule.setBlocked(send.connection, true);
        socket.onceDrain(() => {
          schedule.setBlocked(send.connection, false);
          wake();
        });
      }
    }
    for (const socket of corked) socket.uncork?.();
    const next = schedule.nextDueMs();
    if (next === undefined && (schedule.done || t >= drainDeadline)) {
      finish('completed');
      return;
    }
    if (sends.length === MAX_SENDS_PER_TICK) {
      wake();
      return;
    }
    const at = next ?? drainDeadline;
    timer = setTimeout(tick, Math.max(0, at - t));
  }

  const readers = sockets.map(async (socket, connection) => {
    try {
      for await (const frame of socket.replies) {
        const id = decodeLoadMessageId(frame);
        if (id === undefined) {
          unmatched++;
          continue;
        }
        receivedBytes += frame.length;
        if (schedule.receive(id, now()) === 'recorded') wake();
      }
    } catch (err) {
      if (!stopping) noteError(err);
    } finally {
      schedule.markDead(connection);
      if (!stopping) {
        disconnects++;
        alive--;
        if (alive === 0) finish('connections-lost');
        else wake();
      }
    }
  });

  const onAbort = (): void => finish('aborted');
  if (options.signal?.aborted) finish('aborted');
  options.signal?.addEventListener('abort', onAbort, { once: true });

  let lastReceived = 0;
  let lastProgressAt = startMs;
  const progressTimer =
    options.onProgress === undefined
      ? undefined
      : setInterval(() => {
          const t = now();
          const counts = schedule.counts();
          const progress: LoadProgress = {
            elapsedMs: t - startMs,
            sent: counts.sent,
            received: counts.received,
            recentPerSecond:
              ((counts.received - lastReceived) * 1000) / Math.max(1, t - lastProgressAt),
            latencyMs: schedule.corrected.summary(),
          };
          lastReceived = counts.received;
          lastProgressAt = t;
          options.onProgress?.(progress);
        }, options.progressIntervalMs);

  tick();
  const stoppedBy = await finished;
  const endMs = now();
  options.signal?.removeEventListener('abort', onAbort);
  if (timer !== undefined) clearTimeout(timer);
  if (immediate !== undefined) clearImmediate(immediate);
  if (progressTimer !== undefined) clearInterval(progressTimer);
  for (const socket of sockets) {
    const failure = closeConnection(socket);
    if (failure !== undefined) noteError(failure);
  }
  await Promise.all(readers);

  const counts = schedule.counts();
  const seconds = Math.max(endMs - startMs, 1) / 1000;
  return {
    target: where,
    framing: options.framing,
    connections: options.connections,
    messagesPerSecond: options.messagesPerSecond,
    messageBytes: options.messageBytes,
    maxInFlight: options.maxInFlight,
    durationMs: options.durationMs,
    elapsedMs: endMs - startMs,
    stoppedBy,
    counts: { ...counts, unmatched, disconnects },
    throughput: {
      sentPerSecond: counts.sent / seconds,
      receivedPerSecond: counts.received / seconds,
      receivedBytesPerSecond: receivedBytes / seconds,
    },
    latencyMs: schedule.corrected.summary(),
    uncorrectedLatencyMs: schedule.uncorrected.summary(),
    ...(firstError === undefined ? {} : { firstError }),
  };
}
