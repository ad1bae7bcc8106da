import { splitLines } from '@socketlab/basics';
import type { RunningChatServer } from '../../exercises/04-line-chat/exercise.ts';
import type { TcpConnection } from '../../src/tcp/connection.ts';
import { createTcpServer } from '../../src/tcp/server.ts';

export type { RunningChatServer };

/** The longest line accepted; a longer one closes that client only. */
const MAX_LINE_BYTES = 16 * 1024;

interface Member {
  nick: string | undefined;
  pending: Buffer;
}

/**
 * The exercise's simplified chat, on the library's `createTcpServer` and stage 1's `splitLines`.
 * The full chat (nick commands, limits, slow readers) is `listenLineChat` in `src/chat/server.ts`.
 */
export async function startChatServer(
  port: number,
  host = '127.0.0.1',
): Promise<RunningChatServer> {
  const members = new Map<TcpConnection, Member>();
  const broadcast = (from: TcpConnection, text: string): void => {
    for (const [conn, member] of members) {
      if (conn !== from && member.nick !== undefined) conn.write(text).catch(() => undefined);
    }
  };
  const server = createTcpServer({
    host,
    port,
    closeTimeoutMs: 500,
    onConnection: (conn) => {
      const member: Member = { nick: undefined, pending: Buffer.alloc(0) };
      members.set(conn, member);
      conn.on('data', (chunk) => {
        const { lines, rest, overflow } = splitLines(member.pending, chunk, MAX_LINE_BYTES);
        member.pending = rest;
        for (const line of lines) {
          const text = line.toString('utf8').replace(/\r?\n$/, '');
          if (member.nick === undefined) {
            member.nick = text;
            broadcast(conn, `* ${text} joined\n`);
          } else {
            broadcast(conn, `${member.nick}: ${text}\n`);
          }
        }
        if (overflow) conn.destroy();
      });
      conn.on('end', () => void conn.end().catch(() => undefined));
      conn.on('close', () => {
        members.delete(conn);
        if (member.nick !== undefined) broadcast(conn, `* ${member.nick} left\n`);
      });
    },
  });
  const address = await server.listen();
  return { port: address.port, close: () => server.close() };
}
