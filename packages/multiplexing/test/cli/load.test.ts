import type net from 'node:net';
import type { CliIo } from '@socketlab/internal';
import { listenFramedEchoServer } from '@socketlab/tcp-udp';
import {
  freePort,
  pollUntil,
  runCommandInProcess,
  spawnSource,
  withTimeout,
} from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runCli } from '../../src/cli/index.ts';
import { CLI_COMMANDS } from '../../src/cli/main.ts';
import type { LoadReport } from '../../src/load/index.ts';

const PACKAGE_DIR = new URL('../..', import.meta.url);

/** Runs `socketlab-mux` in-process; `status` stands for a terminal when given. */
const runInProcess = (argv: string[], options: Partial<Pick<CliIo, 'signal' | 'status'>> = {}) =>
  runCommandInProcess(runCli, argv, options);

async function echoPort(framing: 'line' | 'length' = 'line'): Promise<number> {
  const server = await listenFramedEchoServer({ framing });
  onTestFinished(() => server.close());
  return (server.address as net.AddressInfo).port;
}

describe('socketlab-mux (in process)', () => {
  const load = (...rest: string[]) => ['load', '127.0.0.1:7', ...rest];
  const ok = ['--connections', '1', '--rate', '10', '--duration', '1'];
  it.each([
    { argv: [], code: 2, stream: 'err', says: 'Usage: socketlab-mux <command>' },
    { argv: ['--help'], code: 0, stream: 'out', says: 'load  drive a framed echo' },
    { argv: ['fire'], code: 2, stream: 'err', says: 'unknown command "fire"' },
    { argv: ['load', '--help'], code: 0, stream: 'out', says: 'coordinated omission' },
    { argv: ['load', ...ok], code: 2, stream: 'err', says: 'the target <host:port> is required' },
    { argv: ['load', 'a:1', 'b:2', ...ok], code: 2, stream: 'err', says: 'one target expected' },
    { argv: ['load', 'nowhere', ...ok], code: 2, stream: 'err', says: 'the target ' },
    { argv: ['load', '127.0.0.1:0', ...ok], code: 2, stream: 'err', says: 'port must not be 0' },
    {
      argv: load('--rate', '10', '--duration', '1'),
      code: 2,
      stream: 'err',
      says: '--connections is required',
    },
    {
      argv: load('--connections', '1', '--duration', '1'),
      code: 2,
      stream: 'err',
      says: '--rate is required',
    },
    {
      argv: load('--connections', '1', '--rate', '5'),
      code: 2,
      stream: 'err',
      says: '--duration is required',
    },
    {
      argv: load(...ok, '--connections', '2.5'),
      code: 2,
      stream: 'err',
      says: '--connections must be a whole number, got "2.5"',
    },
    {
      argv: load(...ok, '--rate', '1e3'),
      code: 2,
      stream: 'err',
      says: '--rate must be a number, got "1e3"',
    },
    {
      argv: load(...ok, '--rate', '0'),
      code: 2,
      stream: 'err',
      says: '--rate must be from 0.01 to 10000000, got 0',
    },
    { argv: load(...ok, '--size', '8'), code: 2, stream: 'err', says: '--size must be from 16' },
    {
      argv: load(...ok, '--size', '70000'),
      code: 2,
      stream: 'err',
      says: 'messageBytes must be an integer from 16 to 65536',
    },
    {
      argv: load(...ok, '--framing', 'json'),
      code: 2,
      stream: 'err',
      says: '--framing must be one of length, varint, line',
    },
    { argv: load(...ok, '--verbose'), code: 2, stream: 'err', says: "Unknown option '--verbose'" },
    {
      argv: load(...ok, '--verbose'),
      code: 2,
      stream: 'err',
      says: "Run 'socketlab-mux load --help'",
    },
  ])('exits $code for $argv', async ({ argv, code, stream, says }) => {
    const result = await runInProcess(argv);
    expect(result.code, `output: ${result.out}${result.err}`).toBe(code);
    expect(result[stream as 'out' | 'err']).toContain(says);
  });

  it('keeps each command in one table', () => {
    for (const command of Object.values(CLI_COMMANDS)) {
      expect(command.summary.length).toBeGreaterThan(0);
      expect(command.help).toMatch(/^Usage: socketlab-mux /);
    }
  });

  it('exits 1 with the code when the target refuses', async () => {
    const port = await freePort();
    const result = await runInProcess([
      'load',
      `127.0.0.1:${port}`,
      '--connections',
      '2',
      '--rate',
      '10',
      '--duration',
      '0.1',
    ]);
    expect(result.code).toBe(1);
    expect(result.err).toContain(`could not open connection 1 of 2 to 127.0.0.1:${port}`);
    expect(result.err).toContain('[MULTIPLEXING_ERR_CONNECTION]');
  });

  it('prints one JSON report with --json, and the counts add up', async () => {
    const port = await echoPort();
    const result = await runInProcess([
      'load',
      `127.0.0.1:${port}`,
      '--connections',
      '3',
      '--rate',
      '300',
      '--duration',
      '0.4',
      '--json',
    ]);
    expect(result.code, result.err).toBe(0);
    const report = JSON.parse(result.out) as LoadReport;
    expect(report).toMatchObject({
      target: `127.0.0.1:${port}`,
      framing: 'line',
      connections: 3,
      durationMs: 400,
      stoppedBy: 'completed',
      counts: { scheduled: 120, sent: 120, received: 120, unanswered: 0, unsent: 0 },
    });
    expect(report.latencyMs.p99).toBeGreaterThanOrEqual(report.latencyMs.p50);
  });

  it('prints the percentiles, with progress rewritten on a terminal', async () => {
    const port = await echoPort('length');
    const statusLines: string[] = [];
    const result = await runInProcess(
      [
        'load',
        `127.0.0.1:${port}`,
        '--connections',
        '2',
        '--rate',
        '200',
        '--duration',
        '0.6',
        '--framing',
        'length',
        '--size',
        '100',
      ],
      { status: (line) => statusLines.push(line) },
    );
    expect(result.code, result.err).toBe(0);
    expect(result.out).toContain(
      `127.0.0.1:${port}: 2 connection(s), 200 msg/s of 100 B (length framing)`,
    );
    expect(result.out).toMatch(/sent 120 {2}received 120 {2}unanswered 0/);
    expect(result.out).toMatch(/corrected +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+\n/);
    expect(result.out).toMatch(/uncorrected +[\d.]+/);
    // Progress every 250 ms on a terminal, then the status line is cleared.
    expect(statusLines.length).toBeGreaterThanOrEqual(2);
    expect(statusLines[0]).toMatch(/^\d+\.\d s {2}sent \d+ {2}received \d+ {2}\d+ msg\/s {2}p50 /);
    expect(statusLines.at(-1)).toBe('');
    expect(result.err).toBe('');
  });
});

