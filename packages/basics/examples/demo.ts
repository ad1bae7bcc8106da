/**
 * The stage 1 demo: watch sockets being born, talking and dying.
 *
 * Starts a line echo server on 127.0.0.1 (a port the kernel picks), sends two clients through
 * it, prints each step of each socket as it happens, and after each phase shows the kernel's own
 * socket table for the demo's port: LISTEN, then ESTABLISHED, then TIME-WAIT on whichever side
 * closed first. Run it with `pnpm start` (from the repository root or the stage folder).
 *
 *   --keep       keep the server running afterwards, so you can talk to it with `nc`
 *   --blocking   instead, show a serial ("blocking") server next to a concurrent one
 *   --help       explain the options
 */

import { demonstrateBlocking } from '../src/lifecycle/blocking.ts';
import {
  connectEchoClient,
  createEchoServer,
  type EchoServer,
  formatLifecycleEvent,
  type LifecycleEvent,
} from '../src/lifecycle/index.ts';
import { formatSocketTable, readSocketTable } from '../src/socket-table/table.ts';

const HELP = `Usage: pnpm start [--keep | --blocking]

Watch the socket lifecycle: an echo server on 127.0.0.1 and two clients, every step of every
socket printed as it happens (create, bind, listen, accept, connect, send, receive, half-close,
close), with the kernel's socket table after each phase (Linux only).

Options:
  --keep       keep the server up at the end and print how to talk to it with nc; Ctrl-C stops it
  --blocking   instead, run the experiment of exercise 06: a server that serves one client at a
               time (like a blocking, single-threaded one) next to a concurrent one
  --help       show this text

It exits by itself after a few seconds unless --keep is given.`;

const HOST = '127.0.0.1';
const args = process.argv.slice(2).filter((arg) => arg !== '--');
const useColor = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const paceMs = process.stdout.isTTY ? 700 : 0;
const origin = performance.now();

const bold = (text: string): string => (useColor ? `\u001b[1m${text}\u001b[0m` : text);
const dim = (text: string): string => (useColor ? `\u001b[2m${text}\u001b[0m` : text);

function printEvent(event: LifecycleEvent): void {
  console.log(`  ${formatLifecycleEvent(event, { color: useColor, origin })}`);
}

function heading(text: string): void {
  console.log(`\n${bold(`── ${text} `.padEnd(78, '─'))}`);
}

function pause(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, paceMs));
}

/** Resolves at the server's first lifecycle event that matches, bounded so the demo never hangs. */
function serverEvent(
  server: EchoServer,
  what: string,
  matches: (event: LifecycleEvent) => boolean,
): Promise<LifecycleEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      server.off('lifecycle', onEvent);
      reject(new Error(`the demo waited 5 s for ${what}`));
    }, 5_000);
    const onEvent = (event: LifecycleEvent): void => {
      if (!matches(event)) return;
      clearTimeout(timer);
      server.off('lifecycle', onEvent);
      resolve(event);
    };
    server.on('lifecycle', onEvent);
  });
}

async function showSocketTable(port: number, expect: string): Promise<void> {
  console.log(
    `\n  ${bold(`The kernel's socket table for port ${port}`)} ${dim(`(like: ss -tan 'sport = :${port} or dport = :${port}')`)}`,
  );
  if (process.platform !== 'linux') {
    console.log(
      `  ${dim(`(only Linux exposes it in /proc/net; on ${process.platform} try: netstat -an | grep ${port})`)}`,
    );
    return;
  }
  try {
    const entries = (await readSocketTable({ protocols: ['tcp', 'tcp6'] })).filter(
      (entry) => entry.localPort === port || entry.remotePort === port,
    );
    const table = entries.length === 0 ? '(no sockets use this port)' : formatSocketTable(entries);
    for (const line of table.split('\n')) console.log(`    ${line}`);
  } catch (error) {
    console.log(`  ${dim(`(could not read it: ${(error as Error).message})`)}`);
  }
  console.log(`  ${dim(expect)}`);
}

