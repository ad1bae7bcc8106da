/**
 * A minimal TCP chat people join with `nc 127.0.0.1 PORT`: newline-delimited UTF-8, nicknames,
 * `/nick`, `/who`, `/help`, `/quit`, join and leave notices. It is built to survive its clients:
 * a never-ending line, invalid UTF-8, terminal escapes, a full room and a reader that stops
 * reading each cost only the client that does it. The protocol is in `chat/protocol.ts`.
 */
import type net from 'node:net';
import { createLineDecoder, type LineDecoder } from '@socketlab/basics';
import { checkInteger } from '@socketlab/internal';
import type { TcpConnection } from '../tcp/index.ts';
import { checkTcpTimeout, createTcpServer } from '../tcp/index.ts';
import { chatLines, checkChatNick, decodeChatLine, parseChatInput } from './protocol.ts';

/** Options of {@link listenLineChat}. */
export interface LineChatOptions {
  /** Address to listen on. @default '127.0.0.1' */
  readonly host?: string;
  /** Port to listen on; 0 lets the kernel choose. @default 0 */
  readonly port?: number;
  /** People in the room at once; the next one is told the room is full and closed. @default 64 */
  readonly maxConnections?: number;
  /**
   * The longest line, in bytes, without its `\n` or `\r\n`. A longer one, or one that never
   * ends, gets its sender an error line and a close (as soon as it is certain: the line need not
   * end first); everyone else carries on.
   * @default 1024
   */
  readonly maxLineBytes?: number;
  /**
   * Output buffered in this process for one client that does not read it. Past it, that client
   * is dropped (a slow reader must not grow the server's memory or delay the others). Keep it
   * well above one burst: a single 64 KiB read from a chatty sender becomes about 64 KiB of
   * output for every other client, before the kernel has taken any of it. @default 1048576
   */
  readonly maxBufferedBytes?: number;
  /** Drop a client silent (nothing sent or received) for this long; 0 = never. @default 0 */
  readonly idleTimeoutMs?: number;
  /** How long a closing client (and `close()`) may take to finish before it is destroyed. @default 1000 */
  readonly closeTimeoutMs?: number;
}

/** A running chat, as {@link listenLineChat} returns it. */
export interface LineChat {
  /** Where it listens (`port` is the kernel's choice when 0 was asked for). */
  readonly address: net.AddressInfo;
  /** The nicknames in the room now, in joining order. */
  nicks(): string[];
  /** Says `* server shutting down` to everyone, closes every connection gracefully, stops. */
  close(): Promise<void>;
}

/** Default of {@link LineChatOptions.maxBufferedBytes}: 1 MiB per client. */
export const DEFAULT_CHAT_MAX_BUFFERED_BYTES = 1 << 20;

interface ChatClient {
  readonly conn: TcpConnection;
  nick: string;
  /** Stage 1's line decoder: the one rule for line endings and the line limit. */
  readonly lines: LineDecoder;
  /** Set once the client is on its way out: its input is ignored, nothing more is sent. */
  leaving: boolean;
}

/**
 * Starts a line chat server and resolves once it listens. It prints nothing: the caller says
 * how to join. See the stage README ("Line chat") for the exact protocol.
 *
 * @param options - where to listen and the limits ({@link LineChatOptions}).
 * @returns the running chat: its address, who is online, and `close()`.
 * @throws {TypeError}/{RangeError} (synchronously) for bad options.
 * @throws {ConnectionError} (rejection) `TCPUDP_ERR_CONNECTION` when the address cannot be bound.
 * @example
 * ```ts
 * const chat = await listenLineChat({ port: 7000, maxConnections: 20 });
 * console.log(`join with: nc 127.0.0.1 ${chat.address.port}`);
 * // … later
 * await chat.close();
 * ```
 */
