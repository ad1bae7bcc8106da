/**
 * `socketlab-tcp chat`: the line chat on the command line, to join with `nc` from other terminals.
 * @internal
 */
import { formatEndpoint } from '@socketlab/basics';
import { listenLineChat } from '../chat/index.ts';
import {
  type CliCommand,
  closeWhenAborted,
  parseIntegerOption,
  parseServerArgs,
} from './command.ts';

const HELP = `Usage: socketlab-tcp chat [options]

A line chat: every line a person types is sent to everyone else in the room. Join it from
other terminals with netcat (Debian's nc needs -N to hang up when you press Ctrl-D).
Commands in the chat: /nick NAME, /who, /help, /quit.

Options:
  --host HOST           address to listen on (default 127.0.0.1)
  --port N              port to listen on, 0 for any free port (default 0)
  --max-connections N   people in the room at once (default 64)
  --max-line BYTES      longest line accepted; a longer one closes its sender (default 1024)
  --idle-timeout MS     drop a client silent for this long (default 0: never)
  -h, --help            show this help

Try it:  socketlab-tcp chat --port 7000   then, in two more terminals:   nc 127.0.0.1 7000
Stop it with Ctrl-C (SIGINT) or SIGTERM: everyone is told, and their connections get a FIN.`;

/** The `chat` command. */
export const chatCommand: CliCommand = {
  summary: 'a line chat to join with nc (/nick, /who, /quit)',
  help: HELP,
  async run(args, io) {
    const values = parseServerArgs(args, {
      'max-connections': { type: 'string', default: '64' },
      'max-line': { type: 'string', default: '1024' },
    });
    const chat = await listenLineChat({
      host: values.host,
      port: parseIntegerOption('port', values.port, 0, 65_535),
      maxConnections: parseIntegerOption('max-connections', values['max-connections'], 1, 100_000),
      maxLineBytes: parseIntegerOption('max-line', values['max-line'], 1, 1 << 20),
      idleTimeoutMs: parseIntegerOption('idle-timeout', values['idle-timeout'], 0, 2 ** 31 - 1),
    });
    const { address, port } = chat.address;
    io.out(`socketlab-tcp chat listening on ${formatEndpoint({ host: address, port })}`);
    io.err(`join from other terminals with:  nc ${address} ${port}`);
    return closeWhenAborted(
      io,
      () => `closing (online: ${chat.nicks().join(', ') || 'nobody'})`,
      () => chat.close(),
    );
  },
};
