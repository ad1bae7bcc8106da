/**
 * `socketlab-tcp send`: sends files to a `socketlab-tcp receive` (the library's `sendFiles`) over
 * one connection, with progress, and exits 0 only when every file arrived.
 * @internal
 */
import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { formatEndpoint, parseEndpoint } from '@socketlab/basics';
import { type FileSendResult, sendFiles } from '../file-transfer/index.ts';
import { type CliCommand, CliUsageError, parseIntegerOption, untilAborted } from './command.ts';

const HELP = `Usage: socketlab-tcp send <file…> <host:port> [options]

Sends each file to a 'socketlab-tcp receive' at host:port (an IPv6 address in brackets:
[::1]:7000) over one connection. Each file is hashed (SHA-256) first; the receiver verifies it,
skips one it already has, and resumes one it has part of. Progress goes to stderr, one line per
file to stdout. Exits 0 when every file was delivered or was already there, 1 otherwise.

Options:
  --connect-timeout MS    give up connecting after this long (default 10000)
  --answer-timeout MS     give up waiting for the receiver's answer after this long (default 60000)
  -h, --help              show this help

Try it:  socketlab-tcp receive --dir /tmp/inbox --port 7000
   then  socketlab-tcp send photo.jpg notes.txt 127.0.0.1:7000`;

/** Exit code after Ctrl-C (128 + SIGINT), as shells report it. */
const EXIT_INTERRUPTED = 130;

/** How many progress lines a file gets at most: one per tenth. */
const PROGRESS_STEPS = 10;

function describe(result: FileSendResult): string {
  const resumed = result.offset > 0 ? `, resumed from ${result.offset}` : '';
  switch (result.status) {
    case 'sent':
      return `sent ${result.name} (${result.size} bytes, ${result.bytesSent} on the wire${resumed}) sha256 ${result.sha256}`;
    case 'skipped':
      return `skipped ${result.name}: the receiver already has it, identical (sha256 ${result.sha256})`;
    default:
      return `${result.status} ${result.name}: ${result.error?.message ?? 'no reason given'}`;
  }
}

/** Fails before connecting, with a plain reason, when `file` is not a regular file we can read. */
async function checkReadableFile(file: string): Promise<void> {
  const stats = await stat(file).catch((error: NodeJS.ErrnoException) => {
    const why = error.code === 'ENOENT' ? 'no such file' : `${error.code ?? error.message}`;
    throw new Error(`cannot send ${JSON.stringify(file)}: ${why}; nothing was sent`);
  });
  if (!stats.isFile()) {
    throw new Error(
      `cannot send ${JSON.stringify(file)}: not a regular file${stats.isDirectory() ? ' (a directory)' : ''}; nothing was sent`,
    );
  }
}

/** The `send` command. */
export const sendCommand: CliCommand = {
  summary: 'send files to a receive (SHA-256 verified, resumes a cut transfer)',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        'connect-timeout': { type: 'string', default: '10000' },
        'answer-timeout': { type: 'string', default: '60000' },
      },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length < 2) {
      throw new CliUsageError(
        positionals.length === 0
          ? 'give at least one file and the receiver as host:port'
          : `give the receiver as host:port after the files (got only ${JSON.stringify(positionals[0])})`,
      );
    }
    const files = positionals.slice(0, -1);
    const where = positionals.at(-1) ?? '';
    let endpoint: ReturnType<typeof parseEndpoint>;
    try {
      endpoint = parseEndpoint(where);
    } catch (error) {
      throw new CliUsageError(`the receiver must be host:port: ${(error as Error).message}`);
    }
    if (endpoint.kind === 'unix') {
      throw new CliUsageError(
        `the receiver must be host:port over TCP, got ${JSON.stringify(where)}`,
      );
    }
    if (endpoint.port === 0) {
      throw new CliUsageError(
        `the receiver's port must be from 1 to 65535, got 0 in ${JSON.stringify(where)}`,
      );
    }
    const connectTimeoutMs = parseIntegerOption(
      'connect-timeout',
      values['connect-timeout'],
      1,
      2 ** 31 - 1,
    );
    const answerTimeoutMs = parseIntegerOption(
      'answer-timeout',
      values['answer-timeout'],
      1,
      2 ** 31 - 1,
    );
    for (const file of files) await checkReadableFile(file);
    const target = formatEndpoint(endpoint);
    io.err(`hashing ${files.length} file(s), then sending to ${target}`);
    const shown = new Map<number, number>();
    const sending = sendFiles(endpoint.host, endpoint.port, files, {
      connectTimeoutMs,
      answerTimeoutMs,
      onProgress: ({ index, name, size, offset, done }) => {
        const step = size === 0 ? PROGRESS_STEPS : Math.floor((done / size) * PROGRESS_STEPS);
        if ((shown.get(index) ?? -1) >= step) return;
        shown.set(index, step);
        const from = offset > 0 ? ` (resumed from ${offset})` : '';
        io.err(`${name}: ${step * (100 / PROGRESS_STEPS)}% ${done}/${size} bytes${from}`);
      },
    });
    const results = await Promise.race([sending, untilAborted(io.signal)]);
    if (results === undefined) {
      sending.catch(() => {}); // it ends with the process
      io.err(
        'socketlab-tcp send: interrupted; the receiver keeps what arrived: send again to resume',
      );
      return EXIT_INTERRUPTED;
    }
    for (const result of results) io.out(describe(result));
    const missing = results.filter((r) => r.status !== 'sent' && r.status !== 'skipped');
    if (missing.length === 0) return 0;
    io.err(
      `socketlab-tcp send: ${missing.length} of ${results.length} file(s) not delivered: ${missing
        .map((r) => `${r.name} (${r.status})`)
        .join(', ')}`,
    );
    return 1;
  },
};
