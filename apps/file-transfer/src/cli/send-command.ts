/**
 * `socketlab-ft send`: sends files and folders to a `socketlab-ft receive`, with progress, and
 * says what became of each; run again after an interruption, it resumes.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  type CliCommand,
  type CliIo,
  CliUsageError,
  parseIntegerOption,
} from '@socketlab/internal';
import { ConnectionError, type FileSendResult, RemoteError } from '@socketlab/tcp-udp';
import { FtError } from '../errors.ts';
import { normalizeCodePhrase } from '../handshake/code-phrase.ts';
import { openHashCache } from '../sender/hash-cache.ts';
import { planTransfer } from '../sender/plan.ts';
import { sendPlan } from '../sender/send.ts';
import { ftHome } from '../tls/certificate.ts';
import { formatBytes, formatRate, plural } from './format.ts';
import { createProgressDisplay } from './progress.ts';
import { FT_DEFAULT_PORT } from './receive-command.ts';

/** Files from this size up get a line when they are read to hash them before they are sent. */
const HASH_FIRST_LINE_FROM_BYTES = 1024 * 1024;

export const SEND_HELP = `Usage: socketlab-ft send <path…> <host[:port]> --code WORDS [--tls [--fingerprint F]]
                        [--timeout S] [--resume]

Sends files and folders (their structure kept, empty folders too) to a 'socketlab-ft receive',
each verified by SHA-256 on arrival. Symlinks inside a folder are sent only when they point to
a file inside that folder. If the transfer is cut short, run the same command again: it resumes
from where the receiver's partial files stop (--resume is the default, and the only mode).

Arguments:
  <path…>             files and folders to send
  <host[:port]>       the receiver's address, as it printed it (default port ${FT_DEFAULT_PORT})

Options:
  --code WORDS        the code phrase the receiver printed (or SOCKETLAB_FT_CODE)
  --tls               speak TLS; the receiver's certificate must match --fingerprint, or else
                      the fingerprint remembered for that host in known_hosts
                      (${'$'}SOCKETLAB_FT_HOME/known_hosts); the first time, it is remembered
                      and printed: compare it with the one the receiver printed
  --fingerprint F     the fingerprint the receiver printed (SHA256:…); implies --tls
  --timeout S         how long to wait for the receiver to answer (default 30)
  --resume            resume from the receiver's partial files (the default)
  -h, --help          show this help

Exit status: 0 when every file arrived (or was already there), 1 when one did not or the
transfer failed (the message says what to do), 2 for a mistake in the command line.`;

/** `host`, `host:port`, `[v6]:port` or `[v6]`. */
export function parseDestination(text: string): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const plain = /^([^:[\]]+)(?::(\d+))?$/.exec(text);
  const match = bracketed ?? plain;
  if (!match?.[1]) {
    throw new CliUsageError(
      `${JSON.stringify(text)} is not host:port (e.g. 192.168.1.20:${FT_DEFAULT_PORT})`,
    );
  }
  const port =
    match[2] === undefined ? FT_DEFAULT_PORT : parseIntegerOption('port', match[2], 1, 65_535);
  return { host: match[1], port };
}

const ADVICE: Record<string, string> = {
  exists: 'the receiver keeps existing files: run it with --overwrite to replace them, or rename',
  'unsafe-name': 'the receiver refused the name: rename the file',
  'no-space': "the receiver's disk is full: free space there and send again to resume",
  'too-large': "over the receiver's size limit",
};

function problemLines(results: FileSendResult[]): string[] {
  return results
    .filter((r) => r.status === 'refused' || r.status === 'failed')
    .map((r) => {
      const reason = r.error instanceof RemoteError ? String(r.error.remoteCode) : r.error?.code;
      const advice = reason && ADVICE[reason] ? ` (${ADVICE[reason]})` : '';
      return `  ${r.status} ${r.name}: ${r.error?.message ?? 'unknown'}${advice}`;
    });
}

