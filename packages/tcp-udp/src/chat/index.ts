/**
 * The line chat (T7): a TCP chat server any `nc` can join, and its line protocol.
 *
 * Other areas import this area only through this file. It exports what the package entry
 * makes public and what sibling areas need; `src/index.ts` chooses the public names.
 */
export {
  CHAT_MAX_NICK_LENGTH,
  CHAT_NICK_PATTERN,
  type ChatInput,
  type ChatLineDecoding,
  checkChatNick,
  decodeChatLine,
  parseChatInput,
} from './protocol.ts';
export {
  DEFAULT_CHAT_MAX_BUFFERED_BYTES,
  type LineChat,
  type LineChatOptions,
  listenLineChat,
} from './server.ts';