export function listenLineChat(options: LineChatOptions = {}): Promise<LineChat> {
  const maxConnections = checkInteger('maxConnections', options.maxConnections ?? 64, 1, 100_000);
  const maxLineBytes = checkInteger('maxLineBytes', options.maxLineBytes ?? 1024, 1, 1 << 20);
  const maxBufferedBytes = checkInteger(
    'maxBufferedBytes',
    options.maxBufferedBytes ?? DEFAULT_CHAT_MAX_BUFFERED_BYTES,
    1,
    1 << 30,
  );
  const closeTimeoutMs = checkTcpTimeout('closeTimeoutMs', options.closeTimeoutMs ?? 1000, false);
  const clients = new Set<ChatClient>();
  let guests = 0;

  const send = (client: ChatClient, text: string): void => {
    if (client.leaving) return;
    client.conn.write(text).catch(() => undefined); // a failure closes the connection: see 'close'
    if (client.conn.bufferedBytes > maxBufferedBytes) {
      // It does not read what it is sent: waiting for it would hold the memory for ever.
      client.leaving = true;
      client.conn.reset();
      leave(client, `dropped: not reading (over ${maxBufferedBytes} bytes waiting)`);
    }
  };
  const broadcast = (from: ChatClient | undefined, text: string): void => {
    for (const other of clients) if (other !== from) send(other, text);
  };
  const leave = (client: ChatClient, why?: string): void => {
    if (!clients.delete(client)) return;
    broadcast(client, chatLines.left(client.nick, why));
  };
  const closeClient = (client: ChatClient, lastLine: string, why?: string): void => {
    send(client, lastLine);
    client.leaving = true;
    leave(client, why);
    client.conn.end({ timeoutMs: closeTimeoutMs }).catch(() => undefined);
  };

  const handleLine = (client: ChatClient, line: Uint8Array): void => {
    const decoded = decodeChatLine(line);
    if (!decoded.ok) {
      send(client, chatLines.error(decoded.reason));
      return;
    }
    const input = parseChatInput(decoded.text);
    switch (input.kind) {
      case 'empty':
        return;
      case 'message':
        broadcast(client, chatLines.message(client.nick, input.text));
        return;
      case 'who':
        send(client, chatLines.who([...clients].map((c) => c.nick)));
        return;
      case 'help':
        send(client, chatLines.help());
        return;
      case 'quit':
        closeClient(client, chatLines.bye());
        return;
      case 'unknown-command':
        send(client, chatLines.error(`unknown command ${input.command}: type /help`));
        return;
      case 'nick': {
        const others = [...clients].filter((c) => c !== client).map((c) => c.nick);
        const problem = checkChatNick(input.name, others);
        if (problem !== undefined) {
          send(client, chatLines.error(problem));
          return;
        }
        const before = client.nick;
        client.nick = input.name;
        send(client, chatLines.youAreNow(input.name));
        if (before !== input.name) broadcast(client, chatLines.renamed(before, input.name));
        return;
      }
    }
  };

  const onData = (client: ChatClient, chunk: Buffer): void => {
    if (client.leaving) return; // on its way out: whatever else it sends is dropped
    for (const line of client.lines.push(chunk)) {
      if (client.leaving) return;
      handleLine(client, line);
    }
    if (client.lines.overflow && !client.leaving) {
      closeClient(
        client,
        chatLines.error(`line too long (over ${maxLineBytes} bytes); closing your connection`),
        'line too long',
      );
    }
  };

  const uniqueGuestNick = (): string => {
    for (;;) {
      guests++;
      const nick = `guest${guests}`;
      if (
        checkChatNick(
          nick,
          [...clients].map((c) => c.nick),
        ) === undefined
      )
        return nick;
    }
  };

  const server = createTcpServer({
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.port === undefined ? {} : { port: options.port }),
    maxConnections: maxConnections,
    idleTimeoutMs: options.idleTimeoutMs ?? 0,
    closeTimeoutMs,
    rejectMessage: chatLines.error(`the chat is full (${maxConnections} people); try again later`),
    onConnection: (conn) => {
      const client: ChatClient = {
        conn,
        nick: uniqueGuestNick(),
        lines: createLineDecoder({ maxLineBytes }),
        leaving: false,
      };
      clients.add(client);
      send(client, chatLines.welcome(client.nick, clients.size));
      broadcast(client, chatLines.joined(client.nick));
      conn.on('data', (chunk) => onData(client, chunk));
      conn.on('end', () => {
        // The peer is done sending (nc -N at the end of its input): take its last, unterminated
        // line, then close our side too.
        const last = client.lines.end();
        if (!client.leaving && last.length > 0) handleLine(client, last);
        client.leaving = true;
        leave(client);
        conn.end({ timeoutMs: closeTimeoutMs }).catch(() => undefined);
      });
      conn.on('close', (reason) => {
        client.leaving = true;
        leave(
          client,
          reason === 'end' || reason === 'destroyed' ? undefined : `connection ${reason}`,
        );
      });
    },
  });

  return server.listen().then((address) => ({
    address,
    nicks: () => [...clients].map((c) => c.nick),
    close: async () => {
      for (const client of clients) send(client, '* server shutting down\n');
      await server.close();
    },
  }));
}