async function runSend(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      code: { type: 'string' },
      tls: { type: 'boolean' },
      fingerprint: { type: 'string' },
      timeout: { type: 'string' },
      resume: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length < 2) {
    throw new CliUsageError('give at least one file or folder, then the receiver as host:port');
  }
  const destination = parseDestination(positionals[positionals.length - 1] as string);
  const sources = positionals.slice(0, -1);
  const rawCode = values.code ?? process.env.SOCKETLAB_FT_CODE;
  if (rawCode === undefined)
    throw new CliUsageError('give the code phrase the receiver printed: --code WORDS');
  let code: string;
  try {
    code = normalizeCodePhrase(rawCode);
  } catch (error) {
    throw new CliUsageError(`--code: ${(error as Error).message}`);
  }
  if (values.fingerprint !== undefined && !/^SHA256:[A-Za-z0-9+/]{43}$/.test(values.fingerprint)) {
    throw new CliUsageError(
      '--fingerprint must look like SHA256: and 43 base64 characters, as the receiver prints it',
    );
  }
  const timeoutS = parseIntegerOption('timeout', values.timeout ?? '30', 1, 86_400);
  const useTls = values.tls === true || values.fingerprint !== undefined;

  const plan = await planTransfer(sources);
  for (const left of plan.leftOut) io.err(`socketlab-ft send: left out ${left.path}: ${left.why}`);
  const where = `${destination.host.includes(':') ? `[${destination.host}]` : destination.host}:${destination.port}`;
  const tty = process.stdout.isTTY ? process.stdout : undefined;
  /** Large files read to hash them before they are sent: told once each. */
  const hashedFirst = new Set<string>();
  let sending: ReturnType<typeof createProgressDisplay> | undefined;
  let sentSoFar = 0;
  const started = performance.now();
  try {
    const results = await sendPlan(plan, {
      ...destination,
      code,
      timeoutMs: timeoutS * 1000,
      signal: io.signal,
      hashCache: await openHashCache(path.join(ftHome(), 'hash-cache.json')),
      ...(useTls
        ? {
            tls: {
              ...(values.fingerprint ? { fingerprint: values.fingerprint } : {}),
              knownHostsFile: path.join(ftHome(), 'known_hosts'),
              onNewHost: (host, fingerprint) =>
                io.out(
                  `new receiver ${host}: its fingerprint ${fingerprint} is now remembered; check that the receiver printed the same`,
                ),
            },
          }
        : {}),
      // Small files are always hashed first (it costs little); a large one only when the receiver
      // has something under its name and needs the hash to skip or resume it: worth a line.
      onHash: (file) => {
        if (file.size < HASH_FIRST_LINE_FROM_BYTES || hashedFirst.has(file.name)) return;
        hashedFirst.add(file.name);
        const line = `${file.name}: the receiver has it or part of it; reading it to hash it (${formatBytes(file.size)}), then it is skipped or resumed`;
        if (sending) sending.log(line);
        else io.out(line);
      },
      onWelcome: () => {
        io.out(
          `connected to ${where}${useTls ? ' over TLS' : ''}: code accepted, sending ${plural(plan.files.length, 'file')} (${formatBytes(plan.bytes)}), ${plural(plan.directories.length, 'folder')}`,
        );
        sending = createProgressDisplay({
          verb: 'sending',
          totalBytes: plan.bytes,
          line: io.out,
          tty,
        });
      },
      onProgress: (p) => {
        sentSoFar = Math.max(sentSoFar, p.done);
        sending?.update(p.name, p.size, p.done, p.offset);
      },
    });
    sending?.stop();
    const seconds = (performance.now() - started) / 1000;
    const count = (status: FileSendResult['status']) =>
      results.filter((r) => r.status === status).length;
    const bytes = results.reduce((sum, r) => sum + r.bytesSent, 0);
    const resumed = results.filter((r) => r.offset > 0).length;
    const problems = problemLines(results);
    io.out(
      `${problems.length === 0 ? 'done' : 'incomplete'}: ${plural(count('sent'), 'file')} sent to ${where} (${formatBytes(bytes)} in ${seconds.toFixed(1)} s, ${formatRate(seconds > 0 ? bytes / seconds : 0)}${resumed > 0 ? `, ${resumed} resumed` : ''}), ${count('skipped')} already there, ${count('refused')} refused, ${count('failed')} failed; every file sent was verified by SHA-256`,
    );
    for (const line of problems) io.out(line);
    return problems.length === 0 ? 0 : 1;
  } catch (error) {
    sending?.stop();
    if (io.signal.aborted) {
      io.err(
        'socketlab-ft send: interrupted; what arrived is kept on the receiver: run the same command again to resume',
      );
      return 1;
    }
    if (error instanceof ConnectionError) {
      io.err(
        `socketlab-ft send: the connection to ${where} broke (${error.message}); the receiver keeps what arrived as partial files: run the same command again to resume (if the receiver stopped, start it again with the same --dir first) [${error.code}]`,
      );
      return 1;
    }
    if (error instanceof RemoteError) {
      const advice = ADVICE[String(error.remoteCode)];
      io.err(`socketlab-ft send: ${error.message}${advice ? `; ${advice}` : ''} [${error.code}]`);
      return 1;
    }
    if (error instanceof FtError) {
      io.err(`socketlab-ft send: ${error.message} [${error.code}]`);
      return 1;
    }
    throw error;
  }
}

/** The `send` subcommand. */
export const sendCommand: CliCommand = {
  summary: 'send files and folders to a receiver (give the code it printed)',
  help: SEND_HELP,
  run: runSend,
};
