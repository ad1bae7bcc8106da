/**
 * The line chat's protocol, pure: decoding one received line, telling commands from messages,
 * checking nicknames, and the exact text of every line the server sends. The I/O lives in
 * `chat/server.ts`.
 *
 * Wire format (both directions): UTF-8 text, one message per line, lines end in `\n`; a `\r`
 * right before the `\n` is dropped (`nc` on a terminal, telnet and Windows send `\r\n`), as
 * stage 1's line decoder (`createLineDecoder`) does: the server cuts lines with it. Lines the
 * server sends start with `* ` (a notice), `! ` (an error) or `<nick> ` (a message).
 */

/** The longest nickname, in characters. */
export const CHAT_MAX_NICK_LENGTH = 16;

/** What a nickname may contain: 1–16 ASCII letters, digits, `_` or `-`. */
export const CHAT_NICK_PATTERN = /^[A-Za-z0-9_-]{1,16}$/;

/** One received line, understood. */
export type ChatInput =
  | { readonly kind: 'empty' }
  | { readonly kind: 'message'; readonly text: string }
  | { readonly kind: 'nick'; readonly name: string }
  | { readonly kind: 'who' }
  | { readonly kind: 'help' }
  | { readonly kind: 'quit' }
  | { readonly kind: 'unknown-command'; readonly command: string };

/** A decoded line, or why it could not be decoded. */
export type ChatLineDecoding =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes one line without its ending (the line decoder has taken off `\n` or `\r\n`): strict UTF-8,
 * then every control character except tab (C0, DEL, C1) replaced by U+FFFD, so that one client
 * cannot send terminal escape sequences to everybody else's terminal.
 * @param line - the bytes of one line.
 * @returns the text, or `ok: false` with the reason (invalid UTF-8).
 * @example
 * ```ts
 * decodeChatLine(Buffer.from('hi')); // { ok: true, text: 'hi' }
 * decodeChatLine(Buffer.from([0xff])); // { ok: false, reason: 'invalid UTF-8 …' }
 * ```
 */
export function decodeChatLine(line: Uint8Array): ChatLineDecoding {
  let text: string;
  try {
    text = utf8.decode(line);
  } catch {
    return { ok: false, reason: 'the line is not valid UTF-8; it was ignored' };
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we remove
  return { ok: true, text: text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, '\ufffd') };
}

/**
 * Tells a command from a message. Commands start with `/` (case-insensitive name); a line that
 * starts with `//` is a message starting with one `/`. Blank lines are `empty`.
 * @param text - one decoded line, without its line ending.
 * @example
 * ```ts
 * parseChatInput('/nick alice'); // { kind: 'nick', name: 'alice' }
 * parseChatInput('//shrug');     // { kind: 'message', text: '/shrug' }
 * ```
 */
export function parseChatInput(text: string): ChatInput {
  if (text.trim() === '') return { kind: 'empty' };
  if (text.startsWith('//')) return { kind: 'message', text: text.slice(1) };
  if (!text.startsWith('/')) return { kind: 'message', text };
  const [word = '', ...rest] = text.slice(1).trim().split(/\s+/);
  switch (word.toLowerCase()) {
    case 'nick':
      return { kind: 'nick', name: rest.join(' ') };
    case 'who':
      return { kind: 'who' };
    case 'help':
      return { kind: 'help' };
    case 'quit':
      return { kind: 'quit' };
    default:
      return { kind: 'unknown-command', command: `/${word}` };
  }
}

/**
 * Checks a requested nickname: the pattern, then uniqueness (case-insensitive: `Alice` and
 * `alice` are the same person to a reader).
 * @param name - the requested nickname.
 * @param taken - the nicknames in use by the others.
 * @returns `undefined` when it is fine, else the error text to send back.
 */
export function checkChatNick(name: string, taken: Iterable<string>): string | undefined {
  if (!CHAT_NICK_PATTERN.test(name)) {
    const shown = JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);
    return `invalid nick ${shown}: use 1 to ${CHAT_MAX_NICK_LENGTH} letters, digits, _ or -`;
  }
  const wanted = name.toLowerCase();
  for (const other of taken) {
    if (other.toLowerCase() === wanted) return `nick ${name} is taken: choose another`;
  }
  return undefined;
}

/** The exact lines the chat server sends (each ends in `\n`). */
export const chatLines = {
  welcome: (nick: string, online: number): string =>
    `* welcome, you are ${nick} (${online} online); type /help for commands\n`,
  joined: (nick: string): string => `* ${nick} joined\n`,
  left: (nick: string, why?: string): string => `* ${nick} left${why ? ` (${why})` : ''}\n`,
  renamed: (from: string, to: string): string => `* ${from} is now ${to}\n`,
  youAreNow: (nick: string): string => `* you are now ${nick}\n`,
  who: (nicks: readonly string[]): string => `* online (${nicks.length}): ${nicks.join(', ')}\n`,
  message: (nick: string, text: string): string => `<${nick}> ${text}\n`,
  bye: (): string => '* bye\n',
  error: (text: string): string => `! ${text}\n`,
  help: (): string =>
    [
      '* /nick NAME  change your nickname (1-16 letters, digits, _ or -)',
      '* /who        list who is online',
      '* /quit       leave the chat',
      '* /help       this help; anything else is sent to everyone (start with // to send a /)',
      '',
    ].join('\n'),
} as const;
