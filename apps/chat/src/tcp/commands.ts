/**
 * What one line from `nc` asks for, pure: stage 3's `parseRoomChatInput` reads the line, and this
 * file decides, with stage 3's rules (one room at a time, `checkChatRoom`, stage 2's
 * `checkChatNick`) and its exact error texts, whether it is answered on the spot (`/help`, `/who`,
 * a mistake) or becomes a request of the event contract (`send`, `join` + `leave`, a new token).
 */
import {
  CHAT_LOBBY,
  checkChatRoom,
  parseRoomChatInput,
  roomChatLines,
} from '@socketlab/multiplexing';
import { checkChatNick } from '@socketlab/tcp-udp';
import type { ChatUser } from '../contract.ts';
import { nicksOf } from './lines.ts';

/** What the gateway does with one line. */
export type GatewayStep =
  /** Nothing (a blank line, `/pong`). */
  | { readonly kind: 'none' }
  /** Answer the user with `line` (help, who, an error); nothing goes to the server. */
  | { readonly kind: 'say'; readonly line: string }
  /** `send {room, text, kind}` to the server. */
  | {
      readonly kind: 'send';
      readonly room: string;
      readonly text: string;
      readonly messageKind: 'text' | 'action';
    }
  /** `join {room: to}`, then `leave {room: from}`: stage 3's one room at a time. */
  | { readonly kind: 'move'; readonly from: string; readonly to: string }
  /** A new token for `nick`, a new connection with it, and back into the room. */
  | { readonly kind: 'rename'; readonly nick: string }
  /** `* bye`, then close. */
  | { readonly kind: 'quit' };

/** What {@link planLine} needs to know about the user. */
export interface GatewayUserState {
  readonly nick: string;
  readonly room: string;
  /** Who is in the room now (the user included), for `/who`. */
  readonly members: readonly ChatUser[];
  /** Nicks other people use (other `nc` users of this gateway, the room's members): taken. */
  readonly takenNicks: Iterable<string>;
}

/**
 * Plans one decoded line (stage 2's `decodeChatLine` has run) as stage 3's room chat would answer it.
 * @example
 * ```ts
 * planLine('/join #dev', { nick: 'guest1', room: 'lobby', members: [], takenNicks: [] });
 * // { kind: 'move', from: 'lobby', to: 'dev' }
 * ```
 */
export function planLine(text: string, user: GatewayUserState): GatewayStep {
  const input = parseRoomChatInput(text);
  switch (input.kind) {
    case 'empty':
    case 'pong':
      return { kind: 'none' };
    case 'message':
      return { kind: 'send', room: user.room, text: input.text, messageKind: 'text' };
    case 'me':
      return input.text === ''
        ? { kind: 'say', line: roomChatLines.error('/me needs some text: /me waves') }
        : { kind: 'send', room: user.room, text: input.text, messageKind: 'action' };
    case 'join': {
      const problem = checkChatRoom(input.room);
      if (problem !== undefined) return { kind: 'say', line: roomChatLines.error(problem) };
      if (input.room === user.room) {
        return { kind: 'say', line: roomChatLines.error(`you are already in #${input.room}`) };
      }
      return { kind: 'move', from: user.room, to: input.room };
    }
    case 'leave':
      return user.room === CHAT_LOBBY
        ? { kind: 'say', line: roomChatLines.error('you are in #lobby already') }
        : { kind: 'move', from: user.room, to: CHAT_LOBBY };
    case 'who':
      return { kind: 'say', line: roomChatLines.who(user.room, nicksOf(user.members)) };
    case 'help':
      return { kind: 'say', line: roomChatLines.help() };
    case 'quit':
      return { kind: 'quit' };
    case 'unknown-command':
      return {
        kind: 'say',
        line: roomChatLines.error(`unknown command ${input.command}: type /help`),
      };
    case 'nick': {
      const taken = [...user.takenNicks].filter((nick) => nick !== user.nick);
      const problem = checkChatNick(input.name, taken);
      if (problem !== undefined) return { kind: 'say', line: roomChatLines.error(problem) };
      if (input.name === user.nick)
        return { kind: 'say', line: roomChatLines.youAreNow(input.name) };
      return { kind: 'rename', nick: input.name };
    }
  }
}
