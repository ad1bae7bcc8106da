/**
 * `socketlab-ft receive`: listens, prints the code (and the TLS fingerprint), receives one
 * sender's files into a folder, prints a summary and exits (or keeps going with `--keep`).
 */
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  type CliCommand,
  type CliIo,
  CliUsageError,
  parseIntegerOption,
} from '@socketlab/internal';
import { generateCodePhrase, normalizeCodePhrase } from '../handshake/code-phrase.ts';
import { type FtSessionSummary, startFtReceiver } from '../receiver/ft-receiver.ts';
import { startPartialSweeper } from '../receiver/partial-sweep.ts';
import { ftHome, loadOrCreateIdentity } from '../tls/certificate.ts';
import { startWebReceiver, type WebReceiver } from '../web/index.ts';
import { formatBytes, formatRate, plural } from './format.ts';
import { createProgressDisplay, type ProgressDisplay } from './progress.ts';

/** The port a receiver listens on unless told otherwise. */
export const FT_DEFAULT_PORT = 9400;
/** The port of the upload page (`--web`) unless told otherwise. */
export const FT_DEFAULT_WEB_PORT = 9401;
/** How many days a partial file that is never resumed stays, unless told otherwise. */
export const FT_DEFAULT_KEEP_PARTIALS_DAYS = 7;
const DAY_MS = 24 * 60 * 60 * 1000;

export const RECEIVE_HELP = `Usage: socketlab-ft receive [--dir D] [--port N] [--host H] [--code WORDS] [--overwrite]
                           [--tls] [--timeout S] [--keep] [--web] [--web-port N]
                           [--keep-partials DAYS]

Receives files and folders from one 'socketlab-ft send', verified by SHA-256, into a folder.
It prints a code phrase; the sender must give it (--code) before a single byte is written.
Each file is written to a hidden partial file and appears under its name only once complete
and verified. A transfer cut short (sender killed, network down, disk full) keeps its partial
files: sending again resumes where it stopped. A partial file never resumed is removed after
--keep-partials days (checked at start, then every hour).

Options:
  --dir D        the folder to receive into (default: the current folder; must exist)
  --port N       the port to listen on (default ${FT_DEFAULT_PORT}; 0: the system chooses)
  --host H       the address to listen on (default 0.0.0.0: every interface)
  --code WORDS   the code phrase senders must give (default: 4 random words, printed)
  --overwrite    replace an existing file that has other content (default: refuse it)
  --tls          encrypt with TLS; prints the certificate's fingerprint for the sender to check
                 (a self-signed certificate made once and kept in ${'$'}SOCKETLAB_FT_HOME,
                 else ~/.config/socketlab-ft)
  --timeout S    how long a sender may stay silent before it is cut (default 30)
  --keep         keep receiving after the first sender has finished (until Ctrl-C)
  --web          also serve an upload page: drop files in a browser, with progress, pause and
                 resume (after a reload too), and a list of received files to download; the
                 page asks for the same code phrase (implies --keep)
  --web-port N   the upload page's port (default ${FT_DEFAULT_WEB_PORT}; 0: the system chooses)
  --keep-partials DAYS
                 remove partial files (hidden, named .<name>.<16 hex>.partial, in the folder
                 and its subfolders) not written to for DAYS days, at start and then every
                 hour, never one being written (default ${FT_DEFAULT_KEEP_PARTIALS_DAYS}; 0: never remove them)
  -h, --help     show this help

Exit status: 0 once a sender's files have all arrived (or Ctrl-C with nothing cut short),
1 when it cannot start, after too many wrong codes, or Ctrl-C during a transfer; 2 for a
mistake in the command line.`;

