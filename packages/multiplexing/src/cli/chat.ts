/**
 * `socketlab-mux chat`: the room chat on the command line; people join with `nc`.
 * @internal
 */
import { parseArgs } from 'node:util';
import { formatEndpoint } from '@socketlab/basics';
import { type CliCommand, CliUsageError, TIMER_MAX_MS } from '@socketlab/internal';
import type { SlowConsumerPolicy } from '../broadcast/index.ts';
import { listenRoomChat, ROOM_CHAT_DEFAULTS } from '../chat/index.ts';
import { parseNumberOption } from './command.ts';

const d = ROOM_CHAT_DEFAULTS;

const HELP = `Usage: socketlab-mux chat [--port N] [--host H] [--max-connections N] [--idle-timeout MS]
                         [--high-water BYTES] [--slow-policy drop|disconnect]
                         [--max-line BYTES] [--flood-rate R] [--flood-burst N]
                         [--flood-lines N] [--heartbeat MS]

A chat server with rooms that anyone joins with nc. Every client starts in #lobby;
/join ROOM, /leave, /me TEXT, /nick NAME, /who, /help and /quit. A client that floods
(over ${d.maxMessagesPerSecond} lines per second, burst ${d.maxMessageBurst}) or sends a line over ${d.maxLineBytes} bytes is told, then
disconnected; one that reads too slowly loses its oldest lines (drop) or is disconnected.

Options:
  --port N              port to listen on (default ${d.port}: the kernel chooses)
  --host H              address to listen on (default ${d.host})
  --max-connections N   clients at once; the next one is refused out loud (default ${d.maxConnections})
  --idle-timeout MS     close a client silent for MS milliseconds; 0 = never (default ${d.idleTimeoutMs})
  --high-water BYTES    what the server holds for one slow reader (default ${d.maxBufferedBytes})
  --slow-policy P       drop (its oldest lines) or disconnect, past the high-water mark (default drop)
  --max-line BYTES      the longest line; a longer one gets an error and a close (default ${d.maxLineBytes})
  --flood-rate R        lines per second one client may send on average (default ${d.maxMessagesPerSecond})
  --flood-burst N       lines one client may send back to back (default ${d.maxMessageBurst})
  --flood-lines N       lines over the rate (each dropped) before a client is disconnected (default ${d.maxFloodLines})
  --heartbeat MS        ping a client silent for MS milliseconds; cut it after ${d.maxMissedHeartbeats} silent
                        intervals (it vanished); any line answers; 0 = off (default ${d.heartbeatIntervalMs})
  -h, --help            show this help

It prints its address once listening. Ctrl-C (SIGINT) or SIGTERM tells every client the
server is shutting down, drains, and exits 0; 1 when it cannot listen, 2 for a mistake
in the command line.

Try it:  socketlab-mux chat --port 7000      then, in two more terminals:  nc 127.0.0.1 7000`;

const POLICIES: Readonly<Record<string, SlowConsumerPolicy>> = {
  drop: 'drop-oldest',
  disconnect: 'disconnect',
};

/** The `chat` command. */
export const chatCommand: CliCommand = {
  summary: 'a chat server with rooms and flood limits that anyone joins with nc',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        port: { type: 'string', default: String(d.port) },
        host: { type: 'string', default: d.host },
        'max-connections': { type: 'string', default: String(d.maxConnections) },
        'idle-timeout': { type: 'string', default: String(d.idleTimeoutMs) },
        'high-water': { type: 'string', default: String(d.maxBufferedBytes) },
        'slow-policy': { type: 'string', default: 'drop' },
        'max-line': { type: 'string', default: String(d.maxLineBytes) },
        'flood-rate': { type: 'string', default: String(d.maxMessagesPerSecond) },
        'flood-burst': { type: 'string', default: String(d.maxMessageBurst) },
        'flood-lines': { type: 'string', default: String(d.maxFloodLines) },
        heartbeat: { type: 'string', default: String(d.heartbeatIntervalMs) },
      },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length > 0) {
      throw new CliUsageError(`chat takes no arguments, got ${positionals.join(' ')}`);
    }
    const policy = POLICIES[values['slow-policy']];
    if (policy === undefined) {
      throw new CliUsageError(
        `--slow-policy must be drop or disconnect, got ${JSON.stringify(values['slow-policy'])}`,
      );
    }
    if (values.host === '') throw new CliUsageError('--host must not be empty');
    const options = {
      host: values.host,
      port: parseNumberOption('port', values.port, 0, 65_535, { integer: true }),
      maxConnections: parseNumberOption(
        'max-connections',
        values['max-connections'],
        1,
        1_000_000,
        {
          integer: true,
        },
      ),
      idleTimeoutMs: parseNumberOption('idle-timeout', values['idle-timeout'], 0, TIMER_MAX_MS, {
        integer: true,
      }),
      maxBufferedBytes: parseNumberOption('high-water', values['high-water'], 1, 1024 ** 3, {
        integer: true,
      }),
      slowConsumerPolicy: policy,
      maxLineBytes: parseNumberOption('max-line', values['max-line'], 1, 1 << 20, {
        integer: true,
      }),
      maxMessagesPerSecond: parseNumberOption('flood-rate', values['flood-rate'], 0.001, 1e6),
      maxMessageBurst: parseNumberOption('flood-burst', values['flood-burst'], 1, 1e6, {
        integer: true,
      }),
      maxFloodLines: parseNumberOption('flood-lines', values['flood-lines'], 0, 1e6, {
        integer: true,
      }),
      heartbeatIntervalMs: parseNumberOption('heartbeat', values.heartbeat, 0, TIMER_MAX_MS, {
        integer: true,
      }),
    };
    const chat = await listenRoomChat(options);
    io.out(
      `chat listening on ${formatEndpoint({ host: chat.address.address, port: chat.address.port })}; join with: nc ${chat.address.address} ${chat.address.port}`,
    );
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    io.err('socketlab-mux chat: shutting down, telling every client');
    const report = await chat.close();
    io.err(
      `socketlab-mux chat: stopped (${report.drained.length} drained, ${report.cut.length} cut)`,
    );
    return 0;
  },
};
