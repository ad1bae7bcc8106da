/**
 * Drawing the state into the page's fixed regions: the room list (buttons), the shown room's
 * messages, the presence list and the typing line. Nothing here talks to the server.
 */
import type { ChatMessage } from '../../src/contract.ts';
import { LOBBY } from '../../src/contract.ts';
import {
  type ChatState,
  hasOlder,
  roomListEntries,
  totalUnread,
  typingLine,
  typingNicks,
} from './state.ts';

/** Finds an element the page must have. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element as T;
}

/** "14:05" in the reader's locale, for a message's `at`. */
function clock(at: number): string {
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** One message as a list item: time, sender and text; an action reads "* nick waves". */
export function messageItem(message: ChatMessage, myId: string | undefined): HTMLLIElement {
  const item = document.createElement('li');
  item.className = `message${message.kind === 'action' ? ' action' : ''}${message.from.id === myId ? ' mine' : ''}`;
  item.dataset.seq = String(message.seq);
  const time = document.createElement('time');
  time.dateTime = new Date(message.at).toISOString();
  time.textContent = clock(message.at);
  const from = document.createElement('span');
  from.className = 'from';
  from.textContent = message.kind === 'action' ? `* ${message.from.nick}` : `${message.from.nick}:`;
  const text = document.createElement('span');
  text.className = 'text';
  text.textContent = message.text;
  item.append(time, ' ', from, ' ', text);
  return item;
}

/** The words an aria-live region reads for a new message. */
export function spokenMessage(message: ChatMessage): string {
  return message.kind === 'action'
    ? `${message.room}: ${message.from.nick} ${message.text}`
    : `${message.room}: ${message.from.nick} says ${message.text}`;
}

/** Redraws the room list: one button per room, with its member and unread counts. */
export function renderRooms(state: ChatState, onPick: (room: string) => void): void {
  const list = byId<HTMLUListElement>('room-list');
  const focused = (document.activeElement as HTMLElement | null)?.dataset?.room;
  const items = roomListEntries(state).map((entry) => {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'room-button';
    button.dataset.room = entry.name;
    if (entry.active) button.setAttribute('aria-current', 'true');
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = `#${entry.name}`;
    const counts = document.createElement('span');
    const members = document.createElement('span');
    members.className = 'count';
    members.textContent = `${entry.members} ${entry.members === 1 ? 'person' : 'people'}`;
    counts.append(members);
    let label = `${entry.name}, ${members.textContent}`;
    if (entry.unread > 0) {
      const unread = document.createElement('span');
      unread.className = 'unread';
      unread.textContent = String(entry.unread);
      counts.append(' ', unread);
      label += `, ${entry.unread} unread`;
    }
    if (!entry.joined) label += ', not joined';
    button.setAttribute('aria-label', label);
    button.append(name, counts);
    button.addEventListener('click', () => onPick(entry.name));
    item.append(button);
    return item;
  });
  list.replaceChildren(...items);
  const unread = totalUnread(state);
  document.title = unread > 0 ? `(${unread}) socketlab chat` : 'socketlab chat';
  if (focused !== undefined)
    list.querySelector<HTMLElement>(`[data-room="${CSS.escape(focused)}"]`)?.focus();
}

/** Redraws the shown room: title, leave button, the line about older messages, the messages. */
export function renderActiveRoom(state: ChatState): void {
  const room = state.joined.get(state.active);
  byId('room-title').textContent = `#${state.active}`;
  byId<HTMLButtonElement>('leave').disabled = state.active === LOBBY;
  byId('truncated').textContent = room?.truncated
    ? 'More was said while you were away than was fetched:'
    : '';
  byId('load-older').hidden = room === undefined || !hasOlder(room);
  renderMessages(state.active, room?.messages ?? [], state.me?.id);
}

/**
 * Draws `messages` into the list, touching only what changed when the items shown are still one
 * run of them (new ones appended, older ones prepended); otherwise redraws it all. Stays at the
 * end if it was there, and keeps what is in view when older messages are added above.
 */
function renderMessages(
  roomName: string,
  messages: readonly ChatMessage[],
  myId: string | undefined,
): void {
  const list = byId<HTMLOListElement>('messages');
  const atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const seqOf = (item: Element | null) => Number((item as HTMLElement | null)?.dataset.seq);
  const shown = list.dataset.room === roomName ? list.children.length : -1;
  const first = messages.findIndex((m) => m.seq === seqOf(list.firstElementChild));
  const last = messages.findIndex((m) => m.seq === seqOf(list.lastElementChild));
  if (shown > 0 && first >= 0 && last - first + 1 === shown) {
    const before = list.scrollHeight;
    list.prepend(...messages.slice(0, first).map((m) => messageItem(m, myId)));
    list.append(...messages.slice(last + 1).map((m) => messageItem(m, myId)));
    if (atEnd) list.scrollTop = list.scrollHeight;
    else if (first > 0) list.scrollTop += list.scrollHeight - before;
    return;
  }
  list.replaceChildren(...messages.map((m) => messageItem(m, myId)));
  list.dataset.room = roomName;
  list.scrollTop = list.scrollHeight;
}

/** Redraws who is in the shown room. */
export function renderPresence(state: ChatState): void {
  const room = state.joined.get(state.active);
  const users = [...(room?.members.values() ?? [])].sort((a, b) => a.nick.localeCompare(b.nick));
  byId('presence').replaceChildren(
    ...users.map((user) => {
      const item = document.createElement('li');
      item.textContent = user.nick + (user.id === state.me?.id ? ' (you)' : '');
      if (user.via === 'tcp') {
        const via = document.createElement('span');
        via.className = 'via';
        via.textContent = ' via nc';
        item.append(via);
      }
      return item;
    }),
  );
}

/** Redraws the typing line of the shown room. */
export function renderTyping(state: ChatState, now: number): void {
  const line = typingLine(typingNicks(state, state.active, now));
  const element = byId('typing');
  if (element.textContent !== line) element.textContent = line;
}

/** Reads `text` out through the hidden live region (the newest few lines only). */
export function announce(text: string): void {
  const region = byId('announce');
  const line = document.createElement('p');
  line.textContent = text;
  region.append(line);
  while (region.childElementCount > 5) region.firstElementChild?.remove();
}
