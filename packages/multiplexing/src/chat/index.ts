/**
 * The room chat (M6): stage 2's line chat with rooms, flood limits and the connection manager.
 *
 * Other areas import this area only through this file.
 */
export {
  CHAT_LOBBY,
  CHAT_ROOM_MAX_LENGTH,
  CHAT_ROOM_PATTERN,
  checkChatRoom,
  parseRoomChatInput,
  type RoomChatInput,
  roomChatLines,
} from './protocol.ts';
export {
  listenRoomChat,
  ROOM_CHAT_DEFAULTS,
  type RoomChat,
  type RoomChatMember,
  type RoomChatOptions,
} from './server.ts';
