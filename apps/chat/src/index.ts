/**
 * `@socketlab/app-chat`: the chat server, its default backend and its event contract. Everything
 * public is re-exported here by name.
 */

export {
  CHAT_APP_LIMITS,
  CHAT_SOCKET_PATH,
  type ChatAnswer,
  type ChatClientEvents,
  type ChatErrorCode,
  type ChatLimits,
  type ChatMessage,
  type ChatRefusal,
  type ChatRoomSummary,
  type ChatServerEvents,
  type ChatUser,
  type HttpRefusal,
  type Joined,
  type JoinRequest,
  LOBBY,
  NICK_PATTERN,
  ROOM_NAME_PATTERN,
  type SessionRequest,
  type SessionResponse,
} from './contract.ts';
export { type ChatApp, type ChatAppOptions, startChatApp } from './server/app.ts';
export { CHAT_TOKEN_AUDIENCE, CHAT_TOKEN_ISSUER } from './server/auth.ts';
export {
  createMemoryBackend,
  MEMORY_BACKEND_DEFAULTS,
  type MemoryBackendOptions,
} from './store/memory.ts';
export type {
  ChatBackend,
  ChatFanout,
  ChatStores,
  HistoryPage,
  HistoryStore,
  NewChatMessage,
  PresenceOutcome,
  PresenceStore,
} from './store/types.ts';
export { socketRoom } from './store/types.ts';
