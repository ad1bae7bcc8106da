/**
 * Chat rooms on Socket.IO (W10): validation, presence by user, typing indicators and bounded
 * history as pure parts, and `attachChat`, the edge that runs them on a namespace.
 */

export type {
  ChatAck,
  ChatAckError,
  ChatClientToServerEvents,
  ChatHistoryRequest,
  ChatJoined,
  ChatSent,
  ChatServerToClientEvents,
} from './events.ts';
export { ChatHistory, type ChatHistoryOptions, type ChatMessage, HistoryRing } from './history.ts';
export {
  type PresenceChange,
  type PresenceOptions,
  PresenceTracker,
} from './presence.ts';
export { attachChat, type ChatHandle, type ChatOptions } from './server.ts';
export {
  type TypingChange,
  type TypingOptions,
  type TypingStartResult,
  TypingTracker,
} from './typing.ts';
export {
  CHAT_LIMITS,
  CHAT_ROOM_PATTERN,
  type ChatLimits,
  type ChatMessageInput,
  jsonDepthWithin,
  validateChatMessage,
  validateRoomName,
} from './validate.ts';
