/**
 * Prints the kernel's socket table, like `ss -tuna`, read from /proc/net by `readSocketTable()`.
 *
 *   pnpm exec tsx --conditions=@socketlab/source examples/socket-table.ts [--port N] [--state S] [--protocol P] [--ss]
 */
import { parseArgs } from 'node:util';
import {
  BasicsError,
  describeState,
  filterSockets,
  formatSocketTable,
  isTcpState,
  normalizeSocketState,
  readSocketTable,
  SOCKET_PROTOCOLS,
  type SocketProtocol,
} from '@socketlab/basics';

const HELP = `Usage: pnpm exec tsx --conditions=@socketlab/source examples/socket-table.ts [options]

Prints every TCP and UDP socket of this machine, like \`ss -tuna\`, from /proc/net/{tcp,tcp6,udp,udp6}.

  --port N       only sockets whose local or remote port is N
  --state S      only sockets in state S (LISTEN, ESTABLISHED, TIME-WAIT, … or ss's ESTAB, SYN-RECV;
                 may be given more than once)
  --protocol P   only tcp, tcp6, udp or udp6 (may be given more than once)
  --ss           spell states the way ss does (ESTAB instead of ESTABLISHED)
  -h, --help     show this help

Examples:
  … examples/socket-table.ts --state LISTEN
  … examples/socket-table.ts --port 8080            (compare: ss -tan '( sport = :8080 or dport = :8080 )')
  … examples/socket-table.ts --state time-wait      (the closers' TIME-WAIT, 60 s each on Linux)

Linux only: on macOS, BSD or Windows use \`netstat -an\` or \`lsof -i\`.`;

// `… | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

function fail(message: string): never {
  console.error(`socket-table: ${message}\nRun with --help for the options.`);
  process.exit(2);
}

let values: {
  port?: string;
  state?: string[];
  protocol?: string[];
  ss?: boolean;
  help?: boolean;
};
try {
  ({ values } = parseArgs({
    options: {
      port: { type: 'string' },
      state: { type: 'string', multiple: true },
      protocol: { type: 'string', multiple: true },
      ss: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (error) {
  fail((error as Error).message);
}

if (values.help) {
  console.log(HELP);
  process.exit(0);
}

const port = values.port === undefined ? undefined : Number(values.port);
if (port !== undefined && (!/^\d{1,5}$/.test(values.port ?? '') || (port ?? 0) > 65_535)) {
  fail(`--port must be a number from 0 to 65535, got ${JSON.stringify(values.port)}`);
}
for (const protocol of values.protocol ?? []) {
  if (!(SOCKET_PROTOCOLS as readonly string[]).includes(protocol)) {
    fail(
      `--protocol must be one of ${SOCKET_PROTOCOLS.join(', ')}, got ${JSON.stringify(protocol)}`,
    );
  }
}
for (const state of values.state ?? []) {
  try {
    normalizeSocketState(state);
  } catch (error) {
    fail((error as Error).message);
  }
}

try {
  const entries = filterSockets(await readSocketTable(), {
    ...(port === undefined ? {} : { port }),
    ...(values.state === undefined ? {} : { state: values.state }),
    ...(values.protocol === undefined ? {} : { protocol: values.protocol as SocketProtocol[] }),
  });
  console.log(formatSocketTable(entries, { stateNames: values.ss ? 'ss' : 'rfc' }));
  console.log(`\n${entries.length} socket${entries.length === 1 ? '' : 's'}.`);
  // One line of explanation for each TCP state shown.
  const shown = [...new Set(entries.map((entry) => entry.state))].filter(isTcpState);
  for (const state of shown) console.log(`  ${state.padEnd(12)} ${describeState(state)}`);
} catch (error) {
  if (error instanceof BasicsError) {
    console.error(`socket-table: ${error.message} (${error.code})`);
    process.exit(1);
  }
  throw error;
}
