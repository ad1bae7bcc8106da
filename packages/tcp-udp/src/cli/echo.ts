/**
 * `socketlab-tcp echo`: a framed echo server on the command line, to try the framings with `nc`
 * (`--framing line`) or a program of your own.
 * @internal
 */
import {
  FRAMING_NAMES,
  isFramingName,
  listenFramedEchoServer,
  U32_MAX_FRAME_BYTES,
} from '../framing/index.ts';
import {
  type CliCommand,
  CliUsageError,
  closeWhenAborted,
  parseIntegerOption,
  parseServerArgs,
} from './command.ts';

const HELP = `Usage: socketlab-tcp echo --framing length|varint|line [options]

Echoes every frame a client sends back to it, framed the same way. A client that sends
a bad frame is closed (and reported on stderr); every other client keeps being served.

Options:
  --framing NAME     length (u32 big-endian prefix), varint (LEB128 prefix) or line (\\n)
  --host HOST        address to listen on (default 127.0.0.1)
  --port N           port to listen on, 0 for any free port (default 0)
  --max-frame BYTES  longest frame accepted (default 16777216, or 65536 for line)
  --idle-timeout MS  close a client silent for this long (default 0: never)
  -h, --help         show this help

Try it:  socketlab-tcp echo --framing line --port 7000   then   nc 127.0.0.1 7000
Stop it with Ctrl-C (SIGINT) or SIGTERM: it closes every connection gracefully.`;

/** The `echo` command. */
export const echoCommand: CliCommand = {
  summary: 'a framed echo server (length, varint or line framing)',
  help: HELP,
  async run(args, io) {
    const values = parseServerArgs(args, {
      framing: { type: 'string' },
      'max-frame': { type: 'string' },
    });
    const framing = values.framing;
    if (framing === undefined) {
      throw new CliUsageError(`--framing is required: one of ${FRAMING_NAMES.join(', ')}`);
    }
    if (!isFramingName(framing)) {
      throw new CliUsageError(
        `--framing must be one of ${FRAMING_NAMES.join(', ')}, got ${JSON.stringify(framing)}`,
      );
    }
    const port = parseIntegerOption('port', values.port, 0, 65_535);
    const maxFrame = values['max-frame'];
    const maxFrameBytes =
      maxFrame === undefined
        ? undefined
        : parseIntegerOption('max-frame', maxFrame, 1, U32_MAX_FRAME_BYTES);
    const idleTimeoutMs = parseIntegerOption(
      'idle-timeout',
      values['idle-timeout'],
      0,
      2 ** 31 - 1,
    );
    const server = await listenFramedEchoServer({
      framing,
      host: values.host,
      port,
      idleTimeoutMs,
      ...(maxFrameBytes === undefined ? {} : { maxFrameBytes }),
    });
    server.on('connection', (client) => io.err(`${client.remote} connected`));
    server.on('clientError', (error, client) => {
      const code = 'code' in error ? ` [${String(error.code)}]` : '';
      io.err(`${client.remote} closed: ${error.message}${code}`);
    });
    io.out(`socketlab-tcp echo (${framing} framing) listening on ${server.describeAddress()}`);
    return closeWhenAborted(
      io,
      () => 'closing: ending every connection gracefully',
      () => server.close(),
    );
  },
};
