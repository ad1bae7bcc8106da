/**
 * `socketlab-mux echo`: stage 2's framed echo, with every connection held by this stage's
 * connection manager (limits that refuse out loud, idle timeout, heartbeats, a bounded outbound
 * queue, a graceful shutdown with a report). The framing is stage 2's codecs, not rewritten.
 * @internal
 */

import type net from 'node:net';
import { parseArgs } from 'node:util';
import { formatEndpoint } from '@socketlab/basics';
import {
  type CliCommand,
  CliUsageError,
  parseIntegerOption,
  TIMER_MAX_MS,
} from '@socketlab/internal';
import {
  codecForFraming,
  FRAMING_NAMES,
  type FrameCodec,
  isFramingName,
  U32_MAX_FRAME_BYTES,
} from '@socketlab/tcp-udp';
import { OUTBOUND_QUEUE_DEFAULTS } from '../broadcast/index.ts';
import {
  CONNECTION_MANAGER_DEFAULTS,
  type ConnectionManager,
  type ConnectionManagerOptions,
  createConnectionManager,
  listenManagedTcp,
} from '../connections/index.ts';

const d = CONNECTION_MANAGER_DEFAULTS;

/** What the echo does by default where it differs from the manager's defaults. */
const ECHO_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 0,
  framing: 'line',
  maxConnections: 1000,
  heartbeatIntervalMs: 0,
  closeTimeoutMs: 2000,
});

const HELP = `Usage: socketlab-mux echo [--port N] [--host H] [--framing line|length|varint] [options]

Echoes every frame a client sends back to it, framed the same way (stage 2's codecs), with
every connection held by the connection manager: past --max-connections a newcomer is told
MULTIPLEXING_ERR_LIMIT_EXCEEDED and closed; a client that does not read its echoes is told
MULTIPLEXING_ERR_SLOW_CONSUMER and closed once the server holds --high-water bytes for it
(an echo that dropped echoes would lie); a bad frame closes that client only.

Options:
  --port N                port to listen on (default ${ECHO_DEFAULTS.port}: the kernel chooses)
  --host H                address to listen on (default ${ECHO_DEFAULTS.host})
  --framing NAME          line (\\n), length (u32 big-endian prefix) or varint (default ${ECHO_DEFAULTS.framing})
  --max-frame BYTES       longest frame accepted (default 16777216, or 65536 for line)
  --max-connections N     clients at once; the next one is refused out loud (default ${ECHO_DEFAULTS.maxConnections})
  --idle-timeout MS       close a client that sent nothing for MS milliseconds; 0 = never (default 0)
  --heartbeat MS          ping every client every MS milliseconds, cut one that misses ${d.maxMissedHeartbeats}
                          in a row (vanished without FIN); 0 = off (default 0: nc cannot answer)
  --high-water BYTES      what the server holds for one client before closing it (default ${OUTBOUND_QUEUE_DEFAULTS.maxBufferedBytes})
  -h, --help              show this help

It prints its address once listening. Ctrl-C (SIGINT) or SIGTERM tells every client the
server is shutting down, drains, prints "stopped (N drained, M cut)" on stderr and exits 0;
1 when it cannot listen, 2 for a mistake in the command line.

Try it:  socketlab-mux echo --port 7000      then:  nc 127.0.0.1 7000`;

function codecOf(framing: string, maxFrame: string | undefined): FrameCodec {
  if (!isFramingName(framing)) {
    throw new CliUsageError(
      `--framing must be one of ${FRAMING_NAMES.join(', ')}, got ${JSON.stringify(framing)}`,
    );
  }
  const maxFrameBytes =
    maxFrame === undefined
      ? undefined
      : parseIntegerOption('max-frame', maxFrame, 1, U32_MAX_FRAME_BYTES);
  try {
    return codecForFraming(framing, maxFrameBytes);
  } catch (err) {
    // The codec's own bound (a varint's or a line's limit) is still a usage mistake.
    if (err instanceof RangeError) throw new CliUsageError(`--max-frame: ${err.message}`);
    throw err;
  }
}

/**
 * The echo itself: a manager whose every connection sends each frame back (slow readers are
 * disconnected), listening with `codec`. The command and the hostile-peer tests start it.
 */
export async function listenManagedEcho(options: {
  codec: FrameCodec;
  host: string;
  port: number;
  manager: ConnectionManagerOptions<Record<string, never>>;
}): Promise<{ manager: ConnectionManager<Record<string, never>>; address: net.AddressInfo }> {
  const manager = createConnectionManager<Record<string, never>>({
    closeTimeoutMs: ECHO_DEFAULTS.closeTimeoutMs,
    ...options.manager,
    slowConsumerPolicy: 'disconnect',
  });
  manager.on('connection', (conn) => {
    conn.on('message', (frame) => conn.send(frame));
  });
  const { address } = await listenManagedTcp({
    manager,
    codec: options.codec,
    host: options.host,
    port: options.port,
  });
  return { manager, address };
}

/** The `echo` command. */
export const echoCommand: CliCommand = {
  summary: 'a framed echo server whose connections the connection manager holds',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        port: { type: 'string', default: String(ECHO_DEFAULTS.port) },
        host: { type: 'string', default: ECHO_DEFAULTS.host },
        framing: { type: 'string', default: ECHO_DEFAULTS.framing },
        'max-frame': { type: 'string' },
        'max-connections': { type: 'string', default: String(ECHO_DEFAULTS.maxConnections) },
        'idle-timeout': { type: 'string', default: '0' },
        heartbeat: { type: 'string', default: String(ECHO_DEFAULTS.heartbeatIntervalMs) },
        'high-water': { type: 'string', default: String(OUTBOUND_QUEUE_DEFAULTS.maxBufferedBytes) },
      },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length > 0) {
      throw new CliUsageError(`echo takes no arguments, got ${positionals.join(' ')}`);
    }
    if (values.host === '') throw new CliUsageError('--host must not be empty');
    const codec = codecOf(values.framing, values['max-frame']);
    const port = parseIntegerOption('port', values.port, 0, 65_535);
    const { manager, address } = await listenManagedEcho({
      codec,
      host: values.host,
      port,
      manager: {
        maxConnections: parseIntegerOption('max-connections', values['max-connections'], 1, 1e6),
        maxConnectionsPerAddress: 1e6, // one limit on the command line: --max-connections
        idleTimeoutMs: parseIntegerOption('idle-timeout', values['idle-timeout'], 0, TIMER_MAX_MS),
        heartbeatIntervalMs: parseIntegerOption('heartbeat', values.heartbeat, 0, TIMER_MAX_MS),
        maxBufferedBytes: parseIntegerOption('high-water', values['high-water'], 1, 1024 ** 3),
      },
    });
    manager.on('refused', (error) => io.err(`refused: ${error.message} [${error.code}]`));
    manager.on('close', (conn, reason, error) => {
      // A shutdown is reported as a whole; a peer that closed cleanly is not news.
      if (reason === 'shutdown' || (reason === 'peer' && error === undefined)) return;
      io.err(
        `${conn.peerName} closed (${reason})${error === undefined ? '' : `: ${error.message}`}`,
      );
    });
    io.out(
      `echo (${values.framing} framing) listening on ${formatEndpoint({ host: address.address, port: address.port })}`,
    );
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    io.err('socketlab-mux echo: shutting down, telling every client');
    const report = await manager.shutdown();
    io.err(
      `socketlab-mux echo: stopped (${report.drained.length} drained, ${report.cut.length} cut)`,
    );
    return 0;
  },
};
