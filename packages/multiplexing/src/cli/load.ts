/**
 * `socketlab-mux load`: the load generator on the command line, against any line- or
 * length-framed echo (or chat) target.
 * @internal
 */
import { parseArgs } from 'node:util';
import { parseEndpoint } from '@socketlab/basics';
import { type CliCommand, CliUsageError } from '@socketlab/internal';
import { FRAMING_NAMES, type FramedTarget, isFramingName } from '@socketlab/tcp-udp';
import {
  formatLoadProgress,
  formatLoadReport,
  LOAD_DEFAULTS,
  LOAD_MIN_MESSAGE_BYTES,
  type LoadReport,
  runLoad,
} from '../load/index.ts';
import { parseNumberOption } from './command.ts';

const HELP = `Usage: socketlab-mux load <host:port> --connections N --rate MSGS_PER_S --duration S [options]

Opens N connections to a framed echo (or chat) target, sends MSGS_PER_S messages per second
spread over them for S seconds, and prints throughput and latency percentiles (p50, p90, p99,
p99.9, max). Latency counts from when each message was due on the constant-rate schedule, not
from when it was sent, so a stalled server cannot hide its stall (coordinated omission, as
wrk2 corrects it); the uncorrected figures are printed beside them.

Arguments and options:
  <host:port>          the target: 127.0.0.1:7000, [::1]:7000, or unix:/path/to/socket
  --connections N      connections to open (1 to 100000)
  --rate MSGS_PER_S    messages per second over all connections (0.01 to 10000000)
  --duration S         seconds to send for (may be fractional: 0.5)
  --size BYTES         bytes per message, at least ${LOAD_MIN_MESSAGE_BYTES} (default ${LOAD_DEFAULTS.messageBytes})
  --framing NAME       line (\\n), length (u32 prefix) or varint (default ${LOAD_DEFAULTS.framing})
  --max-in-flight N    unanswered messages per connection (default ${LOAD_DEFAULTS.maxInFlight}, as wrk2)
  --json               print the report as one JSON object on stdout
  -h, --help           show this help

Progress goes to stderr: one line rewritten in place on a terminal, plain lines otherwise.
Ctrl-C (SIGINT) stops the run early and prints what was measured. Exit code 0 once the run
ends (completed or stopped), 1 when the target cannot be reached or every connection was lost,
2 for a mistake in the command line.

Try it:  socketlab-tcp echo --framing line --port 7000
         socketlab-mux load 127.0.0.1:7000 --connections 10 --rate 2000 --duration 5`;

function targetOf(text: string): FramedTarget {
  let endpoint: ReturnType<typeof parseEndpoint>;
  try {
    endpoint = parseEndpoint(text);
  } catch (err) {
    throw new CliUsageError(`the target ${(err as Error).message}`);
  }
  if (endpoint.kind === 'unix') return { path: endpoint.path };
  if (endpoint.port === 0) throw new CliUsageError(`the target's port must not be 0, got ${text}`);
  return { host: endpoint.host, port: endpoint.port };
}

/** The `load` command. */
export const loadCommand: CliCommand = {
  summary: 'drive a framed echo or chat target at a fixed rate; print latency percentiles',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        connections: { type: 'string' },
        rate: { type: 'string' },
        duration: { type: 'string' },
        size: { type: 'string', default: String(LOAD_DEFAULTS.messageBytes) },
        framing: { type: 'string', default: LOAD_DEFAULTS.framing },
        'max-in-flight': { type: 'string', default: String(LOAD_DEFAULTS.maxInFlight) },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    });
    if (values.help) {
      io.out(HELP);
      return 0;
    }
    if (positionals.length !== 1) {
      throw new CliUsageError(
        positionals.length === 0
          ? 'the target <host:port> is required'
          : `one target expected, got ${positionals.length}: ${positionals.join(' ')}`,
      );
    }
    const target = targetOf(positionals[0] as string);
    const framing = values.framing;
    if (!isFramingName(framing)) {
      throw new CliUsageError(
        `--framing must be one of ${FRAMING_NAMES.join(', ')}, got ${JSON.stringify(framing)}`,
      );
    }
    const durationS = parseNumberOption('duration', values.duration, 0.001, 2_000_000);
    let running: Promise<LoadReport>;
    try {
      running = runLoad({
        target,
        framing,
        connections: parseNumberOption('connections', values.connections, 1, 100_000, {
          integer: true,
        }),
        messagesPerSecond: parseNumberOption('rate', values.rate, 0.01, 10_000_000),
        durationMs: Math.max(1, Math.round(durationS * 1000)),
        messageBytes: parseNumberOption('size', values.size, LOAD_MIN_MESSAGE_BYTES, 2 ** 32, {
          integer: true,
        }),
        maxInFlight: parseNumberOption('max-in-flight', values['max-in-flight'], 1, 1_000_000, {
          integer: true,
        }),
        progressIntervalMs: io.status === undefined ? 1000 : 250,
        onProgress: (progress) => (io.status ?? io.err)(formatLoadProgress(progress)),
        signal: io.signal,
      });
    } catch (err) {
      // runLoad checks what parsing cannot (a size over the framing's limit): still a usage error.
      if (err instanceof RangeError || err instanceof TypeError) {
        throw new CliUsageError(err.message);
      }
      throw err;
    }
    const report = await running;
    io.status?.('');
    if (values.json) io.out(JSON.stringify(report));
    else for (const line of formatLoadReport(report)) io.out(line);
    if (report.stoppedBy === 'connections-lost') {
      io.err(`socketlab-mux load: every connection was lost (${report.firstError ?? 'closed'})`);
      return 1;
    }
    return 0;
  },
};