/** Addresses a sender on another machine could use, best first, for the printed command. */
function reachableAddress(host: string): string {
  if (host !== '0.0.0.0' && host !== '::') return host;
  for (const list of Object.values(os.networkInterfaces())) {
    for (const address of list ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return '127.0.0.1';
}

function summaryLines(s: FtSessionSummary): string[] {
  const seconds = s.ms / 1000;
  const lines = [
    `${s.complete ? 'done' : 'incomplete'}: ${plural(s.received, 'file')} received from ${s.peer} (${formatBytes(s.bytes)} in ${seconds.toFixed(1)} s, ${formatRate(seconds > 0 ? s.bytes / seconds : 0)}), ${s.skipped} already here, ${plural(s.plan.directories, 'folder')}`,
  ];
  for (const r of s.refused) lines.push(`  refused ${r.name}: ${r.message}`);
  for (const f of s.failed) lines.push(`  not kept ${f.name}: ${f.message}`);
  if (s.error) lines.push(`  the session ended early: ${s.error.message}`);
  if (!s.complete && (s.error || s.failed.length > 0)) {
    lines.push('  partial files are kept: the sender can run the same command again to resume');
  }
  return lines;
}

async function runReceive(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      dir: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      code: { type: 'string' },
      overwrite: { type: 'boolean' },
      tls: { type: 'boolean' },
      timeout: { type: 'string' },
      keep: { type: 'boolean' },
      web: { type: 'boolean' },
      'web-port': { type: 'string' },
      'keep-partials': { type: 'string' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 0) {
    throw new CliUsageError(`receive takes no arguments, got ${positionals.join(' ')} (use --dir)`);
  }
  const port = parseIntegerOption('port', values.port ?? String(FT_DEFAULT_PORT), 0, 65_535);
  const timeoutS = parseIntegerOption('timeout', values.timeout ?? '30', 1, 86_400);
  const webPort = parseIntegerOption(
    'web-port',
    values['web-port'] ?? String(FT_DEFAULT_WEB_PORT),
    0,
    65_535,
  );
  const keepPartialsDays = parseIntegerOption(
    'keep-partials',
    values['keep-partials'] ?? String(FT_DEFAULT_KEEP_PARTIALS_DAYS),
    0,
    36_500,
  );
  if (values['web-port'] !== undefined && !values.web) {
    throw new CliUsageError('--web-port goes with --web');
  }
  const keep = values.keep === true || values.web === true;
  const host = values.host ?? '0.0.0.0';
  if (host === '') throw new CliUsageError('--host must not be empty');
  let code: string;
  try {
    code = normalizeCodePhrase(values.code ?? generateCodePhrase());
  } catch (error) {
    throw new CliUsageError(`--code: ${(error as Error).message}`);
  }
  const directory = path.resolve(values.dir ?? '.');
  const dirStats = await stat(directory).catch(() => undefined);
  if (!dirStats?.isDirectory()) {
    throw new CliUsageError(
      `--dir ${JSON.stringify(directory)} is not an existing folder: create it first`,
    );
  }
  const identity = values.tls ? await loadOrCreateIdentity() : undefined;
  const receiver = await startFtReceiver({
    directory,
    code,
    host,
    port,
    overwrite: values.overwrite === true,
    timeoutMs: timeoutS * 1000,
    ...(identity ? { tls: { key: identity.key, cert: identity.cert } } : {}),
  }).catch((error: NodeJS.ErrnoException) => {
    const advice: Record<string, string> = {
      EADDRINUSE: `port ${port} is in use: choose another with --port (0: any free port)`,
      EADDRNOTAVAIL: `${host} is not an address of this machine: check --host`,
      EACCES: `port ${port} needs privileges: choose one above 1023`,
    };
    const hint = error.code ? advice[error.code] : undefined;
    throw hint
      ? Object.assign(new Error(`cannot listen: ${hint}`, { cause: error }), { code: error.code })
      : error;
  });
  let web: WebReceiver | undefined;
  if (values.web) {
    web = await startWebReceiver({
      dir: directory,
      host,
      port: webPort,
      code,
      overwrite: values.overwrite === true,
      onEvent: (event) => {
        if (event.type === 'received') {
          io.out(
            `received ${event.file.name} from the page (${formatBytes(event.file.size)}, sha256 ${event.file.sha256})`,
          );
        } else if (event.type === 'upload-failed') {
          io.err(
            `socketlab-ft receive: an upload from the page (${event.name ?? 'a file'}) stopped: ${event.error.message}`,
          );
        }
      },
    }).catch(async (error: NodeJS.ErrnoException) => {
      await receiver.close();
      throw error.code === 'EADDRINUSE'
        ? Object.assign(
            new Error(
              `cannot listen: port ${webPort} is in use: choose another with --web-port (0: any free port)`,
              { cause: error },
            ),
            { code: error.code },
          )
        : error;
    });
  }
  const sweeper = startPartialSweeper({
    directory: receiver.files.directory,
    maxAgeMs: keepPartialsDays * DAY_MS,
    inUse: () => web?.partialsInUse() ?? [],
    busy: () => receiver.activeSessions > 0,
    onSweep: (result) => {
      if (result.removed > 0) {
        io.out(
          `removed ${result.removed} stale partial ${result.removed === 1 ? 'file' : 'files'} (${formatBytes(result.bytes)}) not written to for ${keepPartialsDays} ${keepPartialsDays === 1 ? 'day' : 'days'}`,
        );
      }
      for (const failure of result.failed.slice(0, 3)) {
        io.err(
          `socketlab-ft receive: cannot remove the stale partial ${failure.path}: ${failure.code}`,
        );
      }
    },
    onError: (error) =>
      io.err(
        `socketlab-ft receive: cannot look for stale partial files: ${(error as Error).message}`,
      ),
  });
  const shownHost = reachableAddress(host);
  const hostPort = `${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${receiver.port}`;
  io.out(`receiving into ${directory}`);
  io.out(`listening on ${host}:${receiver.port}${identity ? ' (TLS)' : ''}`);
  io.out(`code: ${code}`);
  if (identity) {
    io.out(
      `tls fingerprint: ${identity.fingerprint}${identity.created ? ` (new certificate, kept in ${ftHome()})` : ''}`,
    );
  }
  io.out(
    `send with: socketlab-ft send <files or folders> ${hostPort} --code ${code}${identity ? ` --tls --fingerprint ${identity.fingerprint}` : ''}`,
  );
  if (web !== undefined) {
    io.out(
      `or open http://${hostPort.replace(/:\d+$/, `:${web.port}`)}/ in a browser and drop files there`,
    );
  }

  const displays = new Map<string, ProgressDisplay>();
  receiver.on('session-start', ({ peer, plan }) => {
    io.out(
      `from ${peer}: ${plan.files} files, ${formatBytes(plan.bytes)}, ${plan.directories} folders`,
    );
    displays.set(
      peer,
      createProgressDisplay({
        verb: 'receiving',
        totalBytes: plan.bytes,
        line: io.out,
        tty: process.stdout.isTTY ? process.stdout : undefined,
      }),
    );
  });
  receiver.files.on('progress', (e) => displays.get(e.peer)?.update(e.name, e.size, e.received, 0));
  receiver.on('denied', ({ peer, error }) =>
    io.err(`socketlab-ft receive: turned away ${peer}: ${error.message} [${error.code}]`),
  );

  let inProgress = 0;
  receiver.on('session-start', () => {
    inProgress += 1;
  });
  const outcome = await new Promise<number>((resolve) => {
    receiver.on('session-end', (summary) => {
      inProgress -= 1;
      displays.get(summary.peer)?.stop();
      displays.delete(summary.peer);
      for (const line of summaryLines(summary)) io.out(line);
      if (summary.complete && !keep) resolve(0);
      else if (!summary.complete)
        io.out(`still listening on port ${receiver.port} for a resume (Ctrl-C to stop)`);
    });
    receiver.on('too-many-wrong-codes', (count) => {
      io.err(
        `socketlab-ft receive: ${count} wrong codes: stopped listening (someone may be guessing). Start again for a new code.`,
      );
      resolve(1);
    });
    const onAbort = (): void => {
      io.err(
        `socketlab-ft receive: stopped${inProgress > 0 ? '; partial files are kept for a resume' : ''}`,
      );
      resolve(inProgress > 0 ? 1 : 0);
    };
    if (io.signal.aborted) onAbort();
    else io.signal.addEventListener('abort', onAbort, { once: true });
  });
  await Promise.all([sweeper.close(), receiver.close(), web?.close()]);
  return outcome;
}

/** The `receive` subcommand. */
export const receiveCommand: CliCommand = {
  summary: 'receive files and folders into a folder (prints the code to give the sender)',
  help: RECEIVE_HELP,
  run: runReceive,
};