async function main(): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(HELP);
    return 0;
  }
  const unknown = args.filter((arg) => arg !== '--keep' && arg !== '--blocking');
  if (unknown.length > 0 || (args.includes('--keep') && args.includes('--blocking'))) {
    console.error(`Unknown option or combination: ${args.join(' ')}.\n\n${HELP}`);
    return 2;
  }
  if (args.includes('--blocking')) return showBlocking();
  const keep = args.includes('--keep');

  console.log(bold('socketlab · stage 1 · the socket lifecycle, live'));
  console.log(
    dim('Every line is one step of one socket; times are milliseconds since the demo started.'),
  );

  heading('1. The server starts: create, bind, listen');
  const server = createEchoServer({ host: HOST, port: 0 });
  server.on('lifecycle', printEvent);
  const { port } = await server.listen();
  await showSocketTable(
    port,
    'One socket in LISTEN: the server waits; the kernel will complete handshakes for it.',
  );
  await pause();

  heading('2. Client A connects, says hello, and stays connected');
  const a = await connectEchoClient(HOST, port, { onEvent: printEvent });
  const aAccepted = a.tuple;
  await a.echo('hello from A');
  await showSocketTable(
    port,
    `Two ESTABLISHED sockets for ONE connection: the client's end (local port ${aAccepted?.localPort ?? '?'}) and the server's end (local port ${port}).`,
  );
  await pause();

  heading('3. Client B does it all: connect, send, receive, close first');
  const b = await connectEchoClient(HOST, port, { onEvent: printEvent });
  const bPort = b.tuple?.localPort;
  const bServerClosed = serverEvent(
    server,
    "the server's end of B to close",
    (e) => e.step === 'close' && e.tuple?.remotePort === bPort,
  );
  await b.echo('hello from B');
  await b.end();
  await bServerClosed;
  await showSocketTable(
    port,
    `B sent its FIN first, so B's end (port ${bPort ?? '?'}) waits in TIME-WAIT: the side that closes first keeps the 5-tuple reserved for a while (60 s on Linux).`,
  );
  await pause();

  if (keep) {
    heading('4. The server keeps running');
    console.log(
      `  Talk to it: ${bold(`nc ${HOST} ${port}`)}  (type a line and press Enter; Ctrl-D half-closes)`,
    );
    console.log('  Each connection you make shows up here. Press Ctrl-C to stop the server.');
    await a.end();
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    heading('5. The server shuts down');
    await server.close();
    return 0;
  }

  heading('4. The server shuts down while A is still connected: it closes first');
  const aClosed = a.closed;
  await server.close();
  await aClosed;
  await showSocketTable(
    port,
    `This time the server closed first, so the TIME-WAIT entry is on ITS end (local port ${port}); the LISTEN socket is gone.`,
  );
  console.log(
    `\n${bold('Done.')} ${bold('pnpm start --keep')} keeps the server up for nc; ${bold('pnpm start --blocking')} shows a blocking design.`,
  );
  return 0;
}

async function showBlocking(): Promise<number> {
  console.log(bold('socketlab · stage 1 · blocking vs non-blocking'));
  console.log(
    dim(
      'Client A connects and holds its connection; client B sends a line. Who answers B, and when?',
    ),
  );
  for (const schedule of ['serial', 'concurrent'] as const) {
    heading(
      schedule === 'serial'
        ? 'Serial: one client at a time, like blocking calls on one thread'
        : 'Concurrent: every client at once, on the event loop',
    );
    const { story } = await demonstrateBlocking(schedule, HOST);
    for (const line of story) console.log(`  · ${line}`);
    await pause();
  }
  console.log(
    `\n${dim("Node's sockets never block; the serial server only simulates it. See exercises/06-concurrent-echo/README.md.")}`,
  );
  return 0;
}

const watchdog = args.includes('--keep')
  ? undefined
  : setTimeout(() => {
      console.error('The demo took longer than 20 s, which it never should: stopping.');
      process.exit(1);
    }, 20_000);

main().then(
  (code) => {
    clearTimeout(watchdog);
    process.exitCode = code;
  },
  (error: unknown) => {
    clearTimeout(watchdog);
    console.error(`The demo failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
