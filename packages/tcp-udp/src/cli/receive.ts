/**
 * `socketlab-tcp receive`: a file receiver on the command line (the library's
 * `createFileReceiver`), printing one line per file; `socketlab-tcp send` is its other end.
 * @internal
 */
import { stat } from 'node:fs/promises';
import net from 'node:net';
import { formatEndpoint } from '@socketlab/basics';
import { createFileReceiver, FILE_TRANSFER_MAX_FILE_BYTES } from '../file-transfer/index.ts';
import {
  type CliCommand,
  CliUsageError,
  closeWhenAborted,
  parseIntegerOption,
  parseServerArgs,
} from './command.ts';

const HELP = `Usage: socketlab-tcp receive --dir DIR [options]

Receives files sent with 'socketlab-tcp send' (or the library's sendFiles) into DIR: each is
written to a hidden partial file, verified by SHA-256 and moved into place; a transfer cut short
resumes where it stopped. Names are checked (no '..', no absolute paths), an existing file is
never overwritten unless --overwrite is given, and one bad sender never stops the others.
Prints one line per file: received, skipped (already here, identical), refused or failed.

Options:
  --dir DIR                 directory to write into (must exist)
  --host HOST               IP address to listen on (default 127.0.0.1; :: or 0.0.0.0 for all)
  --port N                  port to listen on, 0 for any free port (default 0)
  --overwrite               replace an existing file of the same name
  --allow-subdirectories    accept names with '/' (subdirectories are created inside DIR)
  --max-file-bytes BYTES    largest file accepted (default 17179869184, 16 GiB)
  --max-sessions N          senders served at once; one more is told 'busy' (default 16)
  --idle-timeout MS         drop a sender whose body stalls this long (default 30000)
  --min-body-rate BYTES/S   drop a sender whose body averages less over 10 s (default 1024; 0: off)
  --max-sessions-per-peer N senders served at once from one IP address (default 4)
  --max-buffered-bytes BYTES  bytes received but not yet written, across senders (default 33554432)
  -h, --help                show this help

Try it:  socketlab-tcp receive --dir /tmp/inbox --port 7000
   then  socketlab-tcp send photo.jpg notes.txt 127.0.0.1:7000
Stop it with Ctrl-C (SIGINT) or SIGTERM: partial files are kept, so a sender can resume later.`;

/** The `receive` command. */
export const receiveCommand: CliCommand = {
  summary: 'receive files into a directory (verified, resumable; pair with send)',
  help: HELP,
  async run(args, io) {
    const values = parseServerArgs(args, {
      'idle-timeout': { type: 'string', default: '30000' },
      dir: { type: 'string' },
      overwrite: { type: 'boolean', default: false },
      'allow-subdirectories': { type: 'boolean', default: false },
      'max-file-bytes': { type: 'string' },
      'max-sessions': { type: 'string', default: '16' },
      'min-body-rate': { type: 'string' },
      'max-sessions-per-peer': { type: 'string' },
      'max-buffered-bytes': { type: 'string' },
    });
    const directory = values.dir;
    if (directory === undefined || directory === '') {
      throw new CliUsageError('--dir is required: the directory to write files into');
    }
    const isDirectory = await stat(directory).then(
      (stats) => stats.isDirectory(),
      () => false,
    );
    if (!isDirectory) {
      throw new CliUsageError(
        `--dir must be an existing directory, got ${JSON.stringify(directory)}`,
      );
    }
    if (net.isIP(values.host) === 0) {
      throw new CliUsageError(`--host must be an IP address, got ${JSON.stringify(values.host)}`);
    }
    // Unset flags leave the library's defaults (and their documentation) in charge.
    const optional = <Key extends string>(
      key: Key,
      flag: string,
      min: number,
      max: number,
    ): { [K in Key]?: number } => {
      const value = values[flag as keyof typeof values];
      if (typeof value !== 'string') return {};
      return { [key]: parseIntegerOption(flag, value, min, max) } as { [K in Key]?: number };
    };
    const receiver = createFileReceiver({
      directory,
      host: values.host,
      port: parseIntegerOption('port', values.port, 0, 65_535),
      overwrite: values.overwrite,
      allowSubdirectories: values['allow-subdirectories'],
      maxSessions: parseIntegerOption('max-sessions', values['max-sessions'], 1, 100_000),
      idleTimeoutMs: parseIntegerOption('idle-timeout', values['idle-timeout'], 1, 2 ** 31 - 1),
      ...optional('maxFileBytes', 'max-file-bytes', 0, FILE_TRANSFER_MAX_FILE_BYTES),
      ...optional('minBodyBytesPerSecond', 'min-body-rate', 0, 2 ** 40),
      ...optional('maxSessionsPerPeer', 'max-sessions-per-peer', 1, 100_000),
      ...optional('maxBufferedBytes', 'max-buffered-bytes', 65_536, 2 ** 40),
    });
    receiver.on('file', ({ peer, name, size, sha256, resumedFrom }) => {
      const resumed = resumedFrom > 0 ? `, resumed from ${resumedFrom}` : '';
      io.out(`received ${name} (${size} bytes${resumed}) sha256 ${sha256} from ${peer}`);
    });
    receiver.on('skipped', ({ peer, name }) =>
      io.out(`skipped ${name}: already here, identical (from ${peer})`),
    );
    receiver.on('refused', ({ peer, name, reason, message }) =>
      io.out(`refused ${name}: ${reason}: ${message} (from ${peer})`),
    );
    receiver.on('failed', ({ peer, name, status, message }) =>
      io.out(`failed ${name}: ${status}: ${message} (from ${peer})`),
    );
    receiver.on('session-error', (error, { peer }) =>
      io.err(`${peer} session ended: ${error.message} [${error.code}]`),
    );
    receiver.on('file-system-error', (error) => io.err(`file system: ${error.message}`));
    const { address, port } = await receiver.listen();
    io.out(
      `socketlab-tcp receive listening on ${formatEndpoint({ host: address, port })}, writing into ${receiver.directory}`,
    );
    return closeWhenAborted(
      io,
      () => 'closing: partial files are kept for a resume',
      () => receiver.close(),
    );
  },
};