describe('socketlab-mux load (spawned)', () => {
  it('stops on SIGINT and prints the JSON report of what it measured; progress as plain lines', async () => {
    const port = await echoPort();
    const running = spawnSource(PACKAGE_DIR, 'src/cli.ts', [
      'load',
      `127.0.0.1:${port}`,
      '--connections',
      '2',
      '--rate',
      '100',
      '--duration',
      '600',
      '--json',
    ]);
    // Not a terminal: progress comes as plain lines on stderr, one a second.
    await pollUntil(() => /sent \d+ {2}received [1-9]/.test(running.output()), 'a progress line', {
      ms: 40_000,
      intervalMs: 25,
      maxTries: 4_000,
    });
    running.child.kill('SIGINT');
    const { code } = await withTimeout(running.exited, 'socketlab-mux load to stop', 10_000);
    expect(code, running.output()).toBe(0);
    expect(running.output()).not.toContain('\r');
    const json = running
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'));
    expect(json, running.output()).toHaveLength(1);
    const report = JSON.parse(json[0] as string) as LoadReport;
    expect(report).toMatchObject({
      target: `127.0.0.1:${port}`,
      connections: 2,
      messagesPerSecond: 100,
      durationMs: 600_000,
      stoppedBy: 'aborted',
    });
    expect(report.counts.received).toBeGreaterThan(0);
    expect(report.counts.sent).toBe(report.counts.received + report.counts.unanswered);
    expect(report.latencyMs.count).toBe(report.counts.received);
  }, 60_000);
});
