import type net from 'node:net';
import {
  FramedSocket,
  type FramingName,
  lineCodec,
  listenFramedEchoServer,
  listenLineChat,
} from '@socketlab/tcp-udp';
import { freePort, listenTestServer, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { LatencySummary } from '../../src/load/index.ts';
import { runLoad } from '../../src/load/index.ts';

async function echoServer(framing: FramingName) {
  const server = await listenFramedEchoServer({ framing });
  onTestFinished(() => server.close());
  const { port } = server.address as net.AddressInfo;
  return { host: '127.0.0.1', port };
}

/**
 * A line echo server whose echo the test scripts: `beforeEcho` runs before each frame is echoed
 * back (it may wait, to stall the server) and returns false to stop echoing on that connection.
 */
async function scriptedEcho(beforeEcho: (sockets: ReadonlySet<net.Socket>) => Promise<boolean>) {
  const server = await listenTestServer((socket) => {
    const framed = new FramedSocket(socket, { codec: lineCodec() });
    void (async () => {
      try {
        for await (const frame of framed) {
          if (!(await beforeEcho(server.sockets))) return;
          await framed.send(frame);
        }
      } catch {
        // the generator closed its connection, or the test destroyed it
      }
    })();
  });
  return { host: '127.0.0.1', port: server.port };
}

function expectMonotonic(latency: LatencySummary): void {
  const order = [latency.p50, latency.p90, latency.p99, latency.p999, latency.max];
  for (let i = 1; i < order.length; i++) {
    expect(order[i], `percentile ${i} of ${JSON.stringify(latency)}`).toBeGreaterThanOrEqual(
      order[i - 1] as number,
    );
  }
  expect(latency.p50).toBeGreaterThan(0);
}

describe('runLoad against a real echo server', () => {
  it.each([
    { framing: 'line' as const, messageBytes: 64 },
    { framing: 'length' as const, messageBytes: 4096 },
  ])('gets every message back over $framing framing, and the counts add up', async (setup) => {
    const target = await echoServer(setup.framing);
    const report = await withTimeout(
      runLoad({
        target,
        framing: setup.framing,
        messageBytes: setup.messageBytes,
        connections: 4,
        messagesPerSecond: 400,
        durationMs: 500,
      }),
      'the load run',
      15_000,
    );
    expect(report.stoppedBy).toBe('completed');
    expect(report.counts).toEqual({
      scheduled: 200,
      sent: 200,
      received: 200,
      duplicates: 0,
      unsent: 0,
      unanswered: 0,
      unmatched: 0,
      disconnects: 0,
    });
    expect(report.latencyMs.count).toBe(200);
    expect(report.throughput.receivedBytesPerSecond).toBeCloseTo(
      report.throughput.receivedPerSecond * setup.messageBytes,
      3,
    );
    expectMonotonic(report.latencyMs);
    expectMonotonic(report.uncorrectedLatencyMs);
    // Every message's corrected latency is at least its uncorrected one, so every percentile is.
    for (const p of ['p50', 'p90', 'p99', 'p999', 'max'] as const) {
      expect(report.latencyMs[p]).toBeGreaterThanOrEqual(report.uncorrectedLatencyMs[p]);
    }
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('shows a server stall in the corrected latency and not in the uncorrected one', async () => {
    // An echo server that holds the 20th message for 400 ms: a closed-loop generator sends
    // nothing meanwhile, so the uncorrected figures see one slow reply among 200.
    const STALL_MS = 400;
    let seen = 0;
    const target = await scriptedEcho(async () => {
      if (++seen === 20) await new Promise((resolve) => setTimeout(resolve, STALL_MS));
      return true;
    });
    const report = await withTimeout(
      runLoad({
        target,
        connections: 1,
        messagesPerSecond: 200,
        durationMs: 1000,
      }),
      'the load run',
      15_000,
    );
    expect(report.counts).toMatchObject({ sent: 200, received: 200, unanswered: 0 });
    // About 80 of the 200 messages were due during the stall: from 400 ms down to 0.
    expect(report.latencyMs.max).toBeGreaterThanOrEqual(STALL_MS * 0.9);
    expect(report.latencyMs.p90).toBeGreaterThan(STALL_MS / 2); // about 320 ms
    expect(report.uncorrectedLatencyMs.max).toBeGreaterThanOrEqual(STALL_MS * 0.9);
    expect(report.uncorrectedLatencyMs.p90).toBeLessThan(STALL_MS / 2); // a round trip
  });

  it('counts a chat room delivering each message to the other member', async () => {
    const chat = await listenLineChat({});
    onTestFinished(() => chat.close());
    const report = await withTimeout(
      runLoad({
        target: { host: '127.0.0.1', port: chat.address.port },
        connections: 2,
        messagesPerSecond: 100,
        durationMs: 300,
        drainTimeoutMs: 3000,
      }),
      'the load run',
      15_000,
    );
    expect(report.counts).toMatchObject({ sent: 30, received: 30, unanswered: 0, duplicates: 0 });
    expect(report.counts.unmatched).toBeGreaterThan(0); // the welcome and join notices
  });

  it('stops early when its signal aborts, with what it measured', async () => {
    const target = await echoServer('line');
    const controller = new AbortController();
    const report = await withTimeout(
      runLoad({
        target,
        messagesPerSecond: 1000,
        durationMs: 60_000,
        progressIntervalMs: 20,
        onProgress: (progress) => {
          if (progress.received >= 20) controller.abort();
        },
        signal: controller.signal,
      }),
      'the aborted run',
      15_000,
    );
    expect(report.stoppedBy).toBe('aborted');
    expect(report.counts.received).toBeGreaterThanOrEqual(20);
    expect(report.counts.received).toBeLessThan(60_000);
    expect(report.elapsedMs).toBeLessThan(60_000);
  });

  it('rejects with MULTIPLEXING_ERR_CONNECTION when the target refuses', async () => {
    const port = await freePort();
    const failure = await runLoad({
      target: { host: '127.0.0.1', port },
      connections: 3,
      messagesPerSecond: 10,
      durationMs: 100,
    }).catch((err: unknown) => err);
    expect(failure).toMatchObject({ code: 'MULTIPLEXING_ERR_CONNECTION' });
    expect((failure as Error).message).toMatch(`to 127.0.0.1:${port}: could not connect`);
    expect((failure as Error).cause).toMatchObject({ code: 'TCPUDP_ERR_CONNECTION' });
  });

  it('reports the connections lost when the server goes away mid-run', async () => {
    let echoed = 0;
    const target = await scriptedEcho(async (sockets) => {
      if (++echoed < 5) return true;
      for (const s of sockets) s.destroy();
      return false;
    });
    const report = await withTimeout(
      runLoad({
        target,
        connections: 2,
        messagesPerSecond: 200,
        durationMs: 10_000,
      }),
      'the run to notice',
      15_000,
    );
    expect(report.stoppedBy).toBe('connections-lost');
    expect(report.counts.disconnects).toBe(2);
    expect(report.counts.received).toBeLessThan(report.counts.sent);
    expect(report.counts.sent).toBe(report.counts.received + report.counts.unanswered);
  });
});

describe('runLoad options', () => {
  const base = { target: { host: '127.0.0.1', port: 7 }, messagesPerSecond: 10, durationMs: 100 };
  it.each([
    [{ ...base, messagesPerSecond: 0 }, RangeError, 'messagesPerSecond must be a number from 0.01'],
    [{ ...base, messagesPerSecond: Number.NaN }, TypeError, 'messagesPerSecond must be a number'],
    [{ ...base, durationMs: 1.5 }, TypeError, 'durationMs must be an integer'],
    [{ ...base, connections: 0 }, RangeError, 'connections must be an integer from 1 to 100000'],
    [{ ...base, messageBytes: 8 }, RangeError, 'messageBytes must be an integer from 16 to 65536'],
    [
      { ...base, framing: 'length' as const, messageBytes: 2 ** 25 },
      RangeError,
      'messageBytes must be an integer from 16 to 16777216',
    ],
    [{ ...base, maxInFlight: 0 }, RangeError, 'maxInFlight must be an integer from 1'],
    [{ ...base, framing: 'json' }, TypeError, 'framing must be one of length, varint, line'],
    [{ ...base, target: { host: '127.0.0.1', port: 0 } }, RangeError, 'target.port must be'],
    [{ ...base, target: 'localhost:7' }, TypeError, 'target must be { host, port } or { path }'],
    [{ ...base, onProgress: 5 }, TypeError, 'onProgress must be a function'],
  ])('throws synchronously for %j', (options, kind, message) => {
    expect(() => runLoad(options as never)).toThrow(kind);
    expect(() => runLoad(options as never)).toThrow(message);
  });
});
